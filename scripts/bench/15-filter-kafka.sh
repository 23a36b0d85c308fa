#!/usr/bin/env bash
# Filter throughput in Kafka mode on bp-broker (issue 3 item 8, issue 7: capacity).
exec bash "$(dirname "$0")/../bench-filter-kafka.sh"
