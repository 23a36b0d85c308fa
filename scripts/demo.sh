#!/usr/bin/env bash
# demo.sh — `make demo`: the whole pipeline on the embedded broker over the shipped sample
# posts (demo/posts.jsonl). Prints each alert as it arrives and a one-line summary, then stops
# everything and exits by itself. Needs no Kafka, no Docker, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BP_BIN:-$PWD/bin}
W=$(mktemp -d /tmp/bp-demo.XXXXXX)
pids=()
cleanup() {
  # the broker goes last, so the others can commit on their way out
  for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${BP_DEMO_KEEP:-}" ] && echo "demo: logs kept in $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
start=$(date +%s)
tail_count() { "$BIN/bp-tail" --topic "$1" --timeout-ms 3000 2>/dev/null | wc -l; }

"$BIN/bp-broker" --partitions 3 --bootstrap-file "$W/bootstrap" >"$W/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
[ -s "$W/bootstrap" ] || { echo "demo: bp-broker did not start" >&2; cat "$W/broker.log" >&2; exit 1; }
export BP_BROKERS; BP_BROKERS=$(head -1 "$W/bootstrap")
mkdir -p "$W/state"
sed "s|\${BP_DEMO_STATE}|$W/state|" config/demo/alerter.yaml >"$W/alerter.yaml"

echo "demo: broker on $BP_BROKERS (in memory); rules: rules/ ($(ls rules/brands | wc -l) brands)"
"$BIN/bp-filter" -c config/demo/filter.yaml 2>"$W/filter.log" &
pids+=($!)
"$BIN/bp-alert" -c "$W/alerter.yaml" 2>"$W/alert.log" &
pids+=($!)
"$BIN/bp-collect-file" --input demo/posts.jsonl --checkpoint "$W/checkpoint" 2>"$W/collect.log" ||
  { echo "demo: collector failed" >&2; cat "$W/collect.log" >&2; exit 1; }
posts=$(grep -c . demo/posts.jsonl)
echo "demo: $posts sample posts sent to bp.posts; alerts follow"
echo

# wait until the counts stop moving: every post filtered, every alert handled (at most ~40 s)
prev="" stable=0
for _ in $(seq 1 30); do
  sleep 1
  now="$(tail_count bp.mentions) $(tail_count bp.alerts) $(tail_count bp.deliveries)"
  if [ "$now" = "$prev" ] && [ "${now##* }" -gt 0 ]; then
    stable=$((stable + 1)); [ $stable -ge 2 ] && break
  else
    stable=0
  fi
  prev=$now
done
for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null || true; done
m=$(tail_count bp.mentions); a=$(tail_count bp.alerts); d=$(tail_count bp.deliveries)
dl=$(tail_count bp.deadletter)
echo
echo "demo: $posts posts, $m mentions, $a alerts, $d deliveries, $dl dead letters in $(( $(date +%s) - start ))s"
summary=$(grep -o 'stopping: .*' "$W/alert.log" | tail -1 || true)
[ -n "$summary" ] && echo "demo: alerter ${summary#stopping: }"
[ "$a" -gt 0 ] || { echo "demo: no alert was produced" >&2; tail -20 "$W/filter.log" "$W/alert.log" >&2; exit 1; }
