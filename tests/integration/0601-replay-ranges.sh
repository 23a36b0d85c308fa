#!/usr/bin/env bash
# 0601-replay-ranges.sh — bp-replay over a corpus produced with known timestamps on bp-broker
# (no timestamp lookups: the scan fallback): exact counts for several [from, to) ranges, the
# brand/source/lang narrowing, duplicates and malformed records, re-judging with rules,
# --to-topic re-publishing, and progress shown only on a terminal.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/replay
bp_start_broker 3
"$BP_TOOLS/bp-produce-ts" --topic bp.posts --input "$D/corpus.tsv" 2>"$T/produce.log" || bp_fail "produce"

replay() { "$BP_BIN/bp-replay" --topic bp.posts --no-progress "$@" 2>>"$T/replay.log"; }
count() { replay --format jsonl "$@" | grep -c .; }

# An independent oracle: the corpus's own timestamps, parsed by python.
ms() { date -u -d "$1" +%s000; }
py_count() { # py_count FROM_MS TO_MS CONDITION
  python3 -c '
import json, sys
lo, hi, cond = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seen, n = set(), 0
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#") or "\t" not in line: continue
    ts, val = line.rstrip("\n").split("\t", 1)
    if not (lo <= int(ts) < hi): continue
    try: p = json.loads(val)
    except ValueError: continue
    if p["id"] in seen: continue
    seen.add(p["id"])
    if eval(cond): n += 1
print(n)' "$D/corpus.tsv" "$1" "$2" "$3"
}
MIN=-9000000000000000000 MAX=9000000000000000000

# ranges: expected counts derived from the corpus (one post every 50 min from 2026-11-20T00:00Z,
# x:0..x:71; x:10 twice at 08:20:00 and 08:20:01; a non-JSON record at 10:01)
check_range() { # check_range EXPECTED FROM TO (empty: open)
  local exp=$1 f=$2 t=$3 args=() lo=$MIN hi=$MAX
  [ -n "$f" ] && { args+=(--from "$f"); lo=$(ms "$f"); }
  [ -n "$t" ] && { args+=(--to "$t"); hi=$(ms "$t"); }
  local got; got=$(count "${args[@]}")
  bp_assert_eq "$got" "$exp" "posts in [${f:-begin}, ${t:-end})"
  bp_assert_eq "$(py_count "$lo" "$hi" True)" "$exp" "oracle for [${f:-begin}, ${t:-end})"
}
check_range 72 "" ""
check_range 29 2026-11-20T00:00:00Z 2026-11-21T00:00:00Z
check_range 43 2026-11-21T00:00:00Z ""
check_range 10 "" 2026-11-20T08:20:00Z
check_range 1 2026-11-20T10:00:00Z 2026-11-20T10:50:00Z
check_range 1 2026-11-20T08:20:00Z 2026-11-20T08:20:01Z
check_range 1 2026-11-20T08:20:01Z 2026-11-20T08:20:02Z
check_range 0 2026-11-25T00:00:00Z 2026-11-26T00:00:00Z
# relative times: the whole corpus lies between 100 years ago and now
bp_assert_eq "$(count --from -36500d --to now)" 72 "posts in [-36500d, now)"
# --keep-duplicates counts x:10 twice
bp_assert_eq "$(count --keep-duplicates)" 73 "posts with duplicates kept"

# the summary says what was skipped: 29 posts + the second x:10 + the non-JSON record in range
replay --format summary --from 2026-11-20T00:00:00Z --to 2026-11-21T00:00:00Z >"$T/sum1.txt"
grep -q "^records: .* 31 in range, 1 malformed, 1 duplicates, 0 not selected" "$T/sum1.txt" ||
  { cat "$T/sum1.txt"; bp_fail "summary record counts"; }
grep -q "scan filtered by record timestamps" "$T/sum1.txt" || bp_fail "bp-broker must be detected as having no timestamp lookups"

# narrowing by source and language (post fields)
d1=2026-11-20T00:00:00Z d2=2026-11-22T00:00:00Z
bp_assert_eq "$(count --from $d1 --to $d2 --source vk)" "$(py_count "$(ms $d1)" "$(ms $d2)" 'p["source"]=="vk"')" "--source vk"
bp_assert_eq "$(count --from $d1 --to $d2 --lang de)" "$(py_count "$(ms $d1)" "$(ms $d2)" 'p["lang"]=="de"')" "--lang de"
bp_assert_eq "$(count --from $d1 --to $d2 --source vk,file --lang en)" \
  "$(py_count "$(ms $d1)" "$(ms $d2)" 'p["source"] in ("vk","file") and p["lang"]=="en"')" "--source vk,file --lang en"

