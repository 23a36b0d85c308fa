#!/usr/bin/env bash
# bp-alert killed with SIGKILL while its webhook is down, restarted after the receiver is back:
# every pending alert is delivered exactly once (the durable retry queue), and a second
# channel (console) was not held up by the failing one.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 3
echo '{"routes":[{"path":"/hook","responses":[{"status":503}]}]}' >"$T/routes.json"
PORT=$(bp_fakehttp hook "$T/routes.json")
export BP_CARE_WEBHOOK_URL="http://127.0.0.1:$PORT/hook"
sed "s#@STATE@#$T/state#" "$D/alert-basic.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"

bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$D/alerts.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"

# the console gets all 6 while the webhook keeps failing
bp_wait_for 30 '[ "$(grep -c "^──── console ────" "$T/alert.log")" -ge 6 ]' || bp_fail "console did not get 6 alerts"
bp_wait_for 30 '[ "$(bp_json "len(set(json.loads(r[\"body\"])[\"id\"] for r in rows))" <"$T/hook.jsonl")" -ge 6 ]' \
  || bp_fail "the webhook was not tried for every alert"
bp_stop alert KILL
before=$(wc -l <"$T/hook.jsonl")
ls "$T/state/queue" | grep -c '\.json$' >"$T/pending"
[ "$(cat "$T/pending")" -ge 6 ] || bp_fail "expected >= 6 queued jobs after the kill, found $(cat "$T/pending")"

# the receiver recovers; the restarted alerter sends each pending alert once
curl -s -d '{"routes":[{"path":"/hook","responses":[{"status":200}]}]}' \
  "http://127.0.0.1:$PORT/_fake/routes" >/dev/null || bp_fail "cannot reset fake routes"
bp_bg alert2 "$BP_BIN/bp-alert" -c "$T/alert.yaml"
bp_wait_for 60 '[ -z "$(ls "$T/state/queue" | grep "\.json$")" ]' || bp_fail "queue not drained: $(ls "$T/state/queue")"
tail -n +"$((before + 1))" "$T/hook.jsonl" >"$T/after.jsonl"
n=$(bp_json 'len(rows)' <"$T/after.jsonl")
ids=$(bp_json 'len(set(json.loads(r["body"])["id"] for r in rows))' <"$T/after.jsonl")
bp_assert_eq "$ids" 6 "distinct alerts delivered after the restart"
bp_assert_eq "$n" 6 "webhook requests after the restart (none twice)"
# the console is not repeated either
bp_assert_eq "$(grep -c '^──── console ────' "$T/alert2.log")" 0 "console blocks after the restart"
bp_stop alert2 || bp_fail "bp-alert did not stop cleanly"
exit 0
