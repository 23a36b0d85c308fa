#!/usr/bin/env bash
# bp-alert's HTTP channels against a recording receiver: Standard Webhooks signatures, Slack
# incoming-webhook payloads, Telegram sendMessage (429 retry_after honoured, a formatting
# rejection retried as plain text, a long post split at 4096 characters), PagerDuty Events v2
# (trigger with dedup_key, severity from priority); personal data masked in chats.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 1
PORT=$(bp_fakehttp rx "$D/channels-routes.json")
export BP_T_HOOK_URL="http://127.0.0.1:$PORT/hook"
export BP_T_HOOK_SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
export BP_T_SLACK_URL="http://127.0.0.1:$PORT/slack/T000/B000/XXXX"
export BP_T_TG_TOKEN="123:ABC"
export BP_T_PD_KEY="R0UTINGKEY"
sed -e "s#@STATE@#$T/state#" -e "s#@PORT@#$PORT#g" "$D/channels.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
# the six distinct alerts plus one with a 6000-character text
python3 - "$D/alerts.jsonl" >"$T/in.jsonl" <<'EOP'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
seen = set()
for r in rows:
    if r["id"] in seen: continue
    seen.add(r["id"]); print(json.dumps(r, ensure_ascii=False))
long = dict(rows[2]); long["id"] = "vk:wall-1234_9999"; long["url"] = "https://vk.com/wall-1234_9999"
long["text"] = ("Киевстар не работает. " * 300).strip()
print(json.dumps(long, ensure_ascii=False))
EOP
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
# 7 alerts x (hook, slack) + 2 urgent to PagerDuty + telegram: 7 alerts, one in 2 parts,
# one 429 retry, one plain-text retry = 10 requests
bp_wait_for 40 '[ "$(bp_json "len([r for r in rows if r[\"path\"].startswith(\"/bot\")])" <"$T/rx.jsonl")" -ge 10 ]' \
  || bp_fail "telegram requests: $(grep -c /bot "$T/rx.jsonl")"
bp_wait_for 20 '[ "$(grep -c "\"path\":\"/hook\"" "$T/rx.jsonl")" -ge 7 ] && [ "$(grep -c "\"path\":\"/slack/" "$T/rx.jsonl")" -ge 7 ] && [ "$(grep -c "\"path\":\"/v2/enqueue\"" "$T/rx.jsonl")" -ge 2 ]' \
  || bp_fail "not every channel got its requests"
bp_stop alert || bp_fail "bp-alert did not stop cleanly"

python3 - "$T/rx.jsonl" <<'EOP' || bp_fail "payload checks"
import base64, hashlib, hmac, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def fail(msg):
    print("FAILED:", msg); sys.exit(1)
hook = [r for r in rows if r["path"] == "/hook"]
key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
for r in hook:
    h = r["headers"]
    signed = (h["webhook-id"] + "." + h["webhook-timestamp"] + "." + r["body"]).encode()
    want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if h.get("webhook-signature") != want:
        fail("bad webhook signature for " + h["webhook-id"])
if len({json.loads(r["body"])["id"] for r in hook}) != 7: fail("webhook: 7 distinct posts expected")
slack = [r for r in rows if r["path"].startswith("/slack/")]
for r in slack:
    b = json.loads(r["body"])
    if set(b) != {"text", "mrkdwn"} or not b["text"].startswith("*["): fail("slack payload: %r" % b)
    if "4111" in b["text"] or "ann.smith@" in b["text"]: fail("slack: personal data not masked")
if not any("[card ****1111]" in json.loads(r["body"])["text"] for r in slack): fail("slack: no masked card")
pd = [json.loads(r["body"]) for r in rows if r["path"] == "/v2/enqueue"]
if len(pd) != 2: fail("pagerduty: %d events" % len(pd))
for e in pd:
    if e["routing_key"] != "R0UTINGKEY" or e["event_action"] != "trigger": fail("pd event %r" % e)
    if not e["dedup_key"].startswith("al_") or e["payload"]["severity"] != "critical": fail("pd %r" % e)
    if len(e["payload"]["summary"]) > 1024 or "4111" in e["payload"]["summary"]: fail("pd summary")
tg = [r for r in rows if r["path"].startswith("/bot")]
bodies = [json.loads(r["body"]) for r in tg]
if any(b["chat_id"] != "-100200300" for b in bodies): fail("telegram chat_id")
# 429 then the same message again, not before retry_after (1 s)
if bodies[1]["text"] == bodies[0]["text"]: fail("the 429'd message must wait, the next one goes first")
again = [i for i, b in enumerate(bodies) if i > 0 and b["text"] == bodies[0]["text"]]
if not again: fail("the 429'd telegram message was never retried")
if tg[again[0]]["t"] - tg[0]["t"] < 900: fail("retry_after not honoured")
# the formatting rejection (2nd request) is followed by the same alert without parse_mode
if bodies[1].get("parse_mode") != "HTML" or "parse_mode" in bodies[2]: fail("no plain-text retry")
# split: every part within 4096 characters (UTF-16), the long alert in two or more parts
for b in bodies:
    if len(b["text"].encode("utf-16-le")) // 2 > 4096: fail("telegram part over 4096")
parts = [b for b in bodies if "Киевстар не работает. Киевстар" in b["text"]]
if len(parts) < 2: fail("long alert not split (%d parts)" % len(parts))
if any("4111" in b["text"] for b in bodies): fail("telegram: card not masked")
EOP
exit 0
