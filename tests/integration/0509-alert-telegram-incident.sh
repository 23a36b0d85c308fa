#!/usr/bin/env bash
# A burst of alerts becomes one incident whose Telegram message is updated in place
# (editMessageText with the message_id Telegram returned) as the count grows and when it is
# resolved, instead of a new message each time.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 1
cat >"$T/routes.json" <<'EOC'
{"routes":[
  {"path":"/bot123:ABC/sendMessage","responses":[{"json":{"ok":true,"result":{"message_id":7}}}]},
  {"path":"/bot123:ABC/editMessageText","responses":[{"json":{"ok":true,"result":{"message_id":7}}}]}]}
EOC
PORT=$(bp_fakehttp rx "$T/routes.json")
export BP_T_TG_TOKEN="123:ABC"
sed -e "s#@STATE@#$T/state#" -e "s#@PORT@#$PORT#g" "$D/telegram-incident.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
python3 - >"$T/in.jsonl" <<'EOP'
import json
for i, t in enumerate(["у меня украли деньги с карты monobank", "monobank мошенники списали всё",
                       "со счета monobank пропали деньги", "monobank снова кража со счета"]):
    print(json.dumps({"id": "m:%d" % i, "source": "x", "text": t, "brands": ["monobank"],
        "priority": "urgent", "reasons": ["urgent:fraud"]}, ensure_ascii=False))
EOP
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 30 'grep -q "INCIDENT resolved" "$T/rx.jsonl"' || bp_fail "the incident was not resolved"
bp_stop alert || bp_fail "bp-alert did not stop cleanly"
python3 - "$T/rx.jsonl" <<'EOP' || bp_fail "incident checks"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def fail(m):
    print("FAILED:", m); sys.exit(1)
sent = [json.loads(r["body"]) for r in rows if r["path"].endswith("/sendMessage")]
edits = [json.loads(r["body"]) for r in rows if r["path"].endswith("/editMessageText")]
opened = [b for b in sent if "INCIDENT open" in b["text"]]
if len(sent) != 3 or len(opened) != 1: fail("sendMessage: %d messages, %d incident" % (len(sent), len(opened)))
if not edits or any(e["message_id"] != 7 or e["chat_id"] != "-100777" for e in edits): fail("edits %r" % edits)
if "INCIDENT resolved" not in edits[-1]["text"] or "<b>4</b> alerts" not in edits[-1]["text"]: fail("last edit %r" % edits[-1]["text"])
if any("INCIDENT" in b["text"] for b in sent if b not in opened): fail("incident sent twice")
EOP
exit 0
