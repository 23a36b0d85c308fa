# lib.sh — helpers for integration tests (sourced): a temp dir, background processes that are
# always stopped, the development broker, waiting, reading topics, the fake HTTP server.
#
#   source "$(dirname "$0")/lib.sh"
#   bp_start_broker 3                 # exports BP_BROKERS
#   bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
#   bp_wait_for 20 '[ "$(bp_count bp.alerts)" -ge 5 ]'
#   bp_stop filter KILL
# A test passes when the script exits 0. On failure the logs of every process are printed.
set -u
: "${BP_BIN:?run through make test}" "${BP_TOOLS:=}" "${BP_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
T=$(mktemp -d /tmp/bp-it.XXXXXX)
export T
BP_PIDS=()
BP_NAMES=()

bp_cleanup() {
  local rc=$?
  local i f
  # processes started in a subshell (bp_fakehttp runs inside $(...)) are known by their pid
  # files only
  for f in "$T"/*.pid; do
    [ -f "$f" ] || continue
    i=$(cat "$f")
    [[ " ${BP_PIDS[*]} " == *" $i "* ]] || BP_PIDS+=("$i")
  done
  for i in "${!BP_PIDS[@]}"; do kill -TERM "${BP_PIDS[$i]}" 2>/dev/null; done
  for i in "${!BP_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "${BP_PIDS[$i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${BP_PIDS[$i]}" 2>/dev/null
  done
  wait 2>/dev/null
  if [ $rc -ne 0 ]; then
    for f in "$T"/*.log; do [ -f "$f" ] && { echo "----- $(basename "$f") (last 30 lines)"; tail -30 "$f"; }; done
  fi
  # sanitizer reports in any log fail the test
  if grep -lE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T"/*.log >/dev/null 2>&1; then
    echo "sanitizer errors in: $(grep -lE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T"/*.log)"
    grep -hE -A5 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T"/*.log | head -40
    rc=1
  fi
  [ $rc -eq 0 ] && rm -rf "$T"
  exit $rc
}
trap bp_cleanup EXIT

bp_fail() { echo "FAILED: $*" >&2; exit 1; }
bp_log() { echo "[$(date +%H:%M:%S)] $*"; }

# bp_assert_eq ACTUAL EXPECTED MESSAGE
bp_assert_eq() { [ "$1" = "$2" ] || bp_fail "$3: got '$1', expected '$2'"; }

# bp_bg NAME CMD... — runs CMD in the background, output in $T/NAME.log
bp_bg() {
  local name=$1; shift
  "$@" >>"$T/$name.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$T/$name.pid"
  BP_PIDS+=("$pid"); BP_NAMES+=("$name")
}

bp_pid() { cat "$T/$1.pid"; }

# bp_stop NAME [SIGNAL] — stops a background process (TERM by default) and waits for it.
# Returns the process's exit status.
bp_stop() {
  local pid; pid=$(bp_pid "$1")
  kill -"${2:-TERM}" "$pid" 2>/dev/null
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  return $rc
}

# bp_running NAME — true while the process lives
bp_alive() { kill -0 "$(bp_pid "$1")" 2>/dev/null; }

# bp_wait_for SECONDS 'shell condition' — polls every 0.2 s
bp_wait_for() {
  local secs=$1; shift
  local end=$(( $(date +%s) + secs ))
  while [ "$(date +%s)" -lt "$end" ]; do
    eval "$@" && return 0
    sleep 0.2
  done
  eval "$@"
}

# bp_start_broker [PARTITIONS] — starts bp-broker, exports BP_BROKERS
bp_start_broker() {
  bp_bg broker "$BP_BIN/bp-broker" --partitions "${1:-3}" --bootstrap-file "$T/bootstrap" \
    --control-file "$T/broker.control"
  bp_wait_for 10 '[ -s "$T/bootstrap" ]' || bp_fail "bp-broker did not start"
  BP_BROKERS=$(head -1 "$T/bootstrap")
  export BP_BROKERS
}

# bp_broker_control 'down 1' — fault injection through bp-broker's control file
bp_broker_control() { echo "$*" >>"$T/broker.control.tmp" && mv "$T/broker.control.tmp" "$T/broker.control"; }

# bp_tail TOPIC [bp-tail options] — every record of TOPIC as JSON lines
bp_tail() { local t=$1; shift; "$BP_BIN/bp-tail" --brokers "$BP_BROKERS" --topic "$t" --timeout-ms 5000 "$@"; }

# bp_count TOPIC — number of records in TOPIC
bp_count() { bp_tail "$1" 2>/dev/null | wc -l; }

# bp_fakehttp NAME [ROUTES.json] — starts the fake HTTP server; prints its port.
# Requests are recorded in $T/NAME.jsonl.
bp_fakehttp() {
  local name=$1 routes=${2:-}
  local args=(--port-file "$T/$name.port" --record "$T/$name.jsonl")
  [ -n "$routes" ] && args+=(--routes "$routes")
  bp_bg "$name" "$BP_TOOLS/bp-fakehttp" "${args[@]}"
  bp_wait_for 10 '[ -s "$T/$name.port" ]' || bp_fail "bp-fakehttp $name did not start"
  cat "$T/$name.port"
}

# bp_json FILTER — runs a python3 expression over JSON lines on stdin (a small jq);
# e.g.  bp_tail bp.alerts | bp_json 'len(rows)'   where rows is the list of parsed lines.
bp_json() {
  python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
r = eval(sys.argv[1])
print(r if not isinstance(r, (list, dict)) else json.dumps(r, ensure_ascii=False))
' "$1"
}

# bp_render IN OUT — copies a template replacing @BROKERS@, @T@, @ROOT@, @STATE@ (=$T/state),
# @RULES@ (=${RULES:-$BP_ROOT/rules})
bp_render() {
  sed -e "s|@BROKERS@|${BP_BROKERS:-}|g" -e "s|@T@|$T|g" -e "s|@ROOT@|$BP_ROOT|g" \
      -e "s|@STATE@|$T/state|g" -e "s|@RULES@|${RULES:-$BP_ROOT/rules}|g" "$1" >"$2"
}

# bp_received_ids RECORD.jsonl [PATH] — "id/alert_brand" (or "id" when the body names no
# alert_brand) of every JSON body POSTed (to PATH), one per line
bp_received_ids() {
  python3 -c '
import json, sys
path = sys.argv[2] if len(sys.argv) > 2 else None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if path and r.get("path") != path: continue
    try: b = json.loads(r.get("body") or "null")
    except ValueError: continue
    if isinstance(b, dict) and "id" in b:
        print(b["id"] + ("/" + b["alert_brand"] if b.get("alert_brand") else ""))
' "$@" 2>/dev/null
}
