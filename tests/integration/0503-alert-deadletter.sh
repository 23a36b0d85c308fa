#!/usr/bin/env bash
# bp-alert gives up after the retry budget: a 'failed' delivery record and the alert in
# bp.deadletter with the reason and its origin; a 400 is not retried.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 1
cat >"$T/routes.json" <<'EOC'
{"routes":[{"path":"/hook","body_contains":"monobank","responses":[{"status":400,"body":"bad payload"}]},
           {"path":"/hook","responses":[{"status":500}]}]}
EOC
PORT=$(bp_fakehttp hook "$T/routes.json")
export BP_CARE_WEBHOOK_URL="http://127.0.0.1:$PORT/hook"
sed -e "s#@STATE@#$T/state#" -e 's/retries: 5/retries: 2/' "$D/alert-basic.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
head -3 "$D/alerts.jsonl" >"$T/in.jsonl"           # privatbank, monobank, kyivstar
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 30 '[ "$(bp_count bp.deadletter)" -ge 3 ]' || bp_fail "dead letters: $(bp_count bp.deadletter)"
bp_tail bp.deadletter >"$T/dl.jsonl"
reasons=$(bp_json 'sorted(r["headers"]["bp-reason"] for r in rows).__repr__()' <"$T/dl.jsonl")
case "$reasons" in
  *"channel care-hook: HTTP 400: bad payload after 1 attempt"*"channel care-hook: HTTP 500: "*"after 3 attempts"*"after 3 attempts"*) ;;
  *) bp_fail "dead-letter reasons: $reasons" ;;
esac
stage=$(bp_json 'sorted(set(r["headers"]["bp-stage"] for r in rows))' <"$T/dl.jsonl")
bp_assert_eq "$stage" '["alert"]' "dead-letter stage"
origin=$(bp_json 'all(r["headers"]["bp-origin-topic"] == "bp.alerts" for r in rows)' <"$T/dl.jsonl")
bp_assert_eq "$origin" True "dead letters name their origin"
ids=$(bp_json 'sorted(r["value"]["id"] for r in rows)' <"$T/dl.jsonl")
bp_assert_eq "$ids" '["tg:privat_help/1001", "vk:wall-1234_5678", "x:1860000000000000001"]' "dead-lettered alerts"
# 1 attempt for the 400, 3 for each 500
bp_assert_eq "$(wc -l <"$T/hook.jsonl")" 7 "webhook attempts"
bp_tail bp.deliveries >"$T/del.jsonl"
failed=$(bp_json 'len([r for r in rows if r["value"]["result"] == "failed"])' <"$T/del.jsonl")
bp_assert_eq "$failed" 3 "failed delivery records"
retry=$(bp_json 'len([r for r in rows if r["value"]["result"] == "retry"])' <"$T/del.jsonl")
bp_assert_eq "$retry" 4 "retry delivery records"
# the queue is empty: dead-lettered jobs are finished
bp_wait_for 10 '[ -z "$(ls "$T/state/queue" | grep "\.json$")" ]' || bp_fail "queue not empty"

# malformed records (not JSON; no id) are dead-lettered with their origin, the rest flows on
curl -s -d '{"routes":[{"path":"/hook","responses":[{"status":200}]}]}' \
  "http://127.0.0.1:$PORT/_fake/routes" >/dev/null || bp_fail "cannot reset fake routes"
now=$(date +%s%3N)
{
  printf '%s\tthis is not json\n' "$now"
  printf '%s\t{"text":"no id here","source":"x"}\n' "$now"
  printf '%s\t%s\n' "$now" "$(sed -n 5p "$D/alerts.jsonl")"
} | "$BP_TOOLS/bp-produce-ts" --topic bp.alerts --partition 0 || bp_fail "bp-produce-ts"
bp_wait_for 30 'grep -q "reddit:t3_abc123" "$T/hook.jsonl"' || bp_fail "the good alert after the bad ones was not delivered"
bp_wait_for 20 '[ "$(bp_count bp.deadletter)" -ge 5 ]' || bp_fail "malformed records not dead-lettered"
bp_tail bp.deadletter | tail -n +4 >"$T/dl2.jsonl"
r2=$(bp_json '[r["headers"]["bp-reason"][:40] for r in rows]' <"$T/dl2.jsonl")
case "$r2" in
  *"not JSON"*"missing field 'id'"*) ;;
  *) bp_fail "malformed dead-letter reasons: $r2" ;;
esac
raw=$(bp_json 'rows[0]["value"]' <"$T/dl2.jsonl")
bp_assert_eq "$raw" "this is not json" "original bytes in the dead letter"
bp_stop alert
exit 0
