#!/usr/bin/env bash
# 0704-filter-group-scaling.sh — consumer-group scaling on bp-broker (issue 7 item 6): two
# bp-filter processes in one group share bp.posts' partitions; one is killed with SIGKILL (a
# crash: nothing flushed, nothing committed) while posts keep arriving; the other takes over its
# partitions, and every post that should give a mention has one in bp.mentions (duplicates are
# allowed — at least once — losses are not). The expected mentions come from the same engine
# in file mode.
source "$(dirname "$0")/lib.sh"
PARTS=6

# posts: unique ids, half of them naming a brand of the shipped rule pack
gen_posts() { # FIRST COUNT
  python3 - "$1" "$2" <<'PY'
import json, sys, time
first, count = int(sys.argv[1]), int(sys.argv[2])
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
texts = ["Приватбанк опять не работает, пост {i}", "Погода хорошая, пост {i}",
         "PrivatBank app is down again, post {i}", "Просто заметка про сад {i}"]
for i in range(first, first + count):
    print(json.dumps({"v": 1, "id": f"scale:{i}", "source": "scale", "feed": "scale-test",
                      "url": f"https://example.com/{i}", "kind": "post",
                      "author": {"id": f"scale:a{i % 17}", "name": "t", "followers": 10},
                      "text": texts[i % len(texts)].format(i=i), "lang": "ru",
                      "published_at": now}, ensure_ascii=False))
PY
}
gen_posts 0 300 >"$T/a.jsonl"
gen_posts 300 300 >"$T/b.jsonl"
cat "$T/a.jsonl" "$T/b.jsonl" >"$T/all.jsonl"
"$BP_BIN/bp-filter" --rules "$BP_ROOT/rules" --input "$T/all.jsonl" --output "$T/expected.jsonl" \
  2>"$T/filemode.log" || bp_fail "file mode failed"
expected=$(bp_json 'len(set(r["id"] for r in rows))' <"$T/expected.jsonl")
[ "$expected" -gt 100 ] || bp_fail "only $expected expected mentions: the rule pack no longer matches the test posts"

bp_start_broker $PARTS
cat >"$T/filter.yaml" <<EOF
kafka:
  group: scale-filter
  rdkafka:
    session.timeout.ms: "6000"
    heartbeat.interval.ms: "500"
    max.poll.interval.ms: "10000"
    auto.commit.interval.ms: "5000"
filter:
  rules: $BP_ROOT/rules
EOF

# assigned NAME — the partitions NAME holds after its last assignment (0 if none yet)
assigned() {
  local n
  n=$(grep -E "assigned [0-9]+ partition" "$T/$1.log" | tail -1 | sed -E 's/.*assigned ([0-9]+) partition.*/\1/')
  if grep -E "assigned|revoking" "$T/$1.log" | tail -1 | grep -q revoking; then n=0; fi
  echo "${n:-0}"
}

bp_bg f1 "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_bg f2 "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_wait_for 60 '[ "$(assigned f1)" -gt 0 ] && [ "$(assigned f2)" -gt 0 ] &&
                [ $(( $(assigned f1) + $(assigned f2) )) -eq '$PARTS' ]' \
  || bp_fail "the two filters did not share the $PARTS partitions (f1 $(assigned f1), f2 $(assigned f2))"
bp_log "shared: f1 has $(assigned f1), f2 has $(assigned f2) of $PARTS partitions"

# first half, then a crash of f1 in the middle of the second half
"$BP_BIN/bp-collect-file" --input "$T/a.jsonl" >"$T/collect-a.log" 2>&1 || bp_fail "collect a"
first=$(bp_json 'len(set(r["id"] for r in rows if int(r["id"].split(":")[1]) < 300))' <"$T/expected.jsonl")
bp_wait_for 30 '[ "$(bp_count bp.mentions)" -ge "$first" ]' || bp_fail "first half not filtered"
head -150 "$T/b.jsonl" >"$T/b1.jsonl"
tail -n +151 "$T/b.jsonl" >"$T/b2.jsonl"
"$BP_BIN/bp-collect-file" --input "$T/b1.jsonl" >"$T/collect-b1.log" 2>&1 || bp_fail "collect b1"
# kill f1 as soon as the second batch is being filtered: its latest offsets are not committed yet
bp_wait_for 30 '[ "$(bp_count bp.mentions)" -gt "$first" ]' || bp_fail "second batch not filtered"
bp_stop f1 KILL
bp_log "f1 killed"
"$BP_BIN/bp-collect-file" --input "$T/b2.jsonl" >"$T/collect-b2.log" 2>&1 || bp_fail "collect b2"

bp_wait_for 60 '[ "$(assigned f2)" -eq '$PARTS' ]' \
  || bp_fail "f2 did not take over every partition (has $(assigned f2))"
bp_log "f2 took over all $PARTS partitions"

# nothing lost: every expected id has a mention (repeats allowed)
bp_wait_for 60 '[ "$(bp_tail bp.mentions | bp_json "len(set(r[\"value\"][\"id\"] for r in rows))")" -ge '"$expected"' ]'
bp_tail bp.mentions >"$T/mentions.jsonl"
python3 - "$T/expected.jsonl" "$T/mentions.jsonl" <<'PY' || exit 1
import json, sys
want = {json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()}
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
got = [r["value"]["id"] for r in rows]
missing = sorted(want - set(got), key=lambda s: int(s.split(":")[1]))
extra = sorted(set(got) - want)
print(f"expected {len(want)} mentions, got {len(got)} records for {len(set(got))} posts "
      f"({len(got) - len(set(got))} repeats after the crash)")
if missing: print("LOST:", missing[:20], "..." if len(missing) > 20 else "")
if extra: print("UNEXPECTED:", extra[:20])
sys.exit(1 if missing or extra else 0)
PY
bp_stop f2 TERM || bp_fail "f2 exited $? on SIGTERM"
