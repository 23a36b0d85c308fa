#!/usr/bin/env bash
# bench-latency.sh — end-to-end alert latency on bp-broker: N posts produced to bp.posts (paced,
# each stamped with its produce time), through bp-filter and bp-alert, until a local webhook
# receiver has the alert. Prints p50/p99/max in ms. A benchmark, not a test: it fails only if
# it cannot run. Meant to be called from `make bench` (scripts/bench/), or directly:
#   BP_BIN=bin BP_TOOLS=build/rel/tools bash tests/data/alerter/bench-latency.sh [N] [RATE]
set -u
N=${1:-300}
RATE=${2:-50}   # posts per second
export BP_ROOT=${BP_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
source "$BP_ROOT/tests/integration/lib.sh"

bp_start_broker 3
PORT=$(bp_fakehttp hook)
export BP_BENCH_HOOK="http://127.0.0.1:$PORT/hook"
RK='rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500", fetch.wait.max.ms: "10"}'
cat >"$T/filter.yaml" <<EOC
kafka: {group: bp-filter-bench, $RK}
filter: {rules: "$BP_ROOT/rules"}
EOC
cat >"$T/alert.yaml" <<EOC
kafka: {group: bp-alert-bench, $RK}
state_dir: "$T/state"
channels:
  - {name: hook, type: webhook, url: {env: BP_BENCH_HOOK}, retry_base: 100ms}
routes:
  - {channels: [hook]}
EOC
bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
bp_wait_for 30 'grep -q "rebuilt dedup" "$T/alert.log" && grep -q "assigned" "$T/filter.log"' \
  || bp_fail "filter or alerter did not join their groups"
python3 - "$N" >"$T/posts.jsonl" <<'EOP'
import json, sys
texts = ["Приватбанк, у меня украли деньги с карты, верните!",
         "monobank заблокировали карту без причины, ужасный сервис",
         "Киевстар не работает второй день, ненавижу"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": "bench:%d" % i, "source": "x", "text": texts[i % 3] + " #%d" % i,
                      "lang": "ru", "published_at": "2026-11-23T10:00:00Z"}, ensure_ascii=False))
EOP
# warm-up: the first fetches on fresh partitions of the mock broker are slow; not measured
head -20 "$T/posts.jsonl" | sed 's/"bench:/"warm:/' | while IFS= read -r line; do
  printf '%s\t%s\n' "$(date +%s%3N)" "$line"; done | "$BP_TOOLS/bp-produce-ts" --topic bp.posts >/dev/null 2>&1
bp_wait_for 30 '[ "$(wc -l <"$T/hook.jsonl")" -ge 20 ]' || bp_fail "warm-up alerts did not arrive"
N=$((N + 20))
delay=$(python3 -c "print(1.0/$RATE)")
while IFS= read -r line; do
  printf '%s\t%s\n' "$(date +%s%3N)" "$line"
  sleep "$delay"
done <"$T/posts.jsonl" | "$BP_TOOLS/bp-produce-ts" --topic bp.posts >/dev/null 2>&1 || bp_fail "producing"
bp_wait_for 60 '[ "$(wc -l <"$T/hook.jsonl")" -ge "$N" ]' || bp_fail "only $(wc -l <"$T/hook.jsonl") of $N alerts arrived"
bp_tail bp.posts >"$T/posts-ts.jsonl"
bp_stop alert; bp_stop filter
python3 - "$T/posts-ts.jsonl" "$T/hook.jsonl" <<'EOP'
import json, sys
ts = {}
for l in open(sys.argv[1]):
    r = json.loads(l); ts[r["value"]["id"]] = r["timestamp"]
hook = [json.loads(l) for l in open(sys.argv[2])]
lat = sorted(r["t"] - ts[json.loads(r["body"])["id"]] for r in hook
             if json.loads(r["body"])["id"].startswith("bench:"))
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("alert latency bp.posts -> webhook receiver: n=%d p50=%d ms p90=%d ms p99=%d ms max=%d ms (over 100 ms: %d)" % (len(lat), p(0.5), p(0.9), p(0.99), lat[-1], sum(1 for x in lat if x > 100)))
EOP
