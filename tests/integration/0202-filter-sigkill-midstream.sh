#!/usr/bin/env bash
# Foundation: posts arrive while bp-filter runs; it is killed with SIGKILL halfway and
# restarted. Every expected alert reaches the receiver exactly once: at-least-once in the
# filter (offsets stored only after the broker acknowledged its outputs) plus the alerter's
# dedup by post id.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/pipeline
N=300
bp_start_broker 3
port=$(bp_fakehttp hook)
export BP_CARE_WEBHOOK_URL="http://127.0.0.1:$port/hook"
python3 "$D/gen_posts.py" $N >"$T/all.jsonl"
python3 "$D/expected_alerts.py" $N | sort >"$T/expected"
want=$(wc -l <"$T/expected")
RULES=$D/rules bp_render "$D/filter.yaml.in" "$T/filter.yaml"
bp_render "$D/alerter.yaml.in" "$T/alerter.yaml"
mkdir -p "$T/state"
: >"$T/posts.jsonl"
bp_bg collect "$BP_BIN/bp-collect-file" --input "$T/posts.jsonl" --follow
bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alerter.yaml"
# feed posts gradually, in 30 batches
( for b in $(seq 0 29); do sed -n "$((b * 10 + 1)),$((b * 10 + 10))p" "$T/all.jsonl" >>"$T/posts.jsonl"; sleep 0.2; done ) &
feeder=$!
bp_wait_for 60 '[ "$(bp_received_ids "$T/hook.jsonl" /hook | wc -l)" -ge $((want / 3)) ]' ||
  bp_fail "the pipeline did not start delivering"
bp_stop filter KILL || true
got_at_kill=$(bp_received_ids "$T/hook.jsonl" /hook | wc -l)
bp_log "killed bp-filter after $got_at_kill of $want alerts"
[ "$got_at_kill" -lt "$want" ] || bp_fail "the kill came too late to test anything"
sleep 1
bp_bg filter2 "$BP_BIN/bp-filter" -c "$T/filter.yaml"
wait $feeder
bp_wait_for 90 '[ "$(bp_received_ids "$T/hook.jsonl" /hook | sort -u | wc -l)" -ge "$want" ]' ||
  bp_fail "only $(bp_received_ids "$T/hook.jsonl" /hook | sort -u | wc -l) of $want alerts after the restart"
sleep 2
bp_received_ids "$T/hook.jsonl" /hook | sort >"$T/got"
bp_assert_eq "$(uniq -d "$T/got" | wc -l)" 0 "alerts delivered twice"
diff -u "$T/expected" "$T/got" || bp_fail "delivered alerts differ from the expected ones"
