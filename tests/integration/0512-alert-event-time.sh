#!/usr/bin/env bash
# 0512-alert-event-time.sh — the alerter decides on event time even when it lags: alerts whose
# published_at are three hours old, spread over 40 minutes of event time, reach a running
# bp-alert all at once; the incidents, folds, digests and single alerts it delivers are exactly
# those of `bp-replay --alerts` (the dry run) over the same records. On the wall clock they
# would differ (a5 would be absorbed into the incident, z3 folded, the two digests one).
# Also: bp-watchdog's operational alerts (brand _ops) are never folded.
source "$(dirname "$0")/lib.sh"
bp_start_broker 1   # one partition: the records are consumed in the order they were produced

cat >"$T/alert.yaml" <<EOC
kafka: {group: bp-alert-lag, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
topics: {alerts: bp.alerts, deliveries: bp.deliveries, deadletter: bp.deadletter}
state_dir: "$T/state"
fold: {window: 20m, distance: 3}
incident: {threshold: 3, window: 8m, samples: 2, update_every: 2m, quiet: 6m}
digest: {every: 5m, priorities: [low]}
channels:
  - {name: on-call, type: console}
  - {name: zeta-team, type: console}
routes:
  - {when: {brand: [zeta]}, channels: [zeta-team], stop: true}
  - {when: {brand: [acme, _ops]}, channels: [on-call]}
EOC
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
bp_wait_for 30 'grep -qE "assigned [1-9][0-9]* partition" "$T/alert.log"' || bp_fail "bp-alert got no partitions"

# event times (minutes after a start three hours ago); all produced now, in event order
python3 - >"$T/in.tsv" <<'PY'
import json, time, datetime as dt
T0 = time.time() - 3 * 3600
plan = [(0, "a1", "acme", "acme app crashed when paying bills", ["negative:-4"], "normal"),
        (1, "a2", "acme", "cannot log in to acme online banking", ["negative:-4"], "normal"),
        (2, "a3", "acme", "acme support never answers the phone", ["negative:-4"], "normal"),
        (3, "a4", "acme", "card payment declined by acme twice", ["negative:-4"], "high"),
        (4, "z1", "zeta", "zeta telecom terrible no signal since morning in the city center", ["negative:-3"], "normal"),
        (5, "z2", "zeta", "zeta telecom terrible no signal since morning in the city center!!", ["negative:-3"], "normal"),
        (6, "x1", "other", "other brand is down", ["negative:-4"], "normal"),
        (7, "l1", "acme", "acme queue is a bit slow", ["reach:12000"], "low"),
        (10, "o1", "_ops", "feed rss-news produced nothing for 30 minutes", ["stale_feed:rss-news"], "high"),
        (10.05, "o2", "_ops", "feed rss-news produced nothing for 30 minutes", ["stale_feed:rss-news"], "high"),
        (20, "a5", "acme", "acme website shows error 500 all morning", ["negative:-4"], "normal"),
        (30, "l2", "acme", "acme branch closed early today", ["reach:15000"], "low"),
        (40, "z3", "zeta", "zeta telecom terrible no signal since morning in the city center", ["negative:-3"], "normal")]
now_ms = int(time.time() * 1000)
for at, pid, brand, text, reasons, prio in plan:
    t = dt.datetime.fromtimestamp(T0 + at * 60, dt.timezone.utc)
    iso = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
    m = {"v": 1, "id": "lag:" + pid, "source": "x", "text": text, "lang": "en",
         "author": {"id": "x:u1", "name": "A", "followers": 100}, "url": "https://example.com/" + pid,
         "published_at": iso, "brands": [brand], "sentiment": {"score": -4, "label": "negative", "terms": []},
         "alert": True, "priority": prio, "reasons": reasons}
    print("%d\t%s" % (now_ms, json.dumps(m)))
PY
"$BP_TOOLS/bp-produce-ts" --topic bp.alerts --input "$T/in.tsv" 2>"$T/produce.log" || bp_fail "produce"
# everything is overdue in event time: it all goes out at once, the resolution last
bp_wait_for 30 'grep -q "resolved, 4 alerts" "$T/alert.log"' || bp_fail "the incident was not resolved"
bp_wait_for 30 '[ "$(grep -c "delivered dg_" "$T/alert.log")" -ge 2 ]' || bp_fail "two digests expected"
sleep 2
bp_stop alert || bp_fail "bp-alert did not stop cleanly"
bp_tail bp.deliveries >"$T/deliveries.jsonl"
"$BP_BIN/bp-replay" --topic bp.alerts --no-progress --alerts --alert-config "$T/alert.yaml" \
  --format jsonl >"$T/dry.jsonl" 2>"$T/replay.log" || bp_fail "dry run"
python3 - "$T/deliveries.jsonl" "$T/dry.jsonl" <<'PY' || bp_fail "the lagging alerter differs from the dry run"
import json, sys, hashlib
from collections import Counter
def ident(aid):  # alert ids are stable; incident and digest ids embed a time
    return aid if aid.startswith("al_") else aid[:3]
def al(pid):
    return "al_" + hashlib.sha256(("lag:" + pid).encode()).hexdigest()[:16]
live, notes = Counter(), Counter()
for l in open(sys.argv[1]):
    r = json.loads(l)["value"]
    if r["result"] == "ok":
        live[(r["channel"], ident(r["alert_id"]))] += 1
    elif r["result"] in ("unrouted", "folded", "grouped"):
        notes[(r["result"], r["alert_id"])] += 1
dry, dnotes = Counter(), Counter()
incidents = []
for l in open(sys.argv[2]):
    e = json.loads(l)
    if e["type"] == "unrouted":
        dnotes[("unrouted", e["alert_id"])] += 1
    else:
        dry[(e["channel"], ident(e["alert_id"]))] += 1
    if e["type"] == "incident":
        incidents.append((e["state"], e["count"]))
print("delivered:", sorted(live.items()))
print("dry run:  ", sorted(dry.items()))
assert live == dry, ("live - dry", live - dry, "dry - live", dry - live)
assert notes[("unrouted", al("x1"))] == 1 and dnotes[("unrouted", al("x1"))] == 1, (notes, dnotes)
# what the dry run (and so the alerter) did, on event time
assert incidents == [("open", 3), ("update", 4), ("resolved", 4)], incidents
for pid in ("a1", "a2", "a5", "o1", "o2"):
    assert live[("on-call", al(pid))] == 1, pid
assert live[("zeta-team", al("z1"))] == 2, "z1 and its fold summary"
assert live[("zeta-team", al("z3"))] == 1, "z3: past the fold window in event time"
assert ("zeta-team", al("z2")) not in live and notes[("folded", al("z2"))] == 1, notes
assert live[("on-call", "in_")] == 3 and live[("on-call", "dg_")] == 2, live
PY
echo ok
