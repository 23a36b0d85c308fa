#!/usr/bin/env bash
# bp-alert end to end: alerts from bp.alerts printed on the console and POSTed to a webhook
# (a 500 retried), every attempt in bp.deliveries, a repeated post sent once, nothing resent
# after a restart, personal data masked on the console.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 3
cat >"$T/routes.json" <<'EOC'
{"routes":[{"path":"/hook","responses":[{"status":500},{"status":200}]}]}
EOC
PORT=$(bp_fakehttp hook "$T/routes.json")
export BP_CARE_WEBHOOK_URL="http://127.0.0.1:$PORT/hook"
sed "s#@STATE@#$T/state#" "$D/alert-basic.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"

bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$D/alerts.jsonl" --checkpoint "$T/ck1" \
  2>"$T/inject.log" || bp_fail "injecting alerts"

# 7 lines, one post twice: 6 alerts, one webhook attempt failed with 500 and was retried
bp_wait_for 30 '[ "$(wc -l <"$T/hook.jsonl")" -ge 7 ]' || bp_fail "webhook got $(wc -l <"$T/hook.jsonl") requests"
bp_wait_for 20 '[ "$(bp_count bp.deliveries)" -ge 13 ]' || bp_fail "deliveries: $(bp_count bp.deliveries)"

ids=$(bp_json 'len(set(json.loads(r["body"])["id"] for r in rows))' <"$T/hook.jsonl")
bp_assert_eq "$ids" 6 "distinct posts at the webhook"
whids=$(bp_json 'len(set(r["headers"]["webhook-id"] for r in rows))' <"$T/hook.jsonl")
bp_assert_eq "$whids" 6 "distinct webhook-id headers (a retry keeps its id)"
meta=$(bp_json 'sorted(set(json.loads(r["body"])["bp_alert"]["kind"] for r in rows))' <"$T/hook.jsonl")
bp_assert_eq "$meta" '["alert"]' "bp_alert metadata in the body"

bp_tail bp.deliveries >"$T/deliveries.jsonl"
res=$(bp_json 'sorted((r["value"]["channel"], r["value"]["result"]) for r in rows).__repr__()' <"$T/deliveries.jsonl")
want="[('care-hook', 'ok'), ('care-hook', 'ok'), ('care-hook', 'ok'), ('care-hook', 'ok'), ('care-hook', 'ok'), ('care-hook', 'ok'), ('care-hook', 'retry'), ('console', 'ok'), ('console', 'ok'), ('console', 'ok'), ('console', 'ok'), ('console', 'ok'), ('console', 'ok')]"
bp_assert_eq "$res" "$want" "delivery records"
keys=$(bp_json 'all(set(["alert_id","post_id","brand","channel","attempt","result","status","at"]) <= set(r["value"]) for r in rows)' <"$T/deliveries.jsonl")
bp_assert_eq "$keys" True "delivery record fields"

blocks=$(grep -c '^──── console ────' "$T/alert.log")
bp_assert_eq "$blocks" 6 "console blocks"
grep -q '\[card \*\*\*\*1111\]' "$T/alert.log" || bp_fail "card number not masked on the console"
grep -q '4111 1111 1111 1111' "$T/alert.log" && bp_fail "card number printed in clear"
grep -q 'Author: Max Petrov (15300 followers)' "$T/alert.log" || bp_fail "author and reach missing"
grep -q "$PORT/hook" "$T/alert.log" && bp_fail "the webhook URL (a secret) was logged"

# restart: nothing is sent again; the same posts injected again are recognised
bp_stop alert || bp_fail "bp-alert did not 
# the shipped example configuration is valid (secrets given through the environment / a file)
echo "123:TOKEN" >"$T/tg_token"
sed "s#/run/secrets/telegram_bot_token#$T/tg_token#" "$BP_ROOT/config/alerter.yaml" >"$T/example.yaml"
BP_ACK_SECRET=a BP_SLACK_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_SECRET=s \
  BP_SMTP_PASSWORD=p BP_PD_KEY_ANNA=k BP_PD_KEY_OLEH=k "$BP_BIN/bp-alert" -c "$T/example.yaml" --check \
  >"$T/check.out" 2>&1 || bp_fail "config/alerter.yaml: $(cat "$T/check.out")"
# a typo is an error that names the line
sed 's/rate_limit: 20/rate_limt: 20/' "$T/example.yaml" >"$T/typo.yaml"
rc=0; BP_ACK_SECRET=a BP_SLACK_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_SECRET=s \
  BP_SMTP_PASSWORD=p BP_PD_KEY_ANNA=k BP_PD_KEY_OLEH=k "$BP_BIN/bp-alert" -c "$T/typo.yaml" --check \
  >"$T/typo.out" 2>&1 || rc=$?
bp_assert_eq "$rc" 2 "exit status for a bad configuration"
grep -q "typo.yaml:[0-9]*:[0-9]*: unknown key 'rate_limt'" "$T/typo.out" || bp_fail "typo message: $(cat "$T/typo.out")"
exit 0 on SIGTERM"
bp_bg alert2 "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$D/alerts.jsonl" --checkpoint "$T/ck2" \
  2>>"$T/inject.log" || bp_fail "injecting alerts again"
bp_wait_for 30 '[ "$(grep -c "already alerted" "$T/alert2.log")" -ge 7 ]' \
  || bp_fail "the restarted alerter did not see the repeated posts"
bp_stop alert2
grep -q "7 consumed, 0 delivered" "$T/alert2.log" || bp_fail "the restarted alerter delivered again: $(grep stopping "$T/alert2.log")"
bp_assert_eq "$(wc -l <"$T/hook.jsonl")" 7 "webhook requests after the restart"

# the shipped example configuration is valid (secrets given through the environment / a file)
echo "123:TOKEN" >"$T/tg_token"
sed "s#/run/secrets/telegram_bot_token#$T/tg_token#" "$BP_ROOT/config/alerter.yaml" >"$T/example.yaml"
BP_ACK_SECRET=a BP_SLACK_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_SECRET=s \
  BP_SMTP_PASSWORD=p BP_PD_KEY_ANNA=k BP_PD_KEY_OLEH=k "$BP_BIN/bp-alert" -c "$T/example.yaml" --check \
  >"$T/check.out" 2>&1 || bp_fail "config/alerter.yaml: $(cat "$T/check.out")"
# a typo is an error that names the line
sed 's/rate_limit: 20/rate_limt: 20/' "$T/example.yaml" >"$T/typo.yaml"
rc=0; BP_ACK_SECRET=a BP_SLACK_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_URL=http://x BP_CRM_WEBHOOK_SECRET=s \
  BP_SMTP_PASSWORD=p BP_PD_KEY_ANNA=k BP_PD_KEY_OLEH=k "$BP_BIN/bp-alert" -c "$T/typo.yaml" --check \
  >"$T/typo.out" 2>&1 || rc=$?
bp_assert_eq "$rc" 2 "exit status for a bad configuration"
grep -q "typo.yaml:[0-9]*:[0-9]*: unknown key 'rate_limt'" "$T/typo.out" || bp_fail "typo message: $(cat "$T/typo.out")"
exit 0
