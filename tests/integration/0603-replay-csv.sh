#!/usr/bin/env bash
# 0603-replay-csv.sh — `bp-replay --format csv` round-trips through python3's csv module: every
# field (texts with quotes, commas, newlines, Cyrillic and emoji) reads back equal to the JSONL
# output of the same replay; RFC 4180 CRLF record ends; --bom writes the UTF-8 BOM first.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/replay
bp_start_broker 3
"$BP_TOOLS/bp-produce-ts" --topic bp.posts --input "$D/corpus.tsv" 2>"$T/produce.log" || bp_fail "produce"
replay() { "$BP_BIN/bp-replay" --topic bp.posts --no-progress --rules "$D/rules-a" "$@" 2>>"$T/replay.log"; }

replay --format jsonl >"$T/m.jsonl" || bp_fail "jsonl run"
replay --format csv -o "$T/m.csv" || bp_fail "csv run"
replay --format csv --bom >"$T/bom.csv" || bp_fail "csv --bom run"
[ "$(head -c 3 "$T/bom.csv" | od -An -tx1 | tr -d ' ')" = "efbbbf" ] || bp_fail "no UTF-8 BOM"
[ "$(head -c 3 "$T/m.csv" | od -An -tx1 | tr -d ' ')" != "efbbbf" ] || bp_fail "BOM without --bom"
# records come in the order partitions deliver them, which differs from run to run: compare
# the header and the sorted lines
[ "$(tail -c +4 "$T/bom.csv" | head -1)" = "$(head -1 "$T/m.csv")" ] || bp_fail "--bom changed the header"
cmp -s <(tail -c +4 "$T/bom.csv" | sort) <(sort "$T/m.csv") || bp_fail "--bom changed more than the first 3 bytes"

python3 - "$T/m.jsonl" "$T/m.csv" "$T/bom.csv" <<'PY' || bp_fail "CSV round trip"
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
raw = open(sys.argv[2], "rb").read()
# RFC 4180: every record ends with CRLF; a bare LF occurs only inside quoted fields
assert raw.endswith(b"\r\n"), "last record does not end with CRLF"
for path, enc in ((sys.argv[2], "utf-8"), (sys.argv[3], "utf-8-sig")):
    with open(path, encoding=enc, newline="") as f:
        recs = list(csv.DictReader(f, strict=True))
    assert len(recs) == len(rows), (len(recs), len(rows))
    assert len(rows) > 40
    byid = {r["id"]: r for r in recs}
    multiline = quoted = 0
    for m in rows:
        r = byid[m["id"]]
        assert r["text"] == m["text"], (r["text"], m["text"])
        multiline += "\n" in m["text"]
        quoted += '"' in m["text"]
        assert r["published_at"] == m["published_at"]
        assert r["brands"] == ";".join(m["brands"])
        assert r["alert"] == ("true" if m["alert"] else "false")
        assert r["priority"] == m["priority"]
        assert r["label"] == m["sentiment"]["label"]
        assert float(r["score"]) == float(m["sentiment"]["score"])
        assert r["author_name"] == m["author"]["name"]
        assert int(r["followers"]) == m["author"]["followers"]
        assert r["reasons"] == ";".join(m["reasons"])
        assert r["url"] == m["url"]
    assert multiline > 0 and quoted > 0, "the corpus must exercise quoting"
print("csv ok:", len(rows), "rows")
PY

# the comparison as CSV parses too, one row per disagreement
replay --compare "$D/rules-b" --format csv >"$T/cmp.csv" || bp_fail "compare csv"
bp_assert_eq "$(python3 -c 'import csv,sys; print(sorted(r["id"] for r in csv.DictReader(open(sys.argv[1], newline=""))))' "$T/cmp.csv")" \
  "['x:17', 'x:23', 'x:29', 'x:40', 'x:5', 'x:8']" "compare csv ids"
echo ok
