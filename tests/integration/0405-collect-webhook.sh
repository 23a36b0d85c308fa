#!/usr/bin/env bash
# bp-collect-webhook: signed posts one at a time, as arrays and as JSON lines, answered 202 only
# once in bp.posts; bad signatures, stale and replayed timestamps, oversized and malformed bodies
# refused with a JSON error; 16 concurrent clients; nothing lost, nothing twice.
source "$(dirname "$0")/lib.sh"
bp_start_broker 3
export HOOK_SECRET="hook-secret-9f2"
cat >"$T/webhook.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS"}
listen: 127.0.0.1:0
secret: {env: HOOK_SECRET}
max_body: 8192
feed: site-form
tolerance: 5m
YAML
bp_bg webhook "$BP_BIN/bp-collect-webhook" -c "$T/webhook.yaml"
bp_wait_for 15 'grep -q "^http://" "$T/webhook.log"' || bp_fail "webhook did not start"
url=$(grep -m1 "^http://" "$T/webhook.log")
(cd "$T" && python3 "$BP_ROOT/tests/data/collectors/webhook/client.py" "$url" "$HOOK_SECRET") >"$T/client.log" 2>&1 \
  || { cat "$T/client.log"; bp_fail "webhook client checks"; }
bp_assert_eq "$(wc -l <"$T/ids.txt")" 246 "posts accepted (1 + 3 + 2 + 16*5*3)"
# 202 means acknowledged: every accepted id is already in bp.posts, exactly once
bp_tail bp.posts --count 246 >"$T/posts.jsonl"
bp_assert_eq "$(wc -l <"$T/posts.jsonl")" 246 "records in bp.posts"
bp_assert_eq "$(bp_json 'len(set(r["value"]["id"] for r in rows))' <"$T/posts.jsonl")" 246 "distinct ids"
bp_assert_eq "$(bp_json 'sorted(r["value"]["id"] for r in rows) == sorted(open("'"$T"'/ids.txt").read().split())' <"$T/posts.jsonl")" \
  True "bp.posts holds exactly the accepted posts"
bp_assert_eq "$(bp_json '[r["value"]["feed"] + "/" + r["value"]["source"] + "/" + r["value"]["lang"] for r in rows if r["value"]["text"] == "Приватбанк не работает"][0]' <"$T/posts.jsonl")" \
  "site-form/webhook/ru" "defaults filled in"
bp_assert_eq "$(bp_json 'sorted(r["value"]["id"] for r in rows if r["value"]["id"].startswith("crm:"))' <"$T/posts.jsonl")" \
  '["crm:1", "crm:2", "crm:3"]' "ids given by the sender"
grep -q "401: bad signature" "$T/webhook.log" || bp_fail "bad signature not logged"
grep -q "401: replayed request" "$T/webhook.log" || bp_fail "replay not logged"
if grep -q "$HOOK_SECRET" "$T/webhook.log"; then bp_fail "the secret appears in the log"; fi
bp_stop webhook TERM || bp_fail "webhook did not exit 0"
grep -q "requests=.* posts_accepted=246" "$T/webhook.log" || bp_fail "counters not logged at exit"
exit 0
