#!/usr/bin/env bash
# 0513-alert-handover.sh — two bp-alert instances in one consumer group; the one that owns
# bp.alerts' partition is killed with SIGKILL after a burst opened an incident, one alert was
# acknowledged and others wait for escalation. The other instance takes the partition over and
# rebuilds from bp.deliveries: the incident continues (an update with the same id, never a
# second "open"), every unacknowledged alert escalates exactly once, the acknowledged one never,
# and no post is delivered twice.
source "$(dirname "$0")/lib.sh"
bp_start_broker 1
PORT=$(bp_fakehttp rx)
export BP_T_CARE="http://127.0.0.1:$PORT/care" BP_T_LEAD="http://127.0.0.1:$PORT/lead"
export BP_T_ACK_SECRET="ack-secret-for-tests"
cat >"$T/alert.tmpl" <<'EOC'
kafka: {group: bp-alert-handover, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500",
        max.poll.interval.ms: "10000", fetch.wait.max.ms: "10"}}
topics: {alerts: bp.alerts, deliveries: bp.deliveries, deadletter: bp.deadletter}
state_dir: "@STATE@"
incident: {threshold: 3, window: 10m, samples: 2, update_every: 1s, quiet: 5m}
ack: {listen: "127.0.0.1:0", secret: {env: BP_T_ACK_SECRET}, port_file: "@ACKPORT@"}
channels:
  - {name: care, type: webhook, url: {env: BP_T_CARE}, retry_base: 100ms}
  - {name: lead, type: webhook, url: {env: BP_T_LEAD}, retry_base: 100ms}
routes:
  - {name: all, channels: [care], escalate: [{after: 15s, channels: [lead]}]}
EOC
for i in a b; do
  sed -e "s#@STATE@#$T/state-$i#" -e "s#@ACKPORT@#$T/ack-$i.port#" "$T/alert.tmpl" >"$T/$i.yaml"
done
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
inject() {  # inject NAME BRAND REASON TEXT...: one alert published now
  python3 - "$@" >"$T/in-$1.jsonl" <<'PY'
import json, sys, datetime as dt
now = dt.datetime.now(dt.timezone.utc)
iso = now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)
pid, brand, reason, text = sys.argv[1:5]
print(json.dumps({"id": "ho:" + pid, "source": "x", "url": "https://x.com/" + pid, "lang": "en",
    "author": {"id": "x:1", "name": "A", "followers": 10}, "text": text, "published_at": iso,
    "brands": [brand], "alert": True, "priority": "high", "reasons": [reason]}))
PY
  "$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in-$1.jsonl" --checkpoint "$T/ck-$1" \
    2>>"$T/inject.log" || bp_fail "injecting $1"
}
rx_has() {  # rx_has STATE|POST_ID: an incident in that state, or that post, reached /care
  python3 - "$T/rx.jsonl" "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    b = json.loads(r["body"]) if r["path"] == "/care" else {}
    if b.get("state") == sys.argv[2] or b.get("id") == sys.argv[2]:
        sys.exit(0)
sys.exit(1)
PY
}
al() { python3 -c 'import hashlib,sys; print("al_" + hashlib.sha256(("ho:" + sys.argv[1]).encode()).hexdigest()[:16])' "$1"; }

bp_bg alert-a "$BP_BIN/bp-alert" -c "$T/a.yaml"
bp_wait_for 30 'grep -q "assigned 1 partition" "$T/alert-a.log"' || bp_fail "a got no partition"
bp_bg alert-b "$BP_BIN/bp-alert" -c "$T/b.yaml"
# b joins: the group rebalances; one of them owns the partition
bp_wait_for 60 'grep -q "assigned" "$T/alert-b.log" && [ "$(grep -c "assigned" "$T/alert-a.log")" -ge 2 ]' \
  || bp_fail "the group did not rebalance"
last_assigned() { grep -o "assigned [0-9]* partition" "$T/alert-$1.log" | tail -1 | cut -d' ' -f2; }
if [ "$(last_assigned a)" = 1 ]; then OWNER=a OTHER=b; elif [ "$(last_assigned b)" = 1 ]; then OWNER=b OTHER=a;
else bp_fail "nobody owns the partition"; fi
bp_log "owner: $OWNER"

inject u1 beta negative:-3 "beta lost my parcel again"
inject k1 gamma negative:-3 "gamma charged me twice"
inject a1 acme urgent:outage "acme app is down"
inject a2 acme urgent:outage "acme website does not open"
inject a3 acme urgent:outage "cannot log in to acme at all"
bp_wait_for 20 'rx_has open && rx_has ho:k1' || bp_fail "first deliveries"
ACK=$(cat "$T/ack-$OWNER.port")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $BP_T_ACK_SECRET" \
  -d "{\"id\":\"$(al k1)\",\"by\":\"olena\",\"action\":\"ack\"}" "http://127.0.0.1:$ACK/v1/ack")
bp_assert_eq "$code" 202 "acknowledging k1"
# what the new owner needs is in bp.deliveries before the owner dies
bp_wait_for 20 'bp_tail bp.deliveries | grep -q "\"result\":\"acked\"" ' || bp_fail "no acked record"
bp_wait_for 20 '[ "$(bp_tail bp.deliveries | grep -c "\"result\":\"tracked\"")" -ge 4 ]' || bp_fail "no tracked records"
kill -9 "$(bp_pid alert-$OWNER)"
bp_wait_for 60 'grep -q "took over 1 open incident(s)" "$T/alert-$OTHER.log"' || bp_fail "$OTHER did not take over"
inject a4 acme urgent:outage "acme still down"
inject a5 acme urgent:outage "acme outage for an hour now"
bp_wait_for 20 'rx_has update' || bp_fail "no incident update after the take-over"
bp_wait_for 40 '[ "$(grep -c "\"path\":\"/lead\"" "$T/rx.jsonl")" -ge 4 ]' || bp_fail "escalations missing"
sleep 3   # a second escalation of anything would come now
bp_stop alert-$OTHER || bp_fail "$OTHER did not stop cleanly"
python3 - "$T/rx.jsonl" "$(al u1)" "$(al a1)" "$(al a2)" "$(al k1)" <<'PY' || bp_fail "hand-over checks"
import json, sys
from collections import Counter
u1, a1, a2, k1 = sys.argv[2:6]
rows = [json.loads(l) for l in open(sys.argv[1])]
def ident(b):
    return (b.get("bp_alert") or {}).get("alert_id") or b.get("alert_id")
care = [json.loads(r["body"]) for r in rows if r["path"] == "/care"]
lead = [json.loads(r["body"]) for r in rows if r["path"] == "/lead"]
opens = [b for b in care if b.get("kind") == "incident" and b.get("state") == "open"]
assert len(opens) == 1, ("incident opened %d times" % len(opens))
inc = opens[0]["alert_id"]
updates = [b for b in care if b.get("kind") == "incident" and b.get("state") == "update"]
assert updates and all(b["alert_id"] == inc for b in updates), updates
assert updates[-1]["count"] == 5, updates[-1]["count"]
posts = Counter(b["id"] for b in care if "bp_alert" in b)
assert posts == Counter({"ho:u1": 1, "ho:k1": 1, "ho:a1": 1, "ho:a2": 1}), posts
esc = Counter(ident(b) for b in lead)
print("escalated:", dict(esc))
assert esc == Counter({u1: 1, a1: 1, a2: 1, inc: 1}), esc
assert k1 not in esc
PY
grep -q "not acknowledged in time" "$T/alert-$OTHER.log" || bp_fail "the escalations were not sent by the new owner"
exit 0
