#!/usr/bin/env bash
# 0605-replay-alerts.sh — `bp-replay --alerts`: the alerter's own routing, dedup, folding,
# incidents and digests run on event time.
#  1. a planted day (tests/data/replay/alerts.tsv, collected in shuffled order) gives exactly
#     the expected messages per channel at the expected event times;
#  2. equality with what on-call received: the same kind of scenario, compressed into seconds,
#     is sent live through bp-alert (wall clock = event time), and the messages it delivered
#     (bp.deliveries) equal the dry run's over the same records.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/replay
bp_start_broker 3
"$BP_TOOLS/bp-produce-ts" --topic bp.mentions --input "$D/alerts.tsv" 2>"$T/produce.log" || bp_fail "produce"
sed "s#@STATE@#$T/state-dry#" "$D/alert-dry.yaml" >"$T/alert-dry.yaml"

# ---- 1. the planted day ----
"$BP_BIN/bp-replay" --topic bp.mentions --no-progress --alerts --alert-config "$T/alert-dry.yaml" \
  --format jsonl >"$T/dry.jsonl" 2>>"$T/replay.log" || bp_fail "dry run"
got=$(python3 - "$T/dry.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    what = e.get("post_id") if e["type"] in ("alert", "unrouted") else \
        "%s %s %s %s" % (e["state"], e["brand"], e["reason"], e["count"]) if e["type"] == "incident" else str(e["count"])
    print(e["at"][11:23], e["type"], e.get("channel", "-"), what)
PY
)
# x:a1..x:a5 (acme, negative) within 10 min: the 5th opens an incident; x:a6 joins it (an update
# at the next tick), it resolves 30 min after x:a6; x:z2 is a near-duplicate of x:z1 (folded, a
# summary at the next tick); x:o1's brand has no route; x:l1, x:l2 are low priority (one digest
# 15 min after the first); x:a2 came twice; x:n1 is not an alert.
exp="09:00:00.000 alert on-call x:a1
09:02:00.000 alert on-call x:a2
09:04:00.000 alert on-call x:a3
09:05:00.000 alert on-call x:a4
09:07:00.000 incident on-call open acme negative 5
09:09:00.200 incident on-call update acme negative 6
09:10:00.000 alert zeta-team x:z1
09:15:00.200 fold_summary zeta-team 1
09:20:00.000 unrouted - x:o1
09:30:00.000 alert on-call x:u1
09:39:00.000 incident on-call resolved acme negative 6
09:46:00.000 digest on-call 2
09:55:00.000 alert on-call x:a7"
[ "$got" = "$exp" ] || { diff <(echo "$exp") <(echo "$got"); bp_fail "dry-run events"; }
"$BP_BIN/bp-replay" --topic bp.mentions --no-progress --alerts --alert-config "$T/alert-dry.yaml" \
  >"$T/dry.txt" 2>>"$T/replay.log" || bp_fail "dry run summary"
grep -q "15 alerts in\|14 alerts in, 1 duplicates, 1 unrouted, 1 folded, 1 grouped into 1 incidents, 2 held for digests; 12 messages" "$T/dry.txt" ||
  { cat "$T/dry.txt"; bp_fail "dry-run summary line"; }
# a range narrows the dry run like any replay (Kafka timestamps: the first 5 records collected)
n=$("$BP_BIN/bp-replay" --topic bp.mentions --no-progress --alerts --alert-config "$T/alert-dry.yaml" \
  --to 2026-11-21T09:00:05Z --format jsonl 2>>"$T/replay.log" | grep -c .)
[ "$n" -ge 1 ] && [ "$n" -lt 12 ] || bp_fail "dry run over a narrower range: $n events"

# "what would the new rules have alerted?": posts re-judged, then the dry run (default
# configuration: one channel, dedup only) sends every alert of the rule set once
"$BP_TOOLS/bp-produce-ts" --topic bp.posts --input "$D/corpus.tsv" 2>>"$T/produce.log" || bp_fail "produce posts"
for s in a b; do
  want=$("$BP_BIN/bp-replay" --topic bp.posts --no-progress --rules "$D/rules-$s" --format jsonl 2>>"$T/replay.log" |
    bp_json 'len({r["id"] for r in rows if r["alert"]})')
  got=$("$BP_BIN/bp-replay" --topic bp.posts --no-progress --rules "$D/rules-$s" --alerts --format jsonl 2>>"$T/replay.log" |
    bp_json 'len([r for r in rows if r["type"] == "alert" and r["channel"] == "on-call"])')
  [ "$want" -gt 0 ] && bp_assert_eq "$got" "$want" "alerts of rules-$s in the dry run"
done

