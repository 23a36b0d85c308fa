#!/usr/bin/env bash
# Shadow mode: a candidate rule set is judged beside the live one on the same stream; every
# post on which they disagree is logged and counted, and only the live set's alerts are sent.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/pipeline
bp_start_broker 1
cp -r "$D/rules" "$T/live"
cp -r "$D/rules" "$T/candidate"
# the candidate alerts on any negative score, the live set only at -3 or below
printf 'alert_when:\n  any_urgent_term: true\n  score_at_most: -1\n' >"$T/candidate/policy.yaml"
sed -i 's/- {term: "hate", weight: -3}/- {term: "hate", weight: -3}\n  - {term: "slow", weight: -1}/' "$T/live/lexicon/en.yaml" "$T/candidate/lexicon/en.yaml"
cat >"$T/filter.yaml" <<EOC
kafka: {group: shadow, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
filter: {rules: "$T/live", shadow_rules: "$T/candidate"}
EOC
{
  echo '{"id":"s1","source":"test","text":"AcmeBank is broken"}'      # both alert
  echo '{"id":"s2","source":"test","text":"AcmeBank is slow today"}'  # -1: only the candidate
  echo '{"id":"s3","source":"test","text":"I love AcmeBank"}'         # neither
  echo '{"id":"s4","source":"test","text":"AcmeBank app is slow"}'    # -1: only the candidate
} >"$T/posts.jsonl"
"$BP_BIN/bp-collect-file" --input "$T/posts.jsonl" >"$T/collect.log" 2>&1 || bp_fail "collector"
bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_wait_for 20 '[ "$(bp_count bp.mentions)" -ge 4 ]' || bp_fail "mentions missing"
bp_stop filter || bp_fail "bp-filter did not stop cleanly"
grep -o "shadow disagrees on [a-z0-9]*" "$T/filter.log" | sort >"$T/disagree"
printf 'shadow disagrees on s2\nshadow disagrees on s4\n' >"$T/expected"
diff -u "$T/expected" "$T/disagree" || bp_fail "disagreements differ from the planted ones"
bp_assert_eq "$(bp_tail bp.alerts | bp_json "sorted(r['value']['id'] for r in rows)")" '["s1"]' \
  "only the live set's alerts are sent"