# re-judging with rules-a: which templates match and alert (checked with bp-rules explain)
MATCH_A='not p["text"].startswith(("weather", "zeta mobile"))'
ALERT_A='p["text"].startswith(("I hate acme", "zeta telecom is terrible", "someone stole"))'
exp_m=$(py_count "$(ms $d1)" "$(ms $d2)" "$MATCH_A")
exp_a=$(py_count "$(ms $d1)" "$(ms $d2)" "($MATCH_A) and ($ALERT_A)")
replay --rules "$D/rules-a" --format jsonl --from $d1 --to $d2 >"$T/a.jsonl"
bp_assert_eq "$(grep -c . "$T/a.jsonl")" "$exp_m" "mentions under rules-a"
bp_assert_eq "$(bp_json 'sum(1 for r in rows if r["alert"])' <"$T/a.jsonl")" "$exp_a" "alerts under rules-a"
replay --rules "$D/rules-a" --format summary --from $d1 --to $d2 >"$T/sum2.txt"
grep -q "^mentions: $exp_m, .* alerts: $exp_a\$" "$T/sum2.txt" || { cat "$T/sum2.txt"; bp_fail "summary totals"; }
# --brand narrows to mentions of that brand
exp_z=$(py_count "$(ms $d1)" "$(ms $d2)" 'p["text"].startswith("zeta telecom")')
bp_assert_eq "$(replay --rules "$D/rules-a" --format jsonl --from $d1 --to $d2 --brand zeta | grep -c .)" "$exp_z" "--brand zeta"

# --to-topic: re-publish rules-b's mentions into bp.mentions, then read them back as recorded
replay --rules "$D/rules-b" --format summary --to-topic bp.mentions >"$T/sum3.txt" || bp_fail "--to-topic exit status"
exp_b=$(sed -n 's/^mentions: \([0-9]*\),.*/\1/p' "$T/sum3.txt")
[ "$exp_b" -gt 0 ] || bp_fail "no mentions under rules-b"
bp_assert_eq "$(bp_count bp.mentions)" "$exp_b" "mentions re-published"
bp_assert_eq "$(bp_tail bp.mentions | bp_json 'len({r["value"]["rules_version"] for r in rows})')" 1 "one rules_version"
"$BP_BIN/bp-replay" --topic bp.mentions --no-progress --format summary >"$T/sum4.txt" 2>>"$T/replay.log"
grep -q "^mentions: $exp_b," "$T/sum4.txt" || { cat "$T/sum4.txt"; bp_fail "re-published mentions read back"; }
bp_assert_eq "$(sed -n 's/.* alerts: //p' "$T/sum4.txt" | head -1)" "$(sed -n 's/.* alerts: //p' "$T/sum3.txt" | head -1)" "alerts read back"

# progress: nothing on a pipe, a line on a terminal
"$BP_BIN/bp-replay" --topic bp.posts --format jsonl >/dev/null 2>"$T/pipe.err" || bp_fail "pipe run"
if grep -qE 'records \(|[0-9]+/s' "$T/pipe.err" || grep -q $'\r' "$T/pipe.err"; then bp_fail "progress printed on a pipe"; fi
if command -v script >/dev/null; then
  script -qec "$BP_BIN/bp-replay --topic bp.posts --format jsonl --brokers $BP_BROKERS >/dev/null" "$T/tty.out" >/dev/null 2>&1 </dev/null
  grep -qE "[0-9]+/[0-9]+ records \([0-9]+%\), [0-9]+/s" "$T/tty.out" || { cat -v "$T/tty.out" | head; bp_fail "no progress on a terminal"; }
fi

# usage errors exit 2 and name the problem
"$BP_BIN/bp-replay" --topic bp.posts --from yesterday >/dev/null 2>"$T/u.err"; rc=$?
bp_assert_eq "$rc" 2 "bad --from exit status"
grep -q "yesterday" "$T/u.err" || bp_fail "bad --from not named"
"$BP_BIN/bp-replay" --topic bp.posts --compare "$D/rules-b" >/dev/null 2>&1; bp_assert_eq "$?" 2 "--compare without --rules"
"$BP_BIN/bp-replay" --topic bp.nosuchtopic --no-progress >/dev/null 2>"$T/nt.err"; bp_assert_eq "$?" 1 "unknown topic"
# a delivery that fails for good (the broker refuses every Produce) makes --to-topic exit 1
bp_broker_control 'errors 0 999 10'
bp_wait_for 10 '[ ! -e "$T/broker.control" ]' || bp_fail "bp-broker did not take the control command"
replay --rules "$D/rules-a" --format summary --to-topic bp.backfill >/dev/null; rc=$?
bp_assert_eq "$rc" 1 "--to-topic exit status when deliveries fail"
grep -q "re-published mentions failed" "$T/replay.log" || bp_fail "failed deliveries not reported"
echo "ok"
