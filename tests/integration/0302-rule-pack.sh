#!/usr/bin/env bash
# The default rule pack: every example in rules/ passes `bp-rules test`, lint is clean, and the
# demo posts give the decisions a care team expects (an urgent stolen-money complaint alerts,
# posts about no brand produce no mention, a multi-brand comparison judges each brand).
source "$(dirname "$0")/lib.sh"
"$BP_BIN/bp-rules" lint "$BP_ROOT/rules" >"$T/lint.log" 2>&1 || { cat "$T/lint.log"; bp_fail "lint"; }
"$BP_BIN/bp-rules" test "$BP_ROOT/rules" >"$T/test.log" 2>&1 || { tail -30 "$T/test.log"; bp_fail "rule examples"; }
"$BP_BIN/bp-filter" --rules "$BP_ROOT/rules" --input "$BP_ROOT/demo/posts.jsonl" --output "$T/mentions.jsonl" 2>"$T/filter.log" ||
  bp_fail "bp-filter file mode"
check() { # check PYTHON-CONDITION MESSAGE
  python3 - "$T/mentions.jsonl" "$1" <<'PY' || bp_fail "$2"
import json, sys
m = {}
for l in open(sys.argv[1]):
    r = json.loads(l); m[r["id"]] = r
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
check 'm["demo:2"]["alert"] and m["demo:2"]["priority"] == "urgent" and "urgent:stolen_money" in m["demo:2"]["reasons"]' \
  "demo:2 (money stolen) must be an urgent alert"
for id in demo:12 demo:21 demo:33 demo:34; do
  check "'$id' not in m" "$id is about no brand and must not be a mention"
done
check 'all(r["rules_version"] == next(iter(m.values()))["rules_version"] for r in m.values())' "one rules_version"
check 'all(t["start"] < t["end"] for r in m.values() for t in r["matches"])' "match spans"
# spans are byte offsets into the original text and cover the brand as written
check 'all(any(c.isalpha() for c in r["text"].encode()[t["start"]:t["end"]].decode("utf-8", "replace")) for r in m.values() for t in r["matches"])' \
  "match spans must cover letters of the original text"
