#!/usr/bin/env bash
# run.sh — runs every unit-test binary and integration script; the last line is
# "N passed, N failed". Usage: tests/run.sh [FILTER] (runs only tests whose name contains it).
# Environment (set by `make test`): BP_BIN (programs), BP_TOOLS (test servers), BP_UNIT (unit tests).
set -u
cd "$(dirname "$0")/.."
filter="${1:-}"
: "${BP_BIN:=$PWD/bin}" "${BP_TOOLS:=$PWD/build/rel/tools}" "${BP_UNIT:=$PWD/build/rel/tests}"
export BP_BIN BP_TOOLS BP_UNIT
export BP_ROOT=$PWD
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
out=$(mktemp -d /tmp/bp-test-out.XXXXXX)
pass=0; fail=0; failed_names=()

for t in "$BP_UNIT"/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  log="$out/$name.log"
  "$t" >"$log.out" 2>"$log"; rc=$?
  p=$(grep -c '^PASS ' "$log.out"); f=$(grep -c '^FAIL ' "$log.out")
  cat "$log.out"
  pass=$((pass + p)); fail=$((fail + f))
  if [ "$f" -gt 0 ] || { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; }; then
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
      echo "FAIL $name (exit $rc)"; fail=$((fail + 1))
    fi
    failed_names+=("$name"); sed 's/^/    /' "$log" | tail -40
  fi
done

for t in tests/integration/[0-9]*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  log="$out/$name.log"
  start=$(date +%s)
  timeout 300 bash "$t" >"$log" 2>&1; rc=$?
  secs=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    echo "PASS integration.$name (${secs}s)"; pass=$((pass + 1))
  else
    echo "FAIL integration.$name (exit $rc, ${secs}s)"; fail=$((fail + 1)); failed_names+=("$name")
    tail -40 "$log" | sed 's/^/    /'
  fi
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]} (logs in $out)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
