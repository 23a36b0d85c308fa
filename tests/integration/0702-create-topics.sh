#!/usr/bin/env bash
# 0702-create-topics.sh — config/compose/create-topics.sh (the kafka-init service) against stub
# Kafka tools that record their arguments and play a broker that already has some topics: every
# topic is created with its partitions and retention, existing topics get their retention set
# and their partitions raised (never lowered), and a failing tool stops the script.
source "$(dirname "$0")/lib.sh"
script="$BP_ROOT/config/compose/create-topics.sh"
[ -f "$script" ] || bp_fail "no $script"
bash -n "$script" || bp_fail "syntax error in $script"

mkdir -p "$T/kbin"
# kafka-topics.sh: records the call; --describe answers from $T/partitions/<topic> (absent: 0)
cat >"$T/kbin/kafka-topics.sh" <<'STUB'
#!/bin/bash
echo "kafka-topics.sh $*" >>"$STUB_LOG"
topic=""; prev=""
for a in "$@"; do [ "$prev" = "--topic" ] && topic=$a; prev=$a; done
case " $* " in
  *" --describe "*)
    n=$(cat "$STUB_DIR/partitions/$topic" 2>/dev/null || echo 0)
    [ -n "${STUB_FAIL_DESCRIBE:-}" ] && exit 1
    printf 'Topic: %s\tTopicId: x\tPartitionCount: %s\tReplicationFactor: 1\tConfigs: \n' "$topic" "$n"
    for i in $(seq 0 $((n - 1))); do printf '\tTopic: %s\tPartition: %s\tLeader: 1\n' "$topic" "$i"; done ;;
  *" --create "*)
    prev=""; for a in "$@"; do [ "$prev" = "--partitions" ] && p=$a; prev=$a; done
    [ -f "$STUB_DIR/partitions/$topic" ] || echo "$p" >"$STUB_DIR/partitions/$topic" ;;
esac
exit 0
STUB
cat >"$T/kbin/kafka-configs.sh" <<'STUB'
#!/bin/bash
echo "kafka-configs.sh $*" >>"$STUB_LOG"
exit 0
STUB
chmod +x "$T/kbin/"*.sh
mkdir -p "$T/partitions"
echo 4 >"$T/partitions/bp.posts"     # exists with fewer partitions than asked: raised to 12
echo 20 >"$T/partitions/bp.alerts"   # exists with more than asked: left alone

export STUB_LOG="$T/calls.log" STUB_DIR="$T"
KAFKA_BIN="$T/kbin" BOOTSTRAP=b:9092 BP_ALERTS_PARTITIONS=6 bash "$script" >"$T/out.log" 2>&1 \
  || { cat "$T/out.log"; bp_fail "create-topics.sh failed"; }
cat "$T/out.log"

python3 - "$T/calls.log" <<'PY' || exit 1
import sys, re
calls = [l.split() for l in open(sys.argv[1])]
def arg(c, name):
    vals = [c[i + 1] for i, a in enumerate(c[:-1]) if a == name]
    return vals
bad = []
want = {"bp.posts": (12, 30), "bp.mentions": (12, 30), "bp.alerts": (6, 7),
        "bp.deadletter": (3, 30), "bp.deliveries": (3, 90)}
for t, (parts, days) in want.items():
    ret = f"retention.ms={days * 86400000}"
    cr = [c for c in calls if "--create" in c and arg(c, "--topic") == [t]]
    if len(cr) != 1:
        bad.append(f"{t}: {len(cr)} create calls"); continue
    c = cr[0]
    if arg(c, "--partitions") != [str(parts)]: bad.append(f"{t}: created with {arg(c, '--partitions')}")
    if "--if-not-exists" not in c: bad.append(f"{t}: create without --if-not-exists")
    if ret not in arg(c, "--config"): bad.append(f"{t}: create without {ret}")
    if "cleanup.policy=delete" not in arg(c, "--config"): bad.append(f"{t}: no cleanup.policy")
    if arg(c, "--bootstrap-server") != ["b:9092"]: bad.append(f"{t}: BOOTSTRAP not used")
    al = [c for c in calls if c[0] == "kafka-configs.sh" and arg(c, "--entity-name") == [t]]
    if not al or ret not in ",".join(arg(al[0], "--add-config")):
        bad.append(f"{t}: retention not enforced on an existing topic")
grow = [c for c in calls if "--alter" in c and c[0] == "kafka-topics.sh"]
grown = {arg(c, "--topic")[0]: arg(c, "--partitions")[0] for c in grow}
if grown != {"bp.posts": "12"}:
    bad.append(f"partition increases: {grown}, expected only bp.posts -> 12")
for b in bad: print("PROBLEM:", b)
sys.exit(1 if bad else 0)
PY
grep -q "bp.alerts has 20 partitions" "$T/out.log" || bp_fail "no note that bp.alerts keeps 20"

# a broker that cannot be described: the script stops with an error, kafka-init fails
STUB_FAIL_DESCRIBE=1 KAFKA_BIN="$T/kbin" bash "$script" >"$T/fail.log" 2>&1 \
  && bp_fail "create-topics.sh succeeded although describe failed"
grep -q "cannot read the partition count" "$T/fail.log" || bp_fail "no reason given: $(cat "$T/fail.log")"
echo "create-topics.sh: OK"
