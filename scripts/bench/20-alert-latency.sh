#!/usr/bin/env bash
# End-to-end alert latency on bp-broker (issue 5 item 7): post produced -> webhook received.
exec bash "$(dirname "$0")/../../tests/data/alerter/bench-latency.sh" "${BENCH_ALERTS:-300}"
