#!/usr/bin/env bash
# 0305-learned-scorer.sh — the learned sentiment scorer end to end: `bp-rules features` gives the
# trainer the engine's own features, bp-filter adds the model's part to each brand's score (and
# its file changes rules_version), explain shows the learned lines, a broken model file is
# refused with file:line:col, and the shipped pack's models load and keep every example passing.
source "$(dirname "$0")/lib.sh"
R="$BP_BIN/bp-rules"
G="$BP_ROOT/tests/data/learned/rules"
cd "$BP_ROOT"

# features: one line per brand found, with the lexicon score and the window's features
cat >"$T/in.jsonl" <<'EOF'
{"id":"a","text":"МТС молодец. Сбербанк не работает :)","lang":"ru"}
{"id":"b","text":"нет бренда","lang":"ru"}
EOF
"$R" features --rules "$G" --scope sentence "$T/in.jsonl" >"$T/feat.jsonl" || bp_fail "features exit"
[ "$(wc -l <"$T/feat.jsonl")" -eq 2 ] || bp_fail "features: two brands expected: $(cat "$T/feat.jsonl")"
grep -qF '{"id":"a","brand":"sberbank","lex":0.0,"features":["не","<b> не","работ","!работ","не работ",":)"]}' "$T/feat.jsonl" ||
  bp_fail "sberbank features: $(cat "$T/feat.jsonl")"
grep -qF '{"id":"a","brand":"mts","lex":0.0,"features":["молод","<b> молод"]}' "$T/feat.jsonl" ||
  bp_fail "mts features: $(cat "$T/feat.jsonl")"
"$R" features --rules "$G" --scope paragraph "$T/in.jsonl" >/dev/null 2>&1; [ $? -eq 2 ] || bp_fail "bad --scope must exit 2"
echo '{"id":' | "$R" features --rules "$G" >/dev/null 2>"$T/bad.err"; [ $? -eq 1 ] || bp_fail "bad JSON must exit 1"
grep -q "^bp-rules: -:1:" "$T/bad.err" || bp_fail "bad JSON names the line: $(cat "$T/bad.err")"

# bp-filter: brand scores are lexicon + blend x (bias + weights): 2 x (0.125 + 1.25) for mts;
# 2 x (0.125 - 0.25 - 0.5 - 1.5 + 0.75) for sberbank
cat >"$T/posts.jsonl" <<'EOF'
{"v":1,"id":"t:1","source":"x","feed":"t","kind":"post","author":{"id":"x:1","name":"","followers":0},"text":"МТС молодец. Сбербанк не работает :)","lang":"ru","published_at":"2026-11-22T06:37:13Z"}
EOF
"$BP_BIN/bp-filter" --rules "$G" --input "$T/posts.jsonl" --output "$T/out.jsonl" 2>"$T/filter.log" || bp_fail "bp-filter"
python3 - "$T/out.jsonl" <<'PY' || bp_fail "brand scores: $(cat "$T/out.jsonl")"
import json, sys
m = json.loads(open(sys.argv[1]).readline())
bs = m["brand_sentiment"]
assert bs["mts"] == {"score": 2.8, "label": "positive"}, bs
assert bs["sberbank"] == {"score": -2.8, "label": "negative"}, bs
assert m["sentiment"]["score"] == 0  # the post's lexicon total is the lexicon's alone
PY

# rules_version covers the model file
v1=$("$R" lint "$G" | sed -n 's/.*version \([0-9a-f]*\)$/\1/p')
cp -r "$G" "$T/g2"
sed -i 's/":)": 0.75/":)": 0.5/' "$T/g2/model/sentiment-ru.yaml"
v2=$("$R" lint "$T/g2" | sed -n 's/.*version \([0-9a-f]*\)$/\1/p')
[ -n "$v1" ] && [ -n "$v2" ] && [ "$v1" != "$v2" ] || bp_fail "rules_version must change with the model ($v1 $v2)"

# explain: the learned lines in the score section
"$R" explain --rules "$G" --lang ru "Сбербанк не работает" >"$T/explain.out" || bp_fail "explain"
grep -qF '    learned «не работ»: -1.5' "$T/explain.out" || bp_fail "explain learned line: $(cat "$T/explain.out")"
grep -qF '    sberbank = lexicon 0 + learned -4.25 = -4.25' "$T/explain.out" || bp_fail "explain sum: $(cat "$T/explain.out")"

# a broken model file: exit 2, file:line:col and the feature at fault
cp -r "$G" "$T/bad"
printf '  - "плох": -x\n' >>"$T/bad/model/sentiment-ru.yaml"
"$R" lint "$T/bad" >"$T/bad.out" 2>&1; rc=$?
[ $rc -eq 2 ] || bp_fail "broken model: exit $rc"
grep -qF "$T/bad/model/sentiment-ru.yaml:17:13: model: features.'плох': expected a number" "$T/bad.out" ||
  bp_fail "broken model message: $(cat "$T/bad.out")"

# the shipped pack: its models load, and every example still passes
"$R" lint rules >"$T/pack.out" 2>&1 || bp_fail "lint rules/: $(cat "$T/pack.out")"
"$R" test rules >"$T/pack-test.out" 2>&1 || bp_fail "test rules/: $(tail -20 "$T/pack-test.out")"
exit 0
