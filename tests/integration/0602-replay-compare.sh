#!/usr/bin/env bash
# 0602-replay-compare.sh — `bp-replay --rules A --compare B` finds exactly the differences
# planted between tests/data/replay/rules-a and rules-b (a variant added, an exclude added, a
# negative term weighted more), and its per-set totals agree with replaying each set alone.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/replay
bp_start_broker 3
"$BP_TOOLS/bp-produce-ts" --topic bp.posts --input "$D/corpus.tsv" 2>"$T/produce.log" || bp_fail "produce"
replay() { "$BP_BIN/bp-replay" --topic bp.posts --no-progress "$@" 2>>"$T/replay.log"; }

replay --rules "$D/rules-a" --compare "$D/rules-b" --format jsonl >"$T/diff.jsonl" || bp_fail "compare run"
# planted: "zeta mobile" is a variant only in B (x:8, x:40: matched and, being "terrible", alert);
# "acme road runner" is excluded only in B (x:23); "broken" weighs -3 in B, so "acme app is
# broken again" (score -3) alerts only in B (x:5, x:17, x:29).
got=$(bp_json 'sorted((r["id"], ",".join(r["diff"])) for r in rows)' <"$T/diff.jsonl")
exp='[["x:17", "alert"], ["x:23", "match"], ["x:29", "alert"], ["x:40", "match,alert"], ["x:5", "alert"], ["x:8", "match,alert"]]'
bp_assert_eq "$got" "$exp" "disagreements"
bp_assert_eq "$(bp_json '[r["b"]["brands"] for r in rows if r["id"]=="x:8"][0]' <"$T/diff.jsonl")" '["zeta"]' "x:8 brands under B"
bp_assert_eq "$(bp_json '[r["a"]["matched"] for r in rows if r["id"]=="x:8"][0]' <"$T/diff.jsonl")" False "x:8 under A"

# per-set totals in the summary equal each set replayed alone
replay --rules "$D/rules-a" --compare "$D/rules-b" --format summary >"$T/sum.txt" || bp_fail "summary run"
for s in a b; do
  replay --rules "$D/rules-$s" --format jsonl >"$T/$s.jsonl"
  m=$(grep -c . "$T/$s.jsonl"); a=$(bp_json 'sum(1 for r in rows if r["alert"])' <"$T/$s.jsonl")
  S=$(echo "$s" | tr a-z A-Z)
  grep -q "^  $S .*rules-$s (version [0-9a-f]*): $m mentions, $a alerts\$" "$T/sum.txt" ||
    { cat "$T/sum.txt"; bp_fail "totals of rules-$s ($m mentions, $a alerts)"; }
done
grep -q "^  disagreements: 6 (match 3, brands 0, alert 5, priority 0, label 0)" "$T/sum.txt" ||
  { cat "$T/sum.txt"; bp_fail "disagreement counts"; }
# a set compared with itself never disagrees
replay --rules "$D/rules-a" --compare "$D/rules-a" --format jsonl >"$T/self.jsonl"
bp_assert_eq "$(grep -c . "$T/self.jsonl")" 0 "self-comparison"
# --brand narrows the comparison to posts either set attributes to the brand
replay --rules "$D/rules-a" --compare "$D/rules-b" --format jsonl --brand zeta >"$T/zeta.jsonl"
bp_assert_eq "$(bp_json 'sorted(r["id"] for r in rows)' <"$T/zeta.jsonl")" '["x:40", "x:8"]' "zeta disagreements"
# broken rules are a configuration error: exit 2 with file:line:col
mkdir -p "$T/bad/brands"; printf 'brand: x\nvariants: [\n' >"$T/bad/brands/x.yaml"
replay --rules "$D/rules-a" --compare "$T/bad" >/dev/null; rc=$?
bp_assert_eq "$rc" 2 "broken rules exit status"
grep -q "x.yaml:[0-9]*:[0-9]*" "$T/replay.log" || bp_fail "broken rules not located"
echo ok
