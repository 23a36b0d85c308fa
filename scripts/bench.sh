#!/usr/bin/env bash
# bench.sh — `make bench`: runs every scripts/bench/*.sh and prints their figures.
# Benchmarks are not tests: they print numbers (and ratios, which are steadier than seconds
# on a shared machine) and fail only if they cannot run at all.
set -u
cd "$(dirname "$0")/.."
export BP_BIN=${BP_BIN:-$PWD/bin} BP_TOOLS=${BP_TOOLS:-$PWD/build/rel/tools} BP_ROOT=$PWD
rc=0
for b in scripts/bench/*.sh; do
  [ -f "$b" ] || continue
  echo "== $(basename "$b" .sh)"
  bash "$b" || { echo "bench $(basename "$b") could not run" >&2; rc=1; }
  echo
done
exit $rc
