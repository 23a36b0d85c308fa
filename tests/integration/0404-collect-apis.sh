#!/usr/bin/env bash
# bp-collect-telegram, -x, -mastodon, -reddit, -http-json and -vk (comments mode) against
# recorded API answers on loopback: posts in DESIGN's format, cursors (offset, since_id/next_token, min_id, after) sent
# back, an X 401 and 429 reported and backed off, an unusable item dead-lettered.
source "$(dirname "$0")/lib.sh"
bp_start_broker 3
port=$(bp_fakehttp api "$BP_ROOT/tests/data/collectors/apis-routes.json")
base="http://127.0.0.1:$port"
export TG_TOKEN="TG-TOKEN-77" X_TOKEN="x-bearer-secret-1" VK_TOKEN="vk-user-token"
common="kafka: {brokers: \"$BP_BROKERS\"}
state_dir: $T/state
stats_interval: 0s"
cat >"$T/tg.yaml" <<YAML
$common
feeds:
  - {name: tg-bot, token: {env: TG_TOKEN}, base_url: "$base", long_poll: 1s, interval: 200ms}
YAML
cat >"$T/x.yaml" <<YAML
$common
feeds:
  - {name: x-bank, query: "examplebank -is:retweet", token: {env: X_TOKEN}, base_url: "$base",
     interval: 300ms, retries: 0, backoff: 100ms, backoff_max: 1500ms}
YAML
cat >"$T/mastodon.yaml" <<YAML
$common
feeds:
  - {name: fedi, base_url: "$base", hashtag: examplebank, interval: 300ms}
YAML
cat >"$T/reddit.yaml" <<YAML
$common
feeds:
  - {name: rd, query: examplebank, base_url: "$base", interval: 300ms, count: 2}
YAML
cat >"$T/vk.yaml" <<YAML
$common
feeds:
  - {name: vk-own, mode: comments, token: {env: VK_TOKEN}, base_url: "$base", interval: 300ms}
YAML
cat >"$T/httpjson.yaml" <<YAML
$common
feeds:
  - name: reviews
    url: "$base/api/reviews?q={query}&since={since_id}"
    query: examplebank
    items: /result/reviews
    interval: 300ms
    headers: {X-Api-Key: demo}
    fields: {id: /review_id, text: /body, title: /headline, author: /user/nick,
             author_id: /user/uid, followers: /user/karma, time: /ts, url: /link}
YAML
for s in tg:telegram x:x mastodon:mastodon reddit:reddit httpjson:http-json vk:vk; do
  bp_bg "${s%%:*}" "$BP_BIN/bp-collect-${s##*:}" -c "$T/${s%%:*}.yaml"
done
# telegram 3+1, x 2+1, mastodon 2, reddit 2+1, http-json 2, vk comments 2
bp_wait_for 40 '[ "$(bp_count bp.posts)" -ge 16 ]' || bp_fail "posts did not arrive ($(bp_count bp.posts))"
bp_wait_for 10 'grep -q "offset=700007" "$T/api.jsonl" && grep -q "since_id=1860000000000000003" "$T/api.jsonl" && grep -q "min_id=113500000000000003" "$T/api.jsonl" && grep -q "start_time=1795421700" "$T/api.jsonl"' \
  || bp_fail "cursors not sent back"
sleep 1 # a few more polls: nothing may be sent twice
for n in tg x mastodon reddit httpjson vk; do bp_stop $n TERM || bp_fail "$n did not exit 0"; done
bp_tail bp.posts >"$T/posts.jsonl"
bp_assert_eq "$(wc -l <"$T/posts.jsonl")" 16 "records in bp.posts"
bp_assert_eq "$(bp_json 'len(set(r["value"]["id"] for r in rows))' <"$T/posts.jsonl")" 16 "distinct ids"
bp_assert_eq "$(bp_json 'sorted(set(r["value"]["source"] for r in rows))' <"$T/posts.jsonl")" \
  '["http-json", "mastodon", "reddit", "telegram", "vk", "x"]' "sources"
bp_assert_eq "$(bp_json 'sorted(r["value"]["thread_id"] for r in rows if r["value"]["source"] == "vk")' <"$T/posts.jsonl")" \
  '["vk:wall-1234_5600", "vk:wall-1234_5600"]' "vk comments under their post"
bp_assert_eq "$(bp_json '[r["value"]["author"]["followers"] for r in rows if r["value"]["id"] == "x:1860000000000000003"][0]' <"$T/posts.jsonl")" \
  48000 "X author followers"
bp_assert_eq "$(bp_json '[r["value"]["text"] for r in rows if r["value"]["id"] == "http-json:reviews:501"][0]' <"$T/posts.jsonl")" \
  "Отзыв
Ужасное обслуживание в отделении на Ленина" "http-json mapping"
bp_assert_eq "$(bp_json '[r["value"]["kind"] for r in rows if r["value"]["id"] == "telegram:-1001500_11@1795421000"][0]' <"$T/posts.jsonl")" \
  edit "telegram edit"
grep -qF "feed x-bank: poll failed (auth): HTTP 401 (attempt 1): Unauthorized: Unauthorized — the token is invalid or expired" "$T/x.log" \
  || bp_fail "no clear log line for X 401"
grep -qF "feed x-bank: poll failed (rate-limited): HTTP 429, Retry-After 1000 ms" "$T/x.log" || bp_fail "no log line for X 429"
# request details
python3 - "$T/api.jsonl" <<'PY' || bp_fail "requests were not as the APIs expect"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
x = [r for r in reqs if r["path"] == "/2/tweets/search/recent"]
assert x[0]["headers"]["authorization"] == "Bearer x-bearer-secret-1"
assert "query=examplebank%20-is%3Aretweet" in x[0]["query"] and "expansions=author_id" in x[0]["query"]
rd = [r for r in reqs if r["path"] == "/search.json"]
assert "sort=new" in rd[0]["query"] and "q=examplebank" in rd[0]["query"]
assert rd[0]["headers"]["user-agent"].startswith("brandpulse/") and "/u/" in rd[0]["headers"]["user-agent"]
hj = [r for r in reqs if r["path"] == "/api/reviews"]
assert hj[0]["query"] == "q=examplebank&since=", hj[0]["query"]
assert hj[1]["headers"].get("if-none-match") == '"r1"' and hj[1]["headers"]["x-api-key"] == "demo"
tg = [r for r in reqs if r["path"].endswith("/getUpdates")]
assert "timeout=1" in tg[0]["query"] and "allowed_updates=" in tg[0]["query"] and "offset" not in tg[0]["query"]
PY
# the review without an id went to the dead-letter topic with its reason
bp_tail bp.deadletter >"$T/dl.jsonl"
bp_assert_eq "$(bp_json '[r["headers"].get("bp-reason") for r in rows]' <"$T/dl.jsonl")" \
  '["item without an id at the fields.id pointer"]' "dead letters"
if grep -q "x-bearer-secret-1\|TG-TOKEN-77" "$T"/tg.log "$T"/x.log; then bp_fail "a token appears in a log"; fi
exit 0
