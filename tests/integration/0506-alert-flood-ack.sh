#!/usr/bin/env bash
# bp-alert without floods, with acknowledgement and escalation: a near-duplicate folded and
# counted in a summary; a burst of one brand and reason becomes one incident (open, update,
# resolved) with a running count; a low-priority alert goes into a digest; an alert
# acknowledged through its signed link is not escalated, an unacknowledged one is; a silenced
# author is recorded with who silenced it and why; every acknowledgement is in bp.deliveries and
# the open list is served as JSON.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter

bp_start_broker 1
PORT=$(bp_fakehttp rx)
export BP_T_CARE="http://127.0.0.1:$PORT/care" BP_T_LEAD="http://127.0.0.1:$PORT/lead"
export BP_T_ACK_SECRET="ack-secret-for-tests"
sed -e "s#@STATE@#$T/state#" -e "s#@ACKPORT@#$T/ack.port#" "$D/flood.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
python3 - >"$T/in.jsonl" <<'EOP'
import json
def p(i, brand, prio, reason, text):
    print(json.dumps({"id": "t:%d" % i, "source": "telegram", "url": "https://t.me/c/%d" % i,
        "author": {"id": "tg:%d" % i, "name": "User %d" % i, "followers": 10 * i}, "text": text,
        "lang": "ru", "published_at": "2026-11-23T10:00:00Z", "brands": [brand], "alert": True,
        "priority": prio, "reasons": [reason]}, ensure_ascii=False))
p(1, "privatbank", "high", "negative:-4", "Приватбанк списал комиссию дважды, верните деньги немедленно")
p(2, "privatbank", "high", "negative:-4", "ПРИВАТБАНК списал комиссию дважды, верните деньги немедленно!!!")
p(3, "monobank", "urgent", "urgent:fraud", "monobank у меня украли деньги с карты")
p(4, "monobank", "urgent", "urgent:fraud", "mono: мошенники вывели все с карты через приложение")
p(5, "monobank", "urgent", "urgent:fraud", "монобанк, со счета пропали 20 тысяч, это кража")
p(6, "monobank", "urgent", "urgent:fraud", "monobank снова списание которого я не делал")
p(7, "kyivstar", "low", "negative:-3", "kyivstar немного тормозит интернет вечером")
p(8, "kyivstar", "high", "negative:-5", "Киевстар отключил номер без предупреждения, ужасный сервис")
print(json.dumps({"id": "t:9", "source": "x", "text": "BUY FOLLOWERS kyivstar sucks", "brands": ["kyivstar"],
    "author": {"id": "x:666", "name": "spam-bot"}, "priority": "high", "reasons": ["negative:-3"]}))
EOP
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
bp_wait_for 15 '[ -s "$T/ack.port" ]' || bp_fail "ack API did not start"
ACK=$(cat "$T/ack.port")
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"

body_of() { bp_json "[json.loads(r['body']) for r in rows if r['path'] == '$1']" <"$T/rx.jsonl"; }
# acknowledge t:1 as soon as it arrives, through its signed link
bp_wait_for 20 'grep -q "t:1\\\\\"" "$T/rx.jsonl"' || bp_fail "t:1 did not arrive"
link=$(body_of /care | python3 -c 'import json,sys; print([b for b in json.load(sys.stdin) if b.get("id")=="t:1"][0]["bp_alert"]["ack_url"])')
case "$link" in "http://127.0.0.1:$ACK/ack?id=al_"*"&sig="*) ;; *) bp_fail "ack link: $link" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' "${link}&by=olena")
bp_assert_eq "$code" 200 "acknowledge link"
bad=$(curl -s -o /dev/null -w '%{http_code}' "${link%sig=*}sig=00000000000000000000000000000000")
bp_assert_eq "$bad" 403 "a forged link"
noauth=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ACK/v1/open")
bp_assert_eq "$noauth" 401 "the open list without the token"

