#!/usr/bin/env bash
# 0604-replay-html.sh — the HTML report opened in a real headless browser (Debian's chromium):
# the SVG charts are in the rendered DOM (one chart per brand with one bar per bucket holding
# mentions, the negative-share line, the top-terms chart, the urgent-posts table), they are
# painted (bar and line colours in a screenshot), and the page makes no network request
# (net log, checked against a canary page that does make requests). Needs chromium
# (scripts/deps-extra.txt).
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/replay
CHROMIUM=${BP_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || bp_fail "$CHROMIUM not found: run scripts/install-deps.sh (scripts/deps-extra.txt lists chromium)"
bp_start_broker 3
"$BP_TOOLS/bp-produce-ts" --topic bp.posts --input "$D/corpus.tsv" 2>"$T/produce.log" || bp_fail "produce"

"$BP_BIN/bp-replay" --topic bp.posts --no-progress --rules "$D/rules-a" --compare "$D/rules-b" \
  --bucket hour --format html -o "$T/report.html" 2>>"$T/replay.log" || bp_fail "html run"
"$BP_BIN/bp-replay" --topic bp.posts --no-progress --rules "$D/rules-a" --format jsonl \
  >"$T/m.jsonl" 2>>"$T/replay.log" || bp_fail "jsonl run"

# 1. nothing in the file that could load something
if grep -niE '<script|<link|<iframe|<object|<embed|<img|\bsrc=|\bhref=|url\(|@import' "$T/report.html"; then
  bp_fail "the report references external resources"
fi

chrome() { # chrome NETLOG ARGS... — a headless run that cannot resolve any host name
  local netlog=$1; shift
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --user-data-dir="$(mktemp -d "$T/prof.XXXXXX")" \
    --host-resolver-rules='MAP * ~NOTFOUND' --log-net-log="$netlog" --net-log-capture-mode=Everything \
    "$@" 2>>"$T/chromium.log"
}
# requests made by the page: the browser's own background requests have no initiating origin
page_requests() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
for e in d["events"]:
    p = e.get("params") or {}
    if types[e["type"]] == "URL_REQUEST_START_JOB" and "url" in p and p.get("initiator") != "not an origin":
        print(p["url"])
PY
}

# 2. the rendered DOM holds the charts
chrome "$T/net.json" --dump-dom "file://$T/report.html" >"$T/dom.html" || bp_fail "chromium --dump-dom failed"
python3 - "$T/dom.html" "$T/m.jsonl" <<'PY' || bp_fail "charts missing from the rendered DOM"
import json, sys, re
from html.parser import HTMLParser
rows = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
# expected: one bar per (brand, hour of published_at) holding mentions
cells = {}
for m in rows:
    for b in m["brands"]:
        cells.setdefault(b, set()).add(m["published_at"][:13])
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.charts = {}; s.cur = None; s.terms = 0; s.urgent_rows = 0; s.in_urgent = False
    def handle_starttag(s, tag, a):
        a = dict(a); cls = a.get("class", "")
        if tag == "svg" and "chart-brand" in cls:
            s.cur = a["data-brand"]; s.charts[s.cur] = {"bar": 0, "neg": 0, "pts": 0}
        elif tag == "svg" and "chart-terms" in cls:
            s.cur = "#terms"
        elif tag == "rect" and cls == "bar" and s.cur: s.charts[s.cur]["bar"] += 1
        elif tag == "polyline" and cls == "neg" and s.cur:
            s.charts[s.cur]["neg"] += 1; s.charts[s.cur]["pts"] = len(a.get("points", "").split())
        elif tag == "rect" and cls == "term": s.terms += 1
        elif tag == "table" and a.get("id") == "urgent": s.in_urgent = True
        elif tag == "tr" and s.in_urgent: s.urgent_rows += 1
    def handle_endtag(s, tag):
        if tag == "svg": s.cur = None
        if tag == "table": s.in_urgent = False
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
assert set(p.charts) == set(cells), (p.charts.keys(), cells.keys())
for b, c in p.charts.items():
    assert c["bar"] == len(cells[b]), (b, c, len(cells[b]))
    assert c["neg"] == 1 and c["pts"] == len(cells[b]), (b, c)
terms = set()
for m in rows:
    terms |= {t["term"] for t in m["sentiment"]["terms"] if t["weight"] < 0}
assert p.terms == len(terms) and p.terms > 0, (p.terms, terms)
assert p.urgent_rows - 1 == min(25, len(rows)), p.urgent_rows
dom = open(sys.argv[1], encoding="utf-8").read()
cmp = re.search(r'<table id="disagreements">(.*?)</table>', dom, re.S)
assert cmp and cmp.group(1).count("<tr>") - 1 == 6, "the rule comparison lists the 6 planted disagreements"
print("dom ok:", {b: c["bar"] for b, c in p.charts.items()}, "terms", p.terms)
PY
n=$(page_requests "$T/net.json" | tee "$T/requests.txt" | grep -c .)
[ "$n" -eq 0 ] || { cat "$T/requests.txt"; bp_fail "the report made $n network request(s)"; }

# 3. the charts are painted: bar blue and line red pixels in a screenshot
chrome "$T/net2.json" --window-size=1000,1600 --hide-scrollbars --screenshot="$T/shot.png" \
  "file://$T/report.html" >/dev/null || bp_fail "chromium --screenshot failed"
python3 - "$T/shot.png" <<'PY' || bp_fail "charts not painted"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if typ == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif typ == b"IDAT": idat += body
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); out = []
for y in range(h):
    f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    out.append(bytes(line)); prev = line
def count(rgb):
    return sum(1 for row in out for x in range(0, stride, bpp) if abs(row[x] - rgb[0]) < 8 and abs(row[x + 1] - rgb[1]) < 8 and abs(row[x + 2] - rgb[2]) < 8)
blue, red = count((0x4a, 0x7b, 0xd0)), count((0xd0, 0x34, 0x2c))
print("painted pixels: bars", blue, "negative/terms", red)
assert blue > 500 and red > 500
PY

# 4. the net-log check can see a page's requests: a canary page that loads two resources
printf '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://bp-canary.invalid/x.css"></head><body><img src="http://bp-canary2.invalid/a.png"></body></html>\n' >"$T/canary.html"
chrome "$T/net3.json" --dump-dom "file://$T/canary.html" >/dev/null
page_requests "$T/net3.json" >"$T/canary.txt"
grep -q "bp-canary.invalid" "$T/canary.txt" && grep -q "bp-canary2.invalid" "$T/canary.txt" ||
  { cat "$T/canary.txt"; bp_fail "the net-log check does not see a page's requests"; }
echo ok
