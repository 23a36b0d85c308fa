#!/usr/bin/env bash
# While the broker is down nothing is lost: a feed page that is not acknowledged leaves the
# checkpoint where it was and is fetched again; the webhook answers 503 instead of 202. Once the
# broker is back, every post arrives once.
source "$(dirname "$0")/lib.sh"
bp_start_broker 3
port=$(bp_fakehttp feeds "$BP_ROOT/tests/data/collectors/rss/routes.json")
export HOOK_SECRET="s"
bp_broker_control "down 1"
sleep 0.5
cat >"$T/rss.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS", rdkafka: {message.timeout.ms: "1500"}}
state_dir: $T/state
stats_interval: 0s
feeds:
  - {name: status, url: "http://127.0.0.1:$port/feeds/status.atom", interval: 300ms, backoff: 200ms, backoff_max: 1s}
YAML
cat >"$T/webhook.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS", rdkafka: {message.timeout.ms: "1000"}}
listen: 127.0.0.1:0
secret: {env: HOOK_SECRET}
ack_timeout: 5s
YAML
bp_bg rss "$BP_BIN/bp-collect-rss" -c "$T/rss.yaml"
bp_bg webhook "$BP_BIN/bp-collect-webhook" -c "$T/webhook.yaml"
bp_wait_for 15 'grep -q "^http://" "$T/webhook.log"' || bp_fail "webhook did not start"
url=$(grep -m1 "^http://" "$T/webhook.log")
send() { # prints the HTTP status of one signed post
  local body='{"id":"form:1","text":"Сайт не открывается"}' ts; ts=$(date +%s)
  local sig; sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$HOOK_SECRET" | awk '{print $NF}')
  curl -s -o "$T/answer.json" -w '%{http_code}' -H "X-BP-Timestamp: $ts" -H "X-BP-Signature: sha256=$sig" \
    --data-binary "$body" "$url"
}
bp_assert_eq "$(send)" 503 "webhook answer while the broker is down"
grep -q "nothing is lost if you send it again" "$T/answer.json" || bp_fail "503 body: $(cat "$T/answer.json")"
bp_wait_for 20 'grep -q "feed status: .* not acknowledged" "$T/rss.log"' || bp_fail "unacknowledged page not reported"
[ ! -e "$T/state/status.json" ] || bp_fail "checkpoint written for a page the broker never acknowledged"
bp_broker_control "up 1"
bp_wait_for 30 '[ -s "$T/state/status.json" ]' || bp_fail "no checkpoint after the broker came back"
bp_assert_eq "$(send)" 202 "webhook answer once the broker is back"
bp_stop rss TERM || bp_fail "rss exit status"
bp_stop webhook TERM || bp_fail "webhook exit status"
bp_tail bp.posts >"$T/posts.jsonl"
bp_assert_eq "$(bp_json 'len(rows) == len(set(r["value"]["id"] for r in rows)) == 3' <"$T/posts.jsonl")" True "every post once"
bp_assert_eq "$(bp_json '{"form:1", "rss:https://status.example.com/incidents/78"} <= set(r["value"]["id"] for r in rows)' <"$T/posts.jsonl")" \
  True "the posts"
exit 0
