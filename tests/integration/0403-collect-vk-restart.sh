#!/usr/bin/env bash
# bp-collect-vk: newsfeed.search paging with next_from, an expired token (VK error 5) reported and
# backed off, the token never logged; killed with -9 and restarted, it continues from its
# checkpoint and sends nothing twice.
source "$(dirname "$0")/lib.sh"
bp_start_broker 3
data="$BP_ROOT/tests/data/collectors/vk"
port=$(bp_fakehttp vkapi "$data/routes.json")
export VK_TOKEN="vk-secret-token-0451"
cat >"$T/vk.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS"}
state_dir: $T/state
stats_interval: 0s
feeds:
  - name: vk-privat
    query: приватбанк
    token: {env: VK_TOKEN}
    base_url: "http://127.0.0.1:$port"
    interval: 300ms
    backoff: 100ms
    backoff_max: 1s
YAML
bp_bg vk "$BP_BIN/bp-collect-vk" -c "$T/vk.yaml"
bp_wait_for 30 'grep -q "feed vk-privat: recovered" "$T/vk.log"' || bp_fail "the feed did not recover after error 5"
bp_wait_for 10 'grep -q "\"start_time\":1795420860" "$T/state/vk-privat.json"' || bp_fail "no checkpoint"
grep -qF "feed vk-privat: poll failed (auth): VK API error 5: User authorization failed: access_token has expired. — the token is invalid or expired: renew it; the feed backs off" "$T/vk.log" \
  || bp_fail "no clear log line for the expired token"
bp_assert_eq "$(bp_count bp.posts)" 3 "posts of the first run"
# the requests: page 1, page 2 through next_from, then the next search from the newest date
python3 - "$T/vkapi.jsonl" <<'PY' || bp_fail "requests were not as VK expects"
import json, sys
q = [json.loads(l)["query"] for l in open(sys.argv[1]) if "newsfeed.search" in l]
assert "access_token=vk-secret-token-0451" in q[0] and "v=5.199" in q[0] and "extended=1" in q[0], q[0]
assert "q=%D0%BF%D1%80%D0%B8%D0%B2%D0%B0%D1%82" in q[0], q[0]
assert "start_from=3%2F-1234_5678" in q[1], q[1]
assert "start_time=1795420860" in q[2] and "start_from" not in q[2], q[2]
PY
bp_stop vk KILL
# restart against an API that returns one new post and one already sent (start_time is inclusive)
curl -s -o /dev/null --data-binary @<(sed "s|\"body_file\": \"|\"body_file\": \"$data/|g" "$data/routes-restart.json") \
  "http://127.0.0.1:$port/_fake/routes"
bp_bg vk2 "$BP_BIN/bp-collect-vk" -c "$T/vk.yaml"
bp_wait_for 30 'grep -q "\"start_time\":1795420880" "$T/state/vk-privat.json"' || bp_fail "restart did not continue"
bp_stop vk2 TERM || bp_fail "exit status after SIGTERM"
grep -q "resuming from checkpoint" "$T/vk2.log" || bp_fail "restart did not read its checkpoint"
bp_tail bp.posts >"$T/posts.jsonl"
bp_assert_eq "$(bp_json 'sorted(r["value"]["id"] for r in rows)' <"$T/posts.jsonl")" \
  '["vk:wall-1234_5678", "vk:wall555_7", "vk:wall99_91", "vk:wall99_93"]' "every post exactly once"
bp_assert_eq "$(bp_json '[r["value"]["author"]["followers"] for r in rows if r["value"]["id"] == "vk:wall-1234_5678"][0]' <"$T/posts.jsonl")" \
  52000 "author reach"
if grep -q "vk-secret-token-0451" "$T"/vk*.log; then bp_fail "the token appears in a log"; fi
exit 0
