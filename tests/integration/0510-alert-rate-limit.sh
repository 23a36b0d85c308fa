#!/usr/bin/env bash
# A channel's rate limit: alerts over it are not sent one by one but held (recorded as 'held')
# and summarised in one digest with their count, so nothing is suppressed silently; a channel
# without a limit gets every alert; the Prometheus metrics count the same.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 1
PORT=$(bp_fakehttp rx)
export BP_T_CARE="http://127.0.0.1:$PORT/care" BP_T_CRM="http://127.0.0.1:$PORT/crm"
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/alert.yaml" <<EOC
kafka: {group: bp-alert-rl, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
metrics_listen: "127.0.0.1:$MPORT"
state_dir: "$T/state"
channels:
  - {name: care, type: webhook, url: {env: BP_T_CARE}, rate_limit: 2, rate_per: 3s}
  - {name: crm, type: webhook, url: {env: BP_T_CRM}}
routes:
  - {channels: [care, crm]}
EOC
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
awk '!seen[$0]++' "$D/alerts.jsonl" | head -5 >"$T/in.jsonl"
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 30 'grep -q "over the rate limit" "$T/rx.jsonl"' || bp_fail "no rate-limit digest"
bp_wait_for 10 '[ "$(grep -c "\"path\":\"/crm\"" "$T/rx.jsonl")" -ge 5 ]' || bp_fail "crm did not get every alert"
# the metrics say the same
curl -sf "http://127.0.0.1:$MPORT/readyz" >/dev/null || bp_fail "not ready"
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$T/metrics.txt" || bp_fail "no metrics"
for want in 'bp_alerts_in_total 5' 'bp_alerts_sent_total{channel="crm"} 5' \
            'bp_alerts_sent_total{channel="care"} 3' 'bp_alerts_suppressed_total{reason="rate_limited"} 3' \
            'bp_delivery_seconds_count{channel="crm"} 5' 'bp_retry_queue_depth 0'; do
  grep -qF "$want" "$T/metrics.txt" || bp_fail "metric '$want' missing: $(grep -E '^bp_alerts|^bp_retry' "$T/metrics.txt")"
done
bp_stop alert || bp_fail "bp-alert did not stop cleanly"
python3 - "$T/rx.jsonl" <<'EOP' || bp_fail "rate-limit checks"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def fail(m):
    print("FAILED:", m); sys.exit(1)
care = [json.loads(r["body"]) for r in rows if r["path"] == "/care"]
single = [b["id"] for b in care if "bp_alert" in b]
dig = [b for b in care if b.get("kind") == "digest"]
if len(single) != 2: fail("care got %d single alerts" % len(single))
if len(dig) != 1 or dig[0]["count"] != 3 or dig[0]["limited"] != 3: fail("digest %r" % dig)
held = sorted(i["id"] for i in dig[0]["items"])
allids = sorted(single + held)
if len(set(allids)) != 5: fail("care saw %r" % allids)
EOP
bp_tail bp.deliveries >"$T/del.jsonl"
held=$(bp_json 'len([r for r in rows if r["value"]["result"] == "held" and r["value"]["channel"] == "care"])' <"$T/del.jsonl")
bp_assert_eq "$held" 3 "held records"
exit 0
