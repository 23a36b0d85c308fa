#!/bin/bash
# create-topics.sh — creates brandpulse's Kafka topics (run once by the kafka-init service of
# docker-compose.yml, and safe to run again): missing topics are created, the retention of
# existing ones is set to what is written here, and a partition count is raised when asked for
# more (Kafka can never lower it). Environment: BOOTSTRAP (kafka:9092), KAFKA_BIN
# (/opt/kafka/bin), BP_REPLICATION_FACTOR (1), BP_<TOPIC>_PARTITIONS, BP_RETENTION_DAYS (30).
set -euo pipefail

K=${KAFKA_BIN:-/opt/kafka/bin}
B=${BOOTSTRAP:-kafka:9092}
RF=${BP_REPLICATION_FACTOR:-1}
MINISR=1
[ "$RF" -ge 3 ] && MINISR=2
DAY_MS=86400000

# topic NAME PARTITIONS RETENTION_DAYS
# Every topic is an event log (posts and mentions keyed by post id, alerts and deliveries by
# brand), so cleanup.policy is delete: compaction would keep one record per key and lose history.
topic() {
  local name=$1 parts=$2 days=$3
  local retention=$((days * DAY_MS))
  "$K/kafka-topics.sh" --bootstrap-server "$B" --create --if-not-exists --topic "$name" \
    --partitions "$parts" --replication-factor "$RF" \
    --config cleanup.policy=delete --config "retention.ms=$retention" \
    --config "min.insync.replicas=$MINISR"
  "$K/kafka-configs.sh" --bootstrap-server "$B" --alter --entity-type topics --entity-name "$name" \
    --add-config "cleanup.policy=delete,retention.ms=$retention,min.insync.replicas=$MINISR"
  local desc current
  if ! desc=$("$K/kafka-topics.sh" --bootstrap-server "$B" --describe --topic "$name"); then
    echo "create-topics: cannot read the partition count of $name (describe failed)" >&2
    return 1
  fi
  current=$(printf '%s\n' "$desc" | sed -n 's/.*PartitionCount: *\([0-9][0-9]*\).*/\1/p' | head -1)
  if [ -z "$current" ]; then
    echo "create-topics: cannot read the partition count of $name" >&2
    return 1
  fi
  if [ "$current" -lt "$parts" ]; then
    echo "create-topics: $name: $current -> $parts partitions"
    "$K/kafka-topics.sh" --bootstrap-server "$B" --alter --topic "$name" --partitions "$parts"
  elif [ "$current" -gt "$parts" ]; then
    echo "create-topics: $name has $current partitions (asked for $parts; Kafka cannot lower it)"
  fi
  echo "create-topics: $name ready: $(( current > parts ? current : parts )) partitions, retention $days days"
}

days=${BP_RETENTION_DAYS:-30}
topic bp.posts      "${BP_POSTS_PARTITIONS:-12}"      "$days"  # replay source: keep 30 days
topic bp.mentions   "${BP_MENTIONS_PARTITIONS:-12}"   "$days"
topic bp.alerts     "${BP_ALERTS_PARTITIONS:-6}"      7        # keyed by brand
topic bp.deadletter "${BP_DEADLETTER_PARTITIONS:-3}"  "$days"
topic bp.deliveries "${BP_DELIVERIES_PARTITIONS:-3}"  90       # delivery audit
topic bp.heartbeats 1                                   2        # collectors -> bp-watchdog; re-read at every start
echo "create-topics: done"
