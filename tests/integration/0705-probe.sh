#!/usr/bin/env bash
# 0705-probe.sh — bin/bp-probe, the containers' health check: exit 0 on a 2xx answer, 1 on any
# other status, on no answer and on a timeout, 2 on bad usage; one line saying what it saw.
source "$(dirname "$0")/lib.sh"
[ -x "$BP_BIN/bp-probe" ] || bp_fail "bin/bp-probe missing (tools/ops.mk)"
port=$(bp_fakehttp web "$BP_ROOT/tests/data/ops/probe-routes.json")

out=$("$BP_BIN/bp-probe" "http://127.0.0.1:$port/healthz"); rc=$?
bp_assert_eq "$rc" 0 "probe of a 200"
echo "$out" | grep -q " 200 ok" || bp_fail "probe printed: $out"

out=$("$BP_BIN/bp-probe" "http://127.0.0.1:$port/stale"); rc=$?
bp_assert_eq "$rc" 1 "probe of a 503"
echo "$out" | grep -q " 503 stale: last heartbeat" || bp_fail "probe printed: $out"

"$BP_BIN/bp-probe" --quiet "http://127.0.0.1:$port/missing" >"$T/q.out"; rc=$?
bp_assert_eq "$rc" 1 "probe of a 404"
[ -s "$T/q.out" ] && bp_fail "--quiet printed: $(cat "$T/q.out")"

"$BP_BIN/bp-probe" --timeout 500ms "http://127.0.0.1:$port/slow" >"$T/slow.out"; rc=$?
bp_assert_eq "$rc" 1 "probe of an answer slower than --timeout"
grep -q "no answer" "$T/slow.out" || bp_fail "timeout not reported: $(cat "$T/slow.out")"

bp_stop web TERM
"$BP_BIN/bp-probe" "http://127.0.0.1:$port/healthz" >"$T/down.out"; rc=$?
bp_assert_eq "$rc" 1 "probe of a closed port"

"$BP_BIN/bp-probe" 2>/dev/null; bp_assert_eq "$?" 2 "no URL"
"$BP_BIN/bp-probe" ftp://x 2>/dev/null; bp_assert_eq "$?" 2 "not http"
"$BP_BIN/bp-probe" --timeout soon http://x 2>/dev/null; bp_assert_eq "$?" 2 "bad timeout"
echo "bp-probe: OK"
