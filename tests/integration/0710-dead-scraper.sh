#!/usr/bin/env bash
# A dead scraper is found in seconds: bp-collect-rss sends heartbeats to bp.heartbeats,
# bp-watchdog raises exactly one operational alert (brand _ops) through bp-alert to the
# engineers' webhook when the feed's server starts failing, one "recovered" alert when it comes
# back, survives its own restart without repeating itself, and catches a collector that died.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/watchdog
bp_start_broker 3
PORT=$(bp_fakehttp srv "$D/feed-ok.json")
export BP_OPS_WEBHOOK_URL="http://127.0.0.1:$PORT/ops" BP_CARE_WEBHOOK_URL="http://127.0.0.1:$PORT/care"
mkdir -p "$T/state"
bp_render "$D/alert.yaml" "$T/alert.yaml"
bp_render "$D/watchdog.yaml" "$T/watchdog.yaml"
cat >"$T/rss.yaml" <<YAML
kafka: {brokers: "$BP_BROKERS"}
state_dir: $T/state/rss
heartbeat_interval: 200ms
metrics_listen: 127.0.0.1:0
feeds:
  - {name: status-forum, url: "http://127.0.0.1:$PORT/feeds/status.xml", interval: 300ms,
     silence: 1h, retries: 0, backoff: 200ms, backoff_max: 500ms}
YAML
"$BP_BIN/bp-watchdog" -c "$T/watchdog.yaml" --check-config >/dev/null || bp_fail "--check-config refused a good config"
"$BP_BIN/bp-watchdog" -c "$BP_ROOT/config/watchdog.yaml" --check-config >/dev/null || bp_fail "config/watchdog.yaml refused"
printf 'log_level: info\nfactor: 0\n' >"$T/bad.yaml"
rc=0; "$BP_BIN/bp-watchdog" -c "$T/bad.yaml" --check-config 2>"$T/bad.err" || rc=$?
bp_assert_eq "$rc" 2 "exit status for a bad watchdog config"
grep -q "bad.yaml:2:9: key 'factor': must be above 0" "$T/bad.err" || bp_fail "bad factor message: $(cat "$T/bad.err")"
printf 'factr: 3\n' >"$T/typo.yaml"
rc=0; "$BP_BIN/bp-watchdog" -c "$T/typo.yaml" --check-config 2>"$T/typo.err" || rc=$?
bp_assert_eq "$rc" 2 "exit status for an unknown key"
grep -q "typo.yaml:1:1: unknown key 'factr'" "$T/typo.err" || bp_fail "typo message: $(cat "$T/typo.err")"

ops_count() { grep -c '"path":"/ops"' "$T/srv.jsonl" 2>/dev/null || true; }
ops_ids() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/ops":
        print(json.loads(r["body"])["id"])
' "$T/srv.jsonl"; }

bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
bp_bg rss "$BP_BIN/bp-collect-rss" -c "$T/rss.yaml"
bp_bg wd "$BP_BIN/bp-watchdog" -c "$T/watchdog.yaml"
bp_wait_for 30 '[ "$(bp_count bp.posts)" -ge 2 ]' || bp_fail "posts did not arrive"
bp_wait_for 30 'grep -q "heartbeats read up to now: 1 feed\|feed status-forum: first heartbeat" "$T/wd.log"' || bp_fail "the watchdog did not see the feed"
# healthy for longer than the 2 s floor: no alert
sleep 3
bp_assert_eq "$(ops_count)" 0 "ops alerts while the feed is healthy"
bp_tail bp.heartbeats >"$T/hb.jsonl"
bp_assert_eq "$(bp_json 'all(r["key"] == "status-forum" and r["value"]["kind"] == "heartbeat" and r["value"]["source"] == "rss" and r["value"]["collector"] == "bp-collect-rss" and r["value"]["poll_interval_ms"] == 300 and r["value"]["expected_interval_ms"] == 3600000 for r in rows) and bool(rows[-1]["value"]["last_post_at"]) and rows[-1]["value"]["posts_total"] == 2' <"$T/hb.jsonl")" True "heartbeat records"

# the feed's server starts failing: exactly one stale alert, to the engineers only
t0=$(date +%s.%N)
curl -sf -d @"$D/feed-broken.json" "http://127.0.0.1:$PORT/_fake/routes" >/dev/null || bp_fail "switching the feed to 500s"
bp_wait_for 20 '[ "$(ops_count)" -ge 1 ]' || bp_fail "no stale alert at the ops webhook"
t1=$(date +%s.%N)
bp_log "stale alert $(python3 -c "print(round($t1 - $t0, 1))") s after the feed started failing"
sleep 2
bp_assert_eq "$(ops_count)" 1 "stale alerts for one episode"
bp_assert_eq "$(grep -c '"path":"/care"' "$T/srv.jsonl")" 0 "ops alerts at the care team's webhook"
python3 - "$T/srv.jsonl" <<'PY' || bp_fail "stale alert body"
import json, sys
a = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/ops"][0]
assert a["id"].startswith("ops:stale:status-forum:"), a["id"]
assert a["brands"] == ["_ops"] and a["priority"] == "high", a
assert a["reasons"] == ["stale_feed:status-forum"], a["reasons"]
assert "has not polled successfully for" in a["text"], a["text"]
assert "HTTP 500" in a["text"] or "500" in a["ops"]["last_error"], a
assert a["ops"]["rule"] == "no_poll" and a["feed_source"] == "rss", a["ops"]
PY

