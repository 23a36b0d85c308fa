#!/usr/bin/env bash
# bp-replay --format summary shows freshness per source: median / p95 / max of
# (collected_at - published_at) and (filtered_at - published_at), from the records' own times
# (also when the records are re-judged with rules), nearest-rank percentiles.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/watchdog
bp_start_broker 3
"$BP_TOOLS/bp-produce-ts" --topic bp.mentions --input "$D/fresh.tsv" 2>"$T/produce.log" || bp_fail "produce"
"$BP_BIN/bp-replay" --topic bp.mentions --no-progress --format summary >"$T/summary.txt" 2>"$T/replay.log" \
  || bp_fail "bp-replay: $(cat "$T/replay.log")"
sed -n '/^freshness per source/,/^$/p' "$T/summary.txt" | sed '/^$/d' >"$T/fresh.txt"
cat >"$T/want.txt" <<'TXT'
freshness per source (from published_at; median / p95 / max):
  source         collected                                  filtered
  reddit                 1  45.0 s / 45.0 s / 45.0 s               0  -
  rss                    4  2.0 s / 1.7 min / 1.7 min              4  3.0 s / 1.7 min / 1.7 min
  vk                     2  0 ms / 30.0 min / 30.0 min             2  200 ms / 30.0 min / 30.0 min
TXT
diff -u "$T/want.txt" "$T/fresh.txt" >"$T/diff.txt" || bp_fail "freshness lines: $(cat "$T/diff.txt")"
# narrowed to one source; re-judged with rules the record's own filtered_at still counts
"$BP_BIN/bp-replay" --topic bp.mentions --no-progress --format summary --source vk \
  --rules "$BP_ROOT/rules" >"$T/vk.txt" 2>>"$T/replay.log" || bp_fail "bp-replay --rules: $(cat "$T/replay.log")"
grep -qx '  vk                     2  0 ms / 30.0 min / 30.0 min             2  200 ms / 30.0 min / 30.0 min' "$T/vk.txt" \
  || bp_fail "freshness with --source vk --rules: $(sed -n '/^freshness/,/^$/p' "$T/vk.txt")"
grep -q '^  rss ' "$T/vk.txt" && bp_fail "--source vk listed rss"
exit 0
