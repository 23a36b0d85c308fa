#!/usr/bin/env bash
# bp-collect-rss against a loopback feed server: RSS 2.0, Atom, windows-1251 and koi8-r feeds,
# conditional GET (ETag/Last-Modified), repeated polls send nothing twice, clean SIGTERM.
source "$(dirname "$0")/lib.sh"
bp_start_broker 3
port=$(bp_fakehttp feeds "$BP_ROOT/tests/data/collectors/rss/routes.json")
cat >"$T/rss.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS"}
state_dir: $T/state
stats_interval: 1s
metrics_listen: 127.0.0.1:0
feeds:
  - {name: forum, url: "http://127.0.0.1:$port/feeds/forum.xml", interval: 300ms}
  - {name: status, url: "http://127.0.0.1:$port/feeds/status.atom", interval: 300ms}
  - {name: news-1251, url: "http://127.0.0.1:$port/feeds/cp1251.xml", interval: 300ms}
  - {name: news-koi8, url: "http://127.0.0.1:$port/feeds/koi8.xml", interval: 300ms}
  - {name: off, url: "http://127.0.0.1:$port/feeds/none.xml", enabled: false}
YAML
"$BP_BIN/bp-collect-rss" -c "$T/rss.yaml" --check >/dev/null || bp_fail "--check refused a good config"
bp_bg rss "$BP_BIN/bp-collect-rss" -c "$T/rss.yaml"
# 2 + 2 + 1 + 1 posts; wait until every feed was polled several times
bp_wait_for 30 '[ "$(bp_count bp.posts)" -ge 6 ]' || bp_fail "posts did not arrive"
bp_wait_for 30 '[ "$(grep -c "/feeds/status.atom" "$T/feeds.jsonl")" -ge 4 ] && [ "$(grep -c "/feeds/forum.xml" "$T/feeds.jsonl")" -ge 3 ]' \
  || bp_fail "feeds were not polled repeatedly"
# metrics (docs/metrics.md): per-feed counters, readiness
murl=$(grep -o 'metrics on http://[^ ]*' "$T/rss.log" | head -1 | sed 's/metrics on //')
curl -sf "$murl" >"$T/metrics.txt" || bp_fail "no metrics at '$murl'"
grep -q '^bp_posts_collected_total{source="rss",feed="forum"} 2$' "$T/metrics.txt" || bp_fail "bp_posts_collected_total: $(grep collected "$T/metrics.txt")"
grep -q '^bp_polls_total{feed="status"} [1-9]' "$T/metrics.txt" || bp_fail "bp_polls_total missing"
grep -q '^bp_ready 1' "$T/metrics.txt" || bp_fail "not ready"
curl -sf "${murl%/metrics}/healthz" >/dev/null || bp_fail "healthz"
bp_stop rss TERM || bp_fail "bp-collect-rss did not exit 0 on SIGTERM"
bp_tail bp.posts >"$T/posts.jsonl"
bp_assert_eq "$(wc -l <"$T/posts.jsonl")" 6 "records in bp.posts (no duplicates after repeated polls)"
bp_assert_eq "$(bp_json 'len(set(r["value"]["id"] for r in rows))' <"$T/posts.jsonl")" 6 "distinct ids"
bp_assert_eq "$(bp_json 'all(r["key"] == r["value"]["id"] for r in rows)' <"$T/posts.jsonl")" True "records keyed by post id"
bp_assert_eq "$(bp_json 'sorted(r["value"]["feed"] for r in rows)' <"$T/posts.jsonl")" \
  '["forum", "forum", "news-1251", "news-koi8", "status", "status"]' "feeds of the posts"
bp_assert_eq "$(bp_json '[r["value"]["text"] for r in rows if r["value"]["id"] == "rss:https://forum.example.ru/t/1001"][0]' <"$T/posts.jsonl")" \
  "Приватбанк опять не работает
Третий день не могу войти в приложение «Приват24».
Поддержка молчит…
Ужасный сервис!" "HTML description turned into text"
bp_assert_eq "$(bp_json '[r["value"]["text"].split("\n")[0] for r in rows if r["value"]["feed"].startswith("news")]' <"$T/posts.jsonl")" \
  '["Банкомат съел карту", "Банкомат съел карту"]' "windows-1251 and koi8-r converted"
bp_assert_eq "$(bp_json 'all(r["value"]["v"] == 1 and r["value"]["source"] == "rss" and r["value"]["collected_at"] and r["value"].get("lang") for r in rows)' <"$T/posts.jsonl")" \
  True "DESIGN post fields"
# conditional GET: after the first answer the forum feed is asked with its validators
bp_assert_eq "$(python3 -c '
import json,sys
reqs=[json.loads(l) for l in open(sys.argv[1]) if "/feeds/forum.xml" in l]
print(reqs[0]["headers"].get("if-none-match"), reqs[1]["headers"].get("if-none-match"), reqs[1]["headers"].get("if-modified-since"))
' "$T/feeds.jsonl")" 'None "forum-v1" Mon, 23 Nov 2026 10:00:00 GMT' "If-None-Match / If-Modified-Since sent"
grep -q '"user-agent":"brandpulse/' "$T/feeds.jsonl" || bp_fail "User-Agent does not name brandpulse"
grep -q 'feed forum: fetched=3 produced=2 skipped=1 failed=0' "$T/rss.log" || bp_fail "per-feed counters not logged"
[ -s "$T/state/forum.json" ] && [ -s "$T/state/status.ids" ] || bp_fail "no checkpoint files"
grep -q '"etag":"\\"forum-v1\\""' "$T/state/forum.json" || bp_fail "ETag not in the checkpoint"
# a bad configuration is a usage error naming file:line:column
printf 'feeds:\n  - {name: x, url: "ftp://a"}\n' >"$T/bad.yaml"
"$BP_BIN/bp-collect-rss" -c "$T/bad.yaml" --check 2>"$T/bad.err"; rc=$?
bp_assert_eq $rc 2 "exit status on a bad config"
grep -q "bad.yaml:2:5: feed 'x': key 'url'" "$T/bad.err" || bp_fail "bad config message: $(cat "$T/bad.err")"
exit 0
