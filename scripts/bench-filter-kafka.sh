#!/usr/bin/env bash
# bench-filter-kafka.sh — one bp-filter on bp-broker (Kafka mode: consume, judge, produce the
# mentions and alerts, wait for the acknowledgements, commit): the bench corpus of
# bench-filter.sh (1,000 generated brands plus the default lexicons, learned scorers and policy)
# produced to bp.posts first, then one filter started and timed from its first post read to the
# last of its outputs acknowledged (and, beside it, to its last post read and judged), read off
# its own metrics. Prints figures; fails only if it cannot run.
# Environment: BP_BIN, BP_TOOLS (set by make), BENCH_KAFKA_POSTS (default 20000; bp-broker keeps
# about 25,000 records a partition, the topic has 3).
set -u
export BP_ROOT=${BP_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
source "$BP_ROOT/tests/integration/lib.sh"
N=${BENCH_KAFKA_POSTS:-20000}

mkdir -p "$T/rules"
cp -r "$BP_ROOT/rules/lexicon" "$T/rules/"
cp "$BP_ROOT/rules/policy.yaml" "$T/rules/"
[ -d "$BP_ROOT/rules/model" ] && cp -r "$BP_ROOT/rules/model" "$T/rules/"
"$BP_TOOLS/bench_gen" --brands 1000 --rules-out "$T/rules" --posts "$N" --out "$T/posts.jsonl" ||
  bp_fail "bench_gen"
# the mentions file mode finds in the same corpus: what the Kafka run must produce too
"$BP_BIN/bp-filter" --rules "$T/rules" --input "$T/posts.jsonl" --output "$T/mentions.jsonl" \
  2>/dev/null || bp_fail "file mode"
want=$(wc -l <"$T/mentions.jsonl")

bp_start_broker 3
cat >"$T/collect.yaml" <<EOF
file: {path: "$T/posts.jsonl", checkpoint: "$T/posts.checkpoint"}
EOF
"$BP_BIN/bp-collect-file" -c "$T/collect.yaml" >"$T/collect.log" 2>&1 || bp_fail "producing the posts"

cat >"$T/filter.yaml" <<EOF
kafka:
  group: bp-filter-bench
  rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
metrics_listen: "127.0.0.1:0"
filter: {rules: "$T/rules"}
EOF
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"
bp_bg filter $pin ${BENCH_KAFKA_WRAP:-} "$BP_BIN/bp-filter" -c "$T/filter.yaml"
port() { sed -n 's|.*metrics on http://[^ ]*:\([0-9][0-9]*\)/metrics.*|\1|p' "$T/filter.log" | head -1; }
bp_wait_for 60 '[ -n "$(port)" ]' || bp_fail "bp-filter did not announce its metrics port"
P=$(port)
metric() { # the value of an unlabelled metric of the filter
  curl -s "http://127.0.0.1:$P/metrics" | awk -v m="$1" '$1 == m { print $2 + 0 }'
}
posts_in() { metric bp_posts_in_total; }
now() { date +%s.%N; }
# from the first post read to the last (rule loading and the group join left out)
bp_wait_for 120 '[ "$(posts_in)" -gt 0 ] 2>/dev/null' || bp_fail "bp-filter read nothing"
t0=$(now)
n0=$(posts_in)
pending() { metric bp_outputs_pending; }
bp_wait_for 120 '[ "$(posts_in)" -ge "$N" ] 2>/dev/null' || bp_fail "bp-filter read only $(posts_in) of $N posts"
t_read=$(now)
# to the last acknowledgement: every mention and alert of every post in the broker
bp_wait_for 120 '[ "$(pending)" = 0 ]' || bp_fail "outputs still pending: $(pending)"
t1=$(now)
bp_stop filter || bp_fail "bp-filter did not stop cleanly"
# its own count of the mentions it wrote (a clean stop waits for every acknowledgement)
got=$(sed -n 's/.*stopped: posts [0-9]*, mentions \([0-9]*\),.*/\1/p' "$T/filter.log" | tail -1)
awk -v n="$N" -v n0="$n0" -v a="$t0" -v b="$t1" -v r="$t_read" -v got="$got" -v want="$want" 'BEGIN {
  printf "bp-filter on bp-broker (Kafka mode, filter on one core, broker beside it): %d posts, %d mentions (file mode: %d), %.0f posts/s (read and judged: %.0f posts/s)\n",
    n, got, want, (n - n0) / (b - a), (n - n0) / (r - a) }'
[ "$got" = "$want" ] || bp_fail "the Kafka run wrote $got mentions, file mode $want"
