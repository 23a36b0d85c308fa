#!/usr/bin/env bash
# bp-alert's e-mail channel against a real SMTP server (python3-aiosmtpd): a multipart message
# with text and HTML parts in UTF-8, subject from the template, personal data masked, a
# temporary 451 retried, every recipient reached.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || bp_fail "python3-aiosmtpd is not installed (scripts/install-deps.sh)"

bp_start_broker 1
bp_bg smtp /usr/bin/python3 "$D/smtp_sink.py" "$T/mail" "$T/smtp.port" --fail-first 1
bp_wait_for 15 '[ -s "$T/smtp.port" ]' || bp_fail "SMTP sink did not start"
SMTPPORT=$(cat "$T/smtp.port")
sed -e "s#@STATE@#$T/state#" -e "s#@SMTPPORT@#$SMTPPORT#" "$D/email.yaml" >"$T/alert.yaml"
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
sed -n '1,2p' "$D/alerts.jsonl" >"$T/in.jsonl"   # a Ukrainian post and one with a card number

bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 40 '[ "$(ls "$T/mail" 2>/dev/null | grep -c "\.eml$")" -ge 2 ]' || bp_fail "mails: $(ls "$T/mail")"
bp_wait_for 20 '[ "$(bp_count bp.deliveries)" -ge 3 ]' || bp_fail "deliveries: $(bp_count bp.deliveries)"
bp_stop alert || bp_fail "bp-alert did not stop cleanly"

/usr/bin/python3 - "$T/mail" <<'EOP' || bp_fail "mail checks"
import email, email.header, email.policy, glob, json, sys
def fail(m):
    print("FAILED:", m); sys.exit(1)
files = sorted(glob.glob(sys.argv[1] + "/*.eml"))
if len(files) != 2: fail("expected 2 mails, got %d" % len(files))
subjects = []
for f in files:
    env = json.load(open(f[:-4] + ".json"))
    if env["from"] != "brandpulse@example.com" or sorted(env["to"]) != ["care@example.com", "lead@example.com"]:
        fail("envelope %r" % env)
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if m.get_content_type() != "multipart/alternative": fail("not multipart/alternative")
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    subjects.append(str(m["subject"]))
    if "4111" in text or "4111" in html: fail("card number in clear")
    if not m["message-id"].endswith("@brandpulse>"): fail("message-id")
    if "Answer by:" not in text or "<b>" not in html: fail("parts look wrong")
    if "Приватбанк" in text and "<b>Приватбанк</b>" not in html: fail("highlight missing in HTML")
if not any(s.startswith("[URGENT] monobank: answer by 2026-11-23T10:08:00") for s in subjects): fail("subjects %r" % subjects)
if not any(s.startswith("[HIGH] privatbank") for s in subjects): fail("subjects %r" % subjects)
EOP
bp_tail bp.deliveries >"$T/del.jsonl"
res=$(bp_json 'sorted(r["value"]["result"] for r in rows)' <"$T/del.jsonl")
bp_assert_eq "$res" '["ok", "ok", "retry"]' "delivery records (one 451 retried)"
exit 0
