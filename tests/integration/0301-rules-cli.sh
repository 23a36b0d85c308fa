#!/usr/bin/env bash
# 0301-rules-cli.sh — bp-rules as rule writers use it: lint (clean and broken sets, exit codes,
# file:line:col), test (passing, failing with spans), explain (text, stdin, policy options).
source "$(dirname "$0")/lib.sh"
R="$BP_BIN/bp-rules"
D="$BP_ROOT/tests/data/rules"
cd "$BP_ROOT"

# --help / --version / bad usage
"$R" --help | grep -q "bp-rules lint DIR" || bp_fail "--help"
"$R" --version | grep -qE "^bp-rules [0-9]" || bp_fail "--version"
"$R" >/dev/null 2>&1; [ $? -eq 2 ] || bp_fail "no arguments must exit 2"
"$R" frobnicate x >/dev/null 2>"$T/usage.err"; [ $? -eq 2 ] || bp_fail "unknown command must exit 2"
grep -q "unknown command 'frobnicate'" "$T/usage.err" || bp_fail "unknown command message"
"$R" explain "text" >/dev/null 2>&1; [ $? -eq 2 ] || bp_fail "explain without --rules must exit 2"

# lint: clean
"$R" lint tests/data/rules/good >"$T/lint.out" 2>&1 || bp_fail "lint good: $(cat "$T/lint.out")"
grep -q "ok: 6 brands, 2 lexicons" "$T/lint.out" || bp_fail "lint summary: $(cat "$T/lint.out")"

# lint: broken sets exit 2 and name file:line:col
"$R" lint tests/data/rules/bad-regex >"$T/lint2.out" 2>&1; rc=$?
[ $rc -eq 2 ] || bp_fail "lint bad-regex exit $rc"
grep -qF "tests/data/rules/bad-regex/brands/acme.yaml:6:5: brand 'acme': patterns[1]: bad regex at offset 13: missing closing parenthesis" "$T/lint2.out" \
  || bp_fail "bad regex message: $(cat "$T/lint2.out")"
"$R" lint tests/data/rules/bad-weight >"$T/lint3.out" 2>&1; [ $? -eq 2 ] || bp_fail "bad-weight exit"
[ "$(grep -c '^tests/data/rules/bad-weight/lexicon/ru.yaml:' "$T/lint3.out")" -eq 4 ] || bp_fail "all 4 errors listed: $(cat "$T/lint3.out")"
grep -q "4 errors" "$T/lint3.out" || bp_fail "error count"
"$R" lint "$T/nope" >/dev/null 2>&1; [ $? -eq 2 ] || bp_fail "missing dir exit"

# test: the good set passes
"$R" test tests/data/rules/good >"$T/test.out" 2>&1 || bp_fail "test good: $(cat "$T/test.out")"
grep -qE "^[0-9]+ examples, [0-9]+ passed, 0 failed$" "$T/test.out" || bp_fail "test summary"

# test: a failing example exits 1 and shows the spans found
mkdir -p "$T/r/brands"
cat >"$T/r/brands/alfa.yaml" <<'EOF'
brand: alfabank
variants: [альфа банк, альфа]
exclude: ['альфа[ -]?центавр\w*']
near: {terms: [банк, карта], words: 3}
examples:
  match: ["альфа опять висит", "Альфа-Банк"]
  no_match: ["Альфа-Центавра и Альфа-Банк"]
EOF
"$R" test "$T/r" >"$T/test2.out" 2>&1; rc=$?
[ $rc -eq 1 ] || bp_fail "failing examples must exit 1, got $rc"
grep -qF "$T/r/brands/alfa.yaml:6:11: brand 'alfabank': FAIL \"альфа опять висит\": expected a match, found none" "$T/test2.out" || bp_fail "fail line: $(cat "$T/test2.out")"
grep -qF "IGNORED: no near term within 3 words" "$T/test2.out" || bp_fail "near reason"
grep -qF "EXCLUDED: overlaps an exclude pattern" "$T/test2.out" || bp_fail "excluded span shown"
grep -qF "[31,50) \"Альфа-Банк\"" "$T/test2.out" || bp_fail "span of the hit shown"
grep -q "^3 examples, 1 passed, 2 failed$" "$T/test2.out" || bp_fail "summary: $(tail -1 "$T/test2.out")"

# test: broken rules exit 2
"$R" test tests/data/rules/dup-brand >/dev/null 2>&1; [ $? -eq 2 ] || bp_fail "test on broken rules must exit 2"

# explain: text argument, policy options
"$R" explain --rules tests/data/rules/good --followers 15300 'Билайн лучше МТС. Приватбанк ОЧЕНЬ плохо' >"$T/ex.out" \
  || bp_fail "explain failed"
grep -qF 'normalized "билайн лучше мтс. приватбанк очень плохо"' "$T/ex.out" || bp_fail "normalized line"
grep -qF '"плохо": -2 x 1.5 ("ОЧЕНЬ") = -3' "$T/ex.out" || bp_fail "arithmetic: $(cat "$T/ex.out")"
grep -qF 'mts: -2 (negative)' "$T/ex.out" || bp_fail "brand sentiment"
grep -qF 'alert: yes because score <= -3; negative and followers >= 10000' "$T/ex.out" || bp_fail "decision"
grep -qF 'reasons: negative:-3 reach:15300' "$T/ex.out" || bp_fail "reasons"

# explain: stdin, VIP author, invalid UTF-8 repaired with a warning
printf 'Приватбанк плохо\n' | "$R" explain --rules tests/data/rules/good --author x:12345 - >"$T/ex2.out" || bp_fail "explain stdin"
grep -qF 'reasons: negative:-2 vip:x:12345' "$T/ex2.out" || bp_fail "vip: $(cat "$T/ex2.out")"
printf 'Приватбанк \xff плохо' | "$R" explain --rules tests/data/rules/good - >"$T/ex3.out" 2>"$T/ex3.err" || bp_fail "explain invalid utf-8"
grep -q "not valid UTF-8 at byte 21" "$T/ex3.err" || bp_fail "utf-8 warning: $(cat "$T/ex3.err")"
grep -qF 'privatbank: -2 (negative)' "$T/ex3.out" || bp_fail "judged after repair"

# explain: a pattern that hits the match limit is reported, exit 1
"$R" explain --rules tests/data/rules/catastrophic "acme $(printf 'ab%.0s' $(seq 1 40))!" >"$T/ex4.out"; rc=$?
[ $rc -eq 1 ] || bp_fail "match limit exit $rc"
grep -q "match limit exceeded" "$T/ex4.out" || bp_fail "match limit message"

# the shipped pack lints and its examples pass
if [ -d rules/brands ]; then
  "$R" lint rules >"$T/pack.out" 2>&1 || bp_fail "rules/ lint: $(tail -5 "$T/pack.out")"
  "$R" test rules >"$T/pack2.out" 2>&1 || bp_fail "rules/ test: $(grep FAIL "$T/pack2.out" | head -5)"
fi
echo ok
