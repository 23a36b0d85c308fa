#!/usr/bin/env bash
# Feed failures end in a clear log line, a back-off and a recovery, never in a lost or duplicated
# post: 500, 429 with Retry-After, garbage and truncated bodies, a timeout, a dropped connection,
# an oversized body, invalid UTF-8. One failing feed never stops the others.
source "$(dirname "$0")/lib.sh"
bp_start_broker 3
port=$(bp_fakehttp feeds "$BP_ROOT/tests/data/collectors/rss/routes-failures.json")
u="http://127.0.0.1:$port/feeds"
cat >"$T/rss.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS"}
state_dir: $T/state
stats_interval: 0s
feeds:
  - {name: flaky, url: "$u/flaky.xml", interval: 300ms, retries: 0, backoff: 200ms, backoff_max: 2s}
  - {name: slow, url: "$u/slow.xml", interval: 300ms, retries: 0, timeout: 1s, backoff: 200ms, backoff_max: 1s}
  - {name: huge, url: "$u/huge.xml", interval: 300ms, max_response: 500, backoff: 200ms, backoff_max: 1s}
  - {name: badutf8, url: "$u/badutf8.xml", interval: 300ms}
  - {name: crash, url: "$u/crash.xml", interval: 300ms, retries: 0, backoff: 200ms, backoff_max: 1s}
YAML
bp_bg rss "$BP_BIN/bp-collect-rss" -c "$T/rss.yaml"
# flaky: rdf 1 post; slow: atom 2; badutf8: 2; crash: 1
bp_wait_for 40 '[ "$(bp_count bp.posts)" -ge 6 ] && grep -q "feed flaky: recovered" "$T/rss.log"' \
  || bp_fail "posts did not arrive after the failures"
bp_wait_for 10 '[ "$(grep -c "/feeds/flaky.xml" "$T/feeds.jsonl")" -ge 7 ]' || bp_fail "flaky feed not polled on"
bp_stop rss TERM || bp_fail "bp-collect-rss did not exit 0"
log="$T/rss.log"
for line in \
  "feed flaky: poll failed (transient): HTTP 500 (attempt 1): internal error; next try in" \
  "feed flaky: poll failed (rate-limited): HTTP 429, Retry-After 1000 ms" \
  "feed flaky: poll failed (bad-body): not a well-formed feed: line 1" \
  "feed flaky: recovered after 4 failed poll(s)" \
  "feed slow: poll failed (transient): Timeout was reached" \
  "feed huge: poll failed (too-large): response body larger than 500 bytes — raise max_response" \
  "feed badutf8: 3 invalid UTF-8 sequence(s) replaced by U+FFFD" \
  "feed crash: poll failed (transient): "; do
  grep -qF "$line" "$log" || bp_fail "log line missing: $line"
done
[ "$(grep -c 'feed flaky: poll failed (bad-body)' "$log")" -eq 2 ] || bp_fail "garbage and truncated bodies not both reported"
bp_tail bp.posts >"$T/posts.jsonl"
bp_assert_eq "$(wc -l <"$T/posts.jsonl")" 6 "records in bp.posts"
bp_assert_eq "$(bp_json 'len(set(r["value"]["id"] for r in rows))' <"$T/posts.jsonl")" 6 "distinct ids"
bp_assert_eq "$(bp_json 'sorted(r["value"]["feed"] for r in rows)' <"$T/posts.jsonl")" \
  '["badutf8", "badutf8", "crash", "flaky", "slow", "slow"]' "posts per feed"
bp_assert_eq "$(bp_json 'sorted(r["value"]["text"].count("\ufffd") for r in rows if r["value"]["feed"] == "badutf8")' <"$T/posts.jsonl" | tr -d ' ')" \
  '[0,3]' "invalid UTF-8 repaired"
# Retry-After was honoured: the request after the 429 came at least ~1 s later (a lower bound only)
python3 - "$T/feeds.jsonl" <<'PY' || bp_fail "Retry-After not honoured"
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if "/feeds/flaky.xml" in l]
sys.exit(0 if t[2] - t[1] >= 900 else 1)
PY
exit 0