# ---- 2. equality with the live alerter ----
cat >"$T/alert-live.yaml" <<EOC
kafka: {group: bp-alert-live, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
topics: {alerts: bp.alerts, deliveries: bp.deliveries, deadletter: bp.deadletter}
state_dir: "$T/state-live"
fold: {window: 20s, distance: 3}
incident: {threshold: 3, window: 8s, samples: 2, update_every: 2s, quiet: 6s}
digest: {every: 5s, priorities: [low]}
channels:
  - {name: on-call, type: console}
  - {name: zeta-team, type: console}
routes:
  - {when: {brand: [zeta]}, channels: [zeta-team], stop: true}
  - {when: {brand: [acme]}, channels: [on-call]}
EOC
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert-live.yaml"
# the alerter must own its partitions before the scenario starts, or it would read the first
# alerts late, in a burst (its clock then no longer equals the event time)
bp_wait_for 30 'grep -qE "assigned [1-9][0-9]* partition" "$T/alert.log"' || bp_fail "bp-alert got no partitions"
sleep 1
# the scenario in seconds, each mention published (event time) as it is sent: every decision
# boundary is at least 1.5 s away, far more than the delivery latency
python3 - <<'PY' | "$BP_TOOLS/bp-produce-ts" --topic bp.alerts 2>"$T/produce-live.log" || bp_fail "live produce"
import json, sys, time, datetime as dt
plan = [(0.0, "a1", "acme", "acme app crashed when paying bills", ["negative:-4"], "normal"),
        (1.0, "a2", "acme", "cannot log in to acme online banking", ["negative:-4"], "normal"),
        (2.0, "a3", "acme", "acme support never answers the phone", ["negative:-4"], "normal"),
        (3.0, "a4", "acme", "card payment declined by acme twice", ["negative:-4"], "high"),
        (4.0, "z1", "zeta", "zeta telecom terrible no signal since morning in the city center", ["negative:-3"], "normal"),
        (5.5, "z2", "zeta", "zeta telecom terrible no signal since morning in the city center!!", ["negative:-3"], "normal"),
        (6.5, "o1", "other", "other brand is down", ["negative:-4"], "normal"),
        (7.0, "l1", "acme", "acme queue is a bit slow", ["reach:12000"], "low"),
        (8.0, "l2", "acme", "acme branch closed early today", ["reach:15000"], "low"),
        (12.0, "a5", "acme", "acme website shows error 500 all morning", ["negative:-4"], "normal"),
        (13.0, "u1", "acme", "someone stole my money acme", ["urgent:fraud"], "urgent"),
        (14.0, "a1", "acme", "acme app crashed when paying bills", ["negative:-4"], "normal")]
t0 = time.time()
for at, pid, brand, text, reasons, prio in plan:
    time.sleep(max(0, t0 + at - time.time()))
    now = dt.datetime.now(dt.timezone.utc)
    iso = now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)
    m = {"v": 1, "id": "live:" + pid, "source": "x", "text": text, "lang": "en",
         "author": {"id": "x:u1", "name": "A", "followers": 100}, "url": "https://example.com/" + pid,
         "published_at": iso, "brands": [brand], "sentiment": {"score": -4, "label": "negative", "terms": []},
         "alert": True, "priority": prio, "reasons": reasons}
    print("%d\t%s" % (int(now.timestamp() * 1000), json.dumps(m)), flush=True)
PY
sleep 12   # digests (5 s), the resolution (6 s quiet) and fold summaries fall due
bp_stop alert || bp_fail "bp-alert did not stop cleanly"
bp_tail bp.deliveries >"$T/deliveries.jsonl"
"$BP_BIN/bp-replay" --topic bp.alerts --no-progress --alerts --alert-config "$T/alert-live.yaml" \
  --format jsonl >"$T/dry-live.jsonl" 2>>"$T/replay.log" || bp_fail "live dry run"
python3 - "$T/deliveries.jsonl" "$T/dry-live.jsonl" <<'PY' || bp_fail "the dry run differs from what the alerter delivered"
import json, sys
from collections import Counter
def ident(aid):  # alert ids are stable; incident and digest ids embed a time
    return aid if aid.startswith("al_") else aid[:3]
live = Counter()
notes = Counter()
for l in open(sys.argv[1]):
    r = json.loads(l)["value"]
    if r["result"] == "ok":
        live[(r["channel"], ident(r["alert_id"]))] += 1
    elif r["result"] in ("unrouted",):
        notes[(r["result"], r["alert_id"])] += 1
dry = Counter()
dnotes = Counter()
for l in open(sys.argv[2]):
    e = json.loads(l)
    if e["type"] == "unrouted":
        dnotes[("unrouted", e["alert_id"])] += 1
    else:
        dry[(e["channel"], ident(e["alert_id"]))] += 1
print("delivered:", sorted(live.items()))
print("dry run:  ", sorted(dry.items()))
assert sum(live.values()) >= 8, "too few deliveries: is bp-alert working?"
assert live == dry, ("live - dry", live - dry, "dry - live", dry - live)
assert notes == dnotes, (notes, dnotes)
PY
echo ok
