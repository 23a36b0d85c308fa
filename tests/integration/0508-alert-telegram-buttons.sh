#!/usr/bin/env bash
# Telegram inline buttons: every alert carries Acknowledge / Resolve / Snooze buttons; presses
# are read back through getUpdates (callback queries), answered, recorded in bp.deliveries,
# passed on to PagerDuty (acknowledge, same dedup_key) and stop the escalation, while an alert
# nobody pressed for is escalated.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 1
cat >"$T/routes1.json" <<'EOC'
{"routes":[
  {"path":"/bot123:ABC/sendMessage","responses":[{"json":{"ok":true,"result":{"message_id":7}}}]},
  {"path":"/bot123:ABC/getUpdates","responses":[{"json":{"ok":true,"result":[]}}]},
  {"path":"/bot123:ABC/answerCallbackQuery","responses":[{"json":{"ok":true,"result":true}}]},
  {"path":"/v2/enqueue","responses":[{"status":202,"json":{"status":"success"}}]},
  {"path":"/lead","responses":[{"status":200}]}]}
EOC
PORT=$(bp_fakehttp rx "$T/routes1.json")
export BP_T_TG_TOKEN="123:ABC" BP_T_LEAD="http://127.0.0.1:$PORT/lead" BP_T_PD_KEY="PDKEY"
sed -e "s#@STATE@#$T/state#" -e "s#@PORT@#$PORT#g" "$D/telegram-buttons.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
sed -n '1,3p' "$D/alerts.jsonl" >"$T/in.jsonl"
aid() { python3 -c 'import hashlib,sys; print("al_" + hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16])' "$1"; }
A1=$(aid "tg:privat_help/1001"); A2=$(aid "x:1860000000000000001"); A3=$(aid "vk:wall-1234_5678")

bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 30 '[ "$(grep -c "/sendMessage" "$T/rx.jsonl")" -ge 3 ]' || bp_fail "telegram got no alerts"

# olena acknowledges the first, oleh snoozes the second; nobody touches the third
cat >"$T/routes2.json" <<EOC
{"routes":[
  {"path":"/bot123:ABC/sendMessage","responses":[{"json":{"ok":true,"result":{"message_id":7}}}]},
  {"path":"/bot123:ABC/getUpdates","responses":[
     {"json":{"ok":true,"result":[
        {"update_id":100,"callback_query":{"id":"cq1","from":{"id":1,"username":"olena"},"data":"ack|$A1"}},
        {"update_id":101,"callback_query":{"id":"cq2","from":{"id":2,"first_name":"oleh"},"data":"snz|$A2"}}]}},
     {"json":{"ok":true,"result":[]}}]},
  {"path":"/bot123:ABC/answerCallbackQuery","responses":[{"json":{"ok":true,"result":true}}]},
  {"path":"/v2/enqueue","responses":[{"status":202,"json":{"status":"success"}}]},
  {"path":"/lead","responses":[{"status":200}]}]}
EOC
curl -s --data-binary @"$T/routes2.json" "http://127.0.0.1:$PORT/_fake/routes" >/dev/null || bp_fail "routes"
bp_wait_for 30 '[ "$(grep -c "/answerCallbackQuery" "$T/rx.jsonl")" -ge 2 ]' || bp_fail "button presses not answered"
bp_wait_for 30 'grep -q "\"path\":\"/lead\"" "$T/rx.jsonl"' || bp_fail "the untouched alert was not escalated"
sleep 1   # give a wrong escalation of the other two a chance to show
bp_stop alert || bp_fail "bp-alert did not stop cleanly"

python3 - "$T/rx.jsonl" "$A1" "$A2" "$A3" <<'EOP' || bp_fail "button checks"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
a1, a2, a3 = sys.argv[2:5]
def fail(m):
    print("FAILED:", m); sys.exit(1)
sent = [json.loads(r["body"]) for r in rows if r["path"].endswith("/sendMessage")]
for b in sent:
    kb = b.get("reply_markup", {}).get("inline_keyboard")
    if not kb: fail("no buttons: %r" % b)
    datas = [k["callback_data"] for k in kb[0]]
    if [d.split("|")[0] for d in datas] != ["ack", "res", "snz"]: fail("buttons %r" % datas)
answers = sorted((json.loads(r["body"])["callback_query_id"], json.loads(r["body"])["text"]) for r in rows if r["path"].endswith("/answerCallbackQuery"))
if answers != [("cq1", "Acknowledged"), ("cq2", "Snoozed for 30 minutes")]: fail("answers %r" % answers)
polls = [json.loads(r["body"]) for r in rows if r["path"].endswith("/getUpdates")]
if polls[-1]["offset"] != 102: fail("getUpdates offset %r" % polls[-1])
lead = [json.loads(r["body"]) for r in rows if r["path"] == "/lead"]
got = sorted(b["bp_alert"]["alert_id"] for b in lead)
if got != [a3]: fail("escalated %r, expected only %s" % (got, a3))
# the acknowledgement is passed on to PagerDuty with the same dedup_key; the snooze is not
pd = sorted((e["event_action"], e["dedup_key"]) for e in (json.loads(r["body"]) for r in rows if r["path"] == "/v2/enqueue"))
want = sorted([("trigger", a1), ("trigger", a2), ("trigger", a3), ("acknowledge", a1)])
if pd != want: fail("pagerduty events %r" % pd)
EOP
bp_tail bp.deliveries >"$T/del.jsonl"
acts=$(bp_json 'sorted((r["value"]["result"], r["value"]["detail"].split(" until ")[0]) for r in rows if r["value"]["result"] in ("acked","snoozed")).__repr__()' <"$T/del.jsonl")
bp_assert_eq "$acts" "[('acked', 'acknowledged by olena (telegram)'), ('snoozed', 'snoozed by oleh (telegram)')]" "button records"
exit 0
