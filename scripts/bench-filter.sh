#!/usr/bin/env bash
# bench-filter.sh — filter throughput (issue 3, item 8): bp-filter in file mode over a generated
# corpus of ~300-byte posts with 1,000 generated brand rules plus the default lexicons, learned
# scorers and policy, beside a plain PCRE2-JIT loop over the same rules and corpus, on one core.
# Prints figures; not a pass/fail test.
# Environment: BP_BIN, BP_TOOLS (set by make), BENCH_POSTS (default 100000), BENCH_BRANDS (1000),
# BENCH_PLAIN_POSTS (posts the slow plain loop runs on, default 1000), BENCH_INSTR=N (also count
# bp-filter's instructions per post with valgrind's callgrind over the first N posts, minus a run
# over no posts: stable where wall-clock figures are noisy; off by default, it takes minutes).
set -eu
cd "$(dirname "$0")/.."
: "${BP_BIN:=$PWD/bin}" "${BP_TOOLS:=$PWD/build/rel/tools}"
posts=${BENCH_POSTS:-100000}
brands=${BENCH_BRANDS:-1000}
tmp=$(mktemp -d /tmp/bp-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"

mkdir -p "$tmp/rules"
cp -r rules/lexicon "$tmp/rules/"
[ -f rules/policy.yaml ] && cp rules/policy.yaml "$tmp/rules/"
[ -d rules/model ] && cp -r rules/model "$tmp/rules/"
"$BP_TOOLS/bench_gen" --brands "$brands" --rules-out "$tmp/rules" --posts "$posts" --out "$tmp/posts.jsonl"
bytes=$(wc -c <"$tmp/posts.jsonl")
textbytes=$(grep -o '"text":"[^"]*"' "$tmp/posts.jsonl" | head -2000 | awk '{ s += length($0) - 9 } END { printf "%d", s / NR }')
echo "corpus: $posts posts, $((bytes / posts)) bytes per record (text ~${textbytes} chars)"
"$BP_BIN/bp-rules" lint "$tmp/rules" | tail -1

now() { date +%s.%N; }
t0=$(now)
$pin "$BP_BIN/bp-filter" --rules "$tmp/rules" --input "$tmp/posts.jsonl" --output "$tmp/mentions.jsonl" 2>"$tmp/filter.log"
t1=$(now)
mentions=$(wc -l <"$tmp/mentions.jsonl")
filter_rate=$(awk -v n="$posts" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
echo "bp-filter (file mode, prefilter): $posts posts, $mentions mentions, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, $filter_rate posts/s"
# bp-filter's own figure leaves out loading and compiling the rules
own=$(sed -n 's/.* \([0-9]*\) posts\/s$/\1/p' "$tmp/filter.log" | tail -1)
[ -n "$own" ] && echo "bp-filter (file mode), rule loading left out: $own posts/s"
# per core: posts per second of CPU the filter used (the wall clock of a shared machine also
# counts the time other processes had the core)
cpu=$(sed -n 's/.*, \([0-9]*\) posts per CPU second.*/\1/p' "$tmp/filter.log" | tail -1)
[ -n "$cpu" ] && echo "bp-filter (file mode), rule loading left out: $cpu posts per CPU second (per core)"

if [ "${BENCH_INSTR:-0}" -gt 0 ] && command -v valgrind >/dev/null; then
  head -n "$BENCH_INSTR" "$tmp/posts.jsonl" >"$tmp/some.jsonl"
  : >"$tmp/none.jsonl"
  instr() { # instructions of bp-filter over one input
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$BP_BIN/bp-filter" --rules "$tmp/rules" \
      --input "$1" --output /dev/null 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  some=$(instr "$tmp/some.jsonl")
  none=$(instr "$tmp/none.jsonl")
  n=$(wc -l <"$tmp/some.jsonl")
  awk -v a="$some" -v b="$none" -v n="$n" 'BEGIN { if (a > 0 && n > 0)
    printf "bp-filter (file mode): %.0f instructions per post (callgrind, %d posts, rule loading subtracted)\n", (a - b) / n, n }'
fi

plain=$($pin "$BP_TOOLS/bench_plainloop" "$tmp/rules" "$tmp/posts.jsonl" "$tmp/plain.jsonl" "${BENCH_PLAIN_POSTS:-1000}")
echo "$plain"
plain_rate=$(echo "$plain" | sed -n 's/.* \([0-9]*\) posts\/s$/\1/p')
awk -v f="$filter_rate" -v p="$plain_rate" 'BEGIN { if (p > 0) printf "speed-up over the plain loop: %.1fx\n", f / p }'