# incident resolved (quiet 3 s), fold summary, digest, escalation of the unacknowledged
lead_has() { grep "\"path\":\"/lead\"" "$T/rx.jsonl" | grep -q "$1\\\\\""; }
bp_wait_for 40 'grep -q "resolved" "$T/rx.jsonl" && lead_has t:3 && lead_has t:8 && grep -q "low priority" "$T/rx.jsonl"' \
  || bp_fail "incident resolution, escalation or digest missing"
sleep 1 # a second escalation of the same alert, if any, would arrive now
open=$(curl -s -H "Authorization: Bearer $BP_T_ACK_SECRET" "http://127.0.0.1:$ACK/v1/open")
bp_stop alert || bp_fail "bp-alert did not stop cleanly"

python3 - "$T/rx.jsonl" "$open" <<'EOP' || bp_fail "flood checks"
import hashlib, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
care = [json.loads(r["body"]) for r in rows if r["path"] == "/care"]
lead = [json.loads(r["body"]) for r in rows if r["path"] == "/lead"]
def fail(m):
    print("FAILED:", m); sys.exit(1)
def aid(pid): return "al_" + hashlib.sha256(pid.encode()).hexdigest()[:16]
alerts = sorted(b["id"] for b in care if "bp_alert" in b)
# t:2 folded, t:5 opened the incident, t:6 absorbed, t:7 held for the digest
if alerts != ["t:1", "t:3", "t:4", "t:8"]: fail("alerts sent one by one: %r" % alerts)
inc = [b for b in care if b.get("kind") == "incident"]
states = [(b["state"], b["count"]) for b in inc]
if states[0] != ("open", 3) or states[-1] != ("resolved", 4): fail("incident states %r" % states)
if len({b["alert_id"] for b in inc}) != 1: fail("more than one incident")
if any(len(b["samples"]) > 2 for b in inc): fail("too many samples")
if inc[0]["reason"] != "urgent:fraud" or inc[0]["brand"] != "monobank": fail("incident %r" % inc[0])
dig = [b for b in care if b.get("kind") == "digest"]
fold = [b for b in dig if "near-duplicates of " + aid("t:1") in b["why"]]
if len(fold) != 1 or fold[0]["count"] != 1 or fold[0]["items"][0]["id"] != "t:2": fail("fold summary %r" % dig)
low = [b for b in dig if b["why"] == "low priority"]
if len(low) != 1 or [i["id"] for i in low[0]["items"]] != ["t:7"]: fail("digest %r" % dig)
# escalation: everything unacknowledged reaches the lead once, t:1 (acknowledged) never
esc = sorted(b.get("id", b.get("alert_id")) for b in lead)
if "t:1" in esc: fail("an acknowledged alert was escalated")
if "t:8" not in esc or "t:3" not in esc: fail("escalations %r" % esc)
if len(esc) != len(set(esc)): fail("escalated twice: %r" % esc)
if any((b.get("bp_alert") or b).get("level") != 1 for b in lead): fail("escalation level")
o = json.loads(sys.argv[2])
ids = {a["id"] for a in o["alerts"]}
if aid("t:1") in ids or aid("t:8") not in ids: fail("open list %r" % ids)
EOP
bp_tail bp.deliveries >"$T/del.jsonl"
acked=$(bp_json '[(r["value"]["result"], r["value"]["detail"]) for r in rows if r["value"]["result"] == "acked"]' <"$T/del.jsonl")
bp_assert_eq "$acked" '[["acked", "acknowledged by olena (link)"]]' "acknowledgement record"
kinds=$(bp_json 'sorted(set(r["value"]["result"] for r in rows))' <"$T/del.jsonl")
bp_assert_eq "$kinds" '["acked", "folded", "grouped", "held", "incident", "ok", "silenced", "tracked"]' "delivery record results"
sil=$(bp_json '[r["value"]["detail"] for r in rows if r["value"]["result"] == "silenced"]' <"$T/del.jsonl")
bp_assert_eq "$sil" '["silenced by olena until 2099-01-01T00:00:00Z: a known spammer"]' "silence record"
exit 0
