#!/usr/bin/env bash
# Two bp-alert instances in one consumer group, each with its own state directory: when one
# stops, its partitions move to the other, which learns from bp.deliveries what was already
# delivered, so the same posts arriving again are not sent twice; new posts still go out.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 4
PORT=$(bp_fakehttp hook)
export BP_CARE_WEBHOOK_URL="http://127.0.0.1:$PORT/hook"
sed "s#@STATE@#$T/state-a#" "$D/alert-basic.yaml" >"$T/a.yaml"
sed "s#@STATE@#$T/state-b#" "$D/alert-basic.yaml" >"$T/b.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"

bp_bg alert-a "$BP_BIN/bp-alert" -c "$T/a.yaml"
bp_wait_for 30 'grep -q "assigned 4 partition" "$T/alert-a.log"' || bp_fail "instance a got no partitions"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$D/alerts.jsonl" --checkpoint "$T/ck1" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 30 '[ "$(wc -l <"$T/hook.jsonl")" -ge 6 ]' || bp_fail "first delivery"
bp_wait_for 20 '[ "$(bp_count bp.deliveries)" -ge 12 ]' || bp_fail "delivery records"

# b joins (the group splits the partitions), then a leaves: b owns everything
bp_bg alert-b "$BP_BIN/bp-alert" -c "$T/b.yaml"
bp_wait_for 60 'grep -q "assigned" "$T/alert-b.log"' || bp_fail "instance b got no partitions"
bp_stop alert-a || bp_fail "instance a did not stop cleanly"
bp_wait_for 60 'grep -q "rebuilt dedup from bp.deliveries" "$T/alert-b.log"' || bp_fail "b did not rebuild"

# the same posts again, and one new post
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$D/alerts.jsonl" --checkpoint "$T/ck2" \
  2>>"$T/inject.log" || bp_fail "injecting alerts again"
python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline()); r["id"] = "tg:privat_help/2002"
print(json.dumps(r, ensure_ascii=False))' "$D/alerts.jsonl" >"$T/new.jsonl"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/new.jsonl" --checkpoint "$T/ck3" \
  2>>"$T/inject.log" || bp_fail "injecting a new alert"
bp_wait_for 60 'grep -q "tg:privat_help/2002" "$T/hook.jsonl"' || bp_fail "the new post was not delivered by b"
bp_wait_for 30 '[ "$(grep -c "already alerted" "$T/alert-b.log")" -ge 7 ]' \
  || bp_fail "b did not recognise the repeated posts: $(grep -c "already alerted" "$T/alert-b.log")"
bp_stop alert-b || bp_fail "instance b did not stop cleanly"
ids=$(bp_json 'len(rows) - len(set(json.loads(r["body"])["id"] for r in rows))' <"$T/hook.jsonl")
bp_assert_eq "$ids" 0 "posts sent twice"
bp_assert_eq "$(wc -l <"$T/hook.jsonl")" 7 "webhook requests"
exit 0