# the watchdog restarts while the feed is still down: it rebuilds its state, says nothing new
bp_stop wd || bp_fail "bp-watchdog did not exit 0 on SIGTERM"
bp_bg wd2 "$BP_BIN/bp-watchdog" -c "$T/watchdog.yaml"
bp_wait_for 30 'grep -q "heartbeats read up to now: 1 feed" "$T/wd2.log"' || bp_fail "the restarted watchdog did not catch up"
sleep 2
bp_assert_eq "$(ops_count)" 1 "alerts after the watchdog restarted"
grep -q "stale alert" "$T/wd2.log" && bp_fail "the restarted watchdog produced the stale alert again"

# the feed comes back: one recovered alert for the same episode
curl -sf -d @"$D/feed-ok.json" "http://127.0.0.1:$PORT/_fake/routes" >/dev/null || bp_fail "switching the feed back"
bp_wait_for 20 '[ "$(ops_count)" -ge 2 ]' || bp_fail "no recovered alert"
sleep 2
bp_assert_eq "$(ops_count)" 2 "alerts after the recovery"
ids=$(ops_ids)
stale=$(echo "$ids" | sed -n 1p); rec=$(echo "$ids" | sed -n 2p)
bp_assert_eq "${rec#ops:recovered:}" "${stale#ops:stale:}" "the recovered alert names the stale episode"
grep '"path":"/ops"' "$T/srv.jsonl" | sed -n 2p | grep -q 'its source answers again' || bp_fail "recovered text"

# the collector process dies: no heartbeat -> one more episode; back -> recovered
bp_stop rss KILL || true
bp_wait_for 20 '[ "$(ops_count)" -ge 3 ]' || bp_fail "no alert for a dead collector"
ops_ids | sed -n 3p | grep -q '^ops:stale:status-forum:' || bp_fail "third alert: $(ops_ids)"
grep '"path":"/ops"' "$T/srv.jsonl" | tail -1 | grep -q 'sent no heartbeat' || bp_fail "dead collector alert text"
grep -q '"last_post_at":"' "$T/state/rss/status-forum.json" || bp_fail "last_post_at not in the checkpoint"
bp_bg rss2 "$BP_BIN/bp-collect-rss" -c "$T/rss.yaml"
bp_wait_for 20 '[ "$(ops_count)" -ge 4 ]' || bp_fail "no recovered alert after the collector restarted"
ops_ids | sed -n 4p | grep -q '^ops:recovered:status-forum:' || bp_fail "fourth alert: $(ops_ids)"
sleep 1
bp_assert_eq "$(ops_count)" 4 "alerts in total"
murl=$(grep -o 'metrics on http://[^ ]*' "$T/wd2.log" | head -1 | sed 's/metrics on //')
curl -sf "$murl" >"$T/metrics.txt" || bp_fail "no watchdog metrics"
grep -q '^bp_watchdog_alerts_total{state="stale"} 1$' "$T/metrics.txt" || bp_fail "watchdog metrics: $(grep watchdog "$T/metrics.txt")"
grep -q '^bp_watchdog_stale_feeds 0$' "$T/metrics.txt" || bp_fail "stale feeds gauge"
bp_stop rss2 || bp_fail "bp-collect-rss did not exit 0"
# the restarted collector produced nothing new (all seen) but still knows its last post
bp_tail bp.heartbeats >"$T/hb2.jsonl"
bp_assert_eq "$(bp_json '[r["value"]["last_post_at"] for r in rows if r["value"]["kind"] == "heartbeat"][-1] == [r["value"]["last_post_at"] for r in rows if r["value"]["kind"] == "heartbeat" and r["value"]["posts_total"] == 2][-1]' <"$T/hb2.jsonl")" True "last_post_at kept over a collector restart"
bp_assert_eq "$(bp_json 'sorted((r["value"]["state"], r["value"]["rule"]) for r in rows if r["value"]["kind"] == "watchdog").__repr__()' <"$T/hb2.jsonl")" \
  "[('recovered', 'no_heartbeat'), ('recovered', 'no_poll'), ('stale', 'no_heartbeat'), ('stale', 'no_poll')]" "watchdog markers"
bp_stop wd2 || bp_fail "bp-watchdog did not exit 0"
bp_stop alert || true
exit 0
