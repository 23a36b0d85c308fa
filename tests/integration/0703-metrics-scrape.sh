#!/usr/bin/env bash
# 0703-metrics-scrape.sh — the metrics endpoints of a real pipeline on bp-broker (issue 7 items
# 2, 4, 6): bp-collect-file and bp-filter serve /metrics, /healthz and /readyz on an ephemeral
# port; the text parses strictly (names, labels, escaping, cumulative histograms); the counters
# agree with what actually landed in Kafka; consumer lag comes from librdkafka's statistics;
# SIGTERM ends the filter cleanly within a bounded time. Metric names: docs/metrics.md.
source "$(dirname "$0")/lib.sh"
posts="$BP_ROOT/tests/data/ops/posts.jsonl"
N=$(grep -c . "$posts")

# prom PORT 'EXPR' — scrapes http://127.0.0.1:PORT/metrics, validates the whole text and prints
# EXPR evaluated with v(name, **labels) = sum of the matching samples (None if there are none)
# and n(name, **labels) = number of matching series. Exit 3 if the text does not parse.
prom() {
  python3 - "$1" "$2" <<'PY'
import re, sys, urllib.request
port, expr = sys.argv[1], sys.argv[2]
resp = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
ctype = resp.headers.get("Content-Type", "")
text = resp.read().decode("utf-8")
def die(msg):
    print(f"unparseable metrics: {msg}", file=sys.stderr); sys.exit(3)
if "version=0.0.4" not in ctype: die(f"content type {ctype!r}")
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lab_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
types, samples = {}, []
for ln in text.split("\n"):
    if not ln: continue
    if ln.startswith("# TYPE "):
        _, _, nm, ty = ln.split(" ", 3)
        if nm in types: die(f"two TYPE lines for {nm}")
        types[nm] = ty; continue
    if ln.startswith("#"): continue
    m = re.fullmatch(rf"({name_re})(?:\{{(.*)\}})? (\S+)", ln)
    if not m: die(ln)
    labels, rest = {}, m.group(2) or ""
    while rest:
        lm = lab_re.match(rest)
        if not lm: die(f"labels in {ln}")
        labels[lm.group(1)] = lm.group(2)
        rest = rest[lm.end():]
        if rest.startswith(","): rest = rest[1:]
        elif rest: die(f"labels in {ln}")
    try: val = float(m.group(3))
    except ValueError: die(ln)
    base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
    if m.group(1) not in types and base not in types: die(f"no TYPE before {m.group(1)}")
    samples.append((m.group(1), labels, val))
# histograms: buckets cumulative, +Inf == _count
hist = {}
for nm, lb, val in samples:
    if nm.endswith("_bucket") and types.get(nm[:-7]) == "histogram":
        key = (nm[:-7], tuple(sorted((k, x) for k, x in lb.items() if k != "le")))
        hist.setdefault(key, []).append((float(lb["le"]), val))
for (nm, key), bs in hist.items():
    vals = [x for _, x in bs]
    if vals != sorted(vals) or bs[-1][0] != float("inf"): die(f"{nm} buckets not cumulative")
    cnt = [x for n2, lb, x in samples if n2 == nm + "_count"
           and tuple(sorted(lb.items())) == key]
    if cnt != [vals[-1]]: die(f"{nm}: +Inf bucket {vals[-1]} != count {cnt}")
def match(name, labels):
    return [x for nm, lb, x in samples if nm == name
            and all(lb.get(k) == str(w) for k, w in labels.items())]
def v(name, **labels):
    m = match(name, labels); return sum(m) if m else None
def n(name, **labels): return len(match(name, labels))
r = eval(expr)
print(int(r) if isinstance(r, float) and r.is_integer() else r)
PY
}

# status PORT PATH — the HTTP status of GET http://127.0.0.1:PORT/PATH (000 if no answer)
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2"; }

# metrics_port NAME — the port NAME's log announced ("metrics on http://H:P/metrics")
metrics_port() { sed -n 's|.*metrics on http://[^ ]*:\([0-9][0-9]*\)/metrics.*|\1|p' "$T/$1.log" | head -1; }

bp_start_broker 3

cat >"$T/filter.yaml" <<EOF
kafka:
  group: ops-metrics
  rdkafka:
    session.timeout.ms: "6000"
    heartbeat.interval.ms: "500"
    statistics.interval.ms: "500"
    auto.commit.interval.ms: "500"
metrics_listen: "127.0.0.1:0"
filter:
  rules: $BP_ROOT/rules
EOF
cat >"$T/collect.yaml" <<EOF
kafka:
  rdkafka: {statistics.interval.ms: "500"}
metrics_listen: "127.0.0.1:0"
file:
  path: $T/posts.jsonl
  follow: true
  checkpoint: $T/posts.checkpoint
  poll_interval: 100ms
EOF

bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_wait_for 20 '[ -n "$(metrics_port filter)" ]' || bp_fail "bp-filter did not announce its metrics port"
FP=$(metrics_port filter)
bp_log "bp-filter metrics on port $FP"
bp_assert_eq "$(status "$FP" /healthz)" 200 "bp-filter /healthz"
bp_wait_for 30 '[ "$(status "$FP" /readyz)" = 200 ]' || bp_fail "bp-filter never became ready"
bp_assert_eq "$(prom "$FP" 'v("bp_build_info", program="bp-filter")')" 1 "bp_build_info"
bp_assert_eq "$(prom "$FP" 'v("bp_ready")')" 1 "bp_ready"
bp_assert_eq "$(status "$FP" /nothing)" 404 "unknown path"

: >"$T/posts.jsonl"
bp_bg collect "$BP_BIN/bp-collect-file" -c "$T/collect.yaml"
bp_wait_for 20 '[ -n "$(metrics_port collect)" ]' || bp_fail "bp-collect-file did not announce its metrics port"
CP=$(metrics_port collect)
bp_assert_eq "$(status "$CP" /healthz)" 200 "bp-collect-file /healthz"
bp_wait_for 20 '[ "$(status "$CP" /readyz)" = 200 ]' || bp_fail "bp-collect-file never became ready"
# the posts were published an hour ago (whatever today's date), so freshness is about 3600 s
python3 - "$posts" >>"$T/posts.jsonl" <<'PY'
import json, sys, time
t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
for line in open(sys.argv[1]):
    if line.strip():
        p = json.loads(line)
        p["published_at"] = t
        p.pop("collected_at", None)
        print(json.dumps(p, ensure_ascii=False))
PY

# the collector counts what the broker acknowledged; the filter what it read and judged
bp_wait_for 30 '[ "$(prom "$CP" "v(\"bp_posts_collected_total\") or 0")" = "$N" ]' \
  || bp_fail "bp_posts_collected_total: $(prom "$CP" 'v("bp_posts_collected_total")'), expected $N"
bp_assert_eq "$(prom "$CP" 'v("bp_freshness_seconds_count", stage="collected")')" "$N" \
  "collector freshness observations"
bp_wait_for 30 '[ "$(prom "$FP" "v(\"bp_posts_in_total\") or 0")" = "$N" ]' \
  || bp_fail "bp_posts_in_total: $(prom "$FP" 'v("bp_posts_in_total")'), expected $N"
bp_assert_eq "$(prom "$FP" 'v("bp_processing_seconds_count")')" "$N" "processing observations"

# the counters agree with the topics
mentions=$(bp_count bp.mentions)
alerts=$(bp_count bp.alerts)
[ "$mentions" -gt 0 ] || bp_fail "no mentions in bp.mentions (rules/ should match tests/data/ops/posts.jsonl)"
bp_assert_eq "$(prom "$FP" 'v("bp_mentions_total")')" "$mentions" "bp_mentions_total vs bp.mentions"
bp_assert_eq "$(prom "$FP" 'v("bp_alerts_out_total") or 0')" "$alerts" "bp_alerts_out_total vs bp.alerts"
bp_assert_eq "$(prom "$FP" 'v("bp_freshness_seconds_count", stage="filtered")')" "$mentions" \
  "filter freshness observations"
# published an hour before now: freshness is measured from published_at
bp_assert_eq "$(prom "$FP" 'v("bp_freshness_seconds_sum", stage="filtered") / v("bp_freshness_seconds_count", stage="filtered") > 3000')" True \
  "freshness measured from published_at"
bp_assert_eq "$(prom "$FP" 'v("bp_deadlettered_total") or 0')" 0 "nothing dead-lettered"

# librdkafka statistics: the filter's lag on bp.posts, per owned partition, drains to 0
bp_wait_for 30 '[ "$(prom "$FP" "n(\"bp_kafka_consumer_lag\", topic=\"bp.posts\")")" -ge 1 ] &&
                [ "$(prom "$FP" "v(\"bp_kafka_consumer_lag\", topic=\"bp.posts\")")" = 0 ]' \
  || bp_fail "consumer lag: $(prom "$FP" '[ (l, x) for nm, l, x in samples if nm == "bp_kafka_consumer_lag" ]')"
bp_assert_eq "$(prom "$FP" 'v("bp_kafka_assigned_partitions")')" 3 "assigned partitions"
# every output acknowledged: nothing waits
bp_wait_for 10 '[ "$(prom "$FP" "v(\"bp_outputs_pending\")")" = 0 ]' \
  || bp_fail "bp_outputs_pending: $(prom "$FP" 'v("bp_outputs_pending")'), expected 0"

# liveness keeps answering while idle (the loop heartbeats even without posts)
sleep 2
bp_assert_eq "$(status "$FP" /healthz)" 200 "bp-filter /healthz when idle"

# graceful shutdown within a bounded time: exit 0, and the port is closed
start=$(date +%s)
bp_stop filter TERM || bp_fail "bp-filter exited $? on SIGTERM"
took=$(( $(date +%s) - start ))
[ "$took" -le 15 ] || bp_fail "bp-filter took ${took}s to stop"
bp_assert_eq "$(status "$FP" /healthz)" 000 "metrics port closed after exit"
bp_stop collect TERM || bp_fail "bp-collect-file exited $? on SIGTERM"
bp_log "metrics: $N posts, $mentions mentions, $alerts alerts; filter stopped in ${took}s"
