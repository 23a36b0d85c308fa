#!/usr/bin/env bash
# bp-alert's e-mail channel with STARTTLS required and SMTP AUTH (python3-aiosmtpd with a
# self-signed certificate the channel is told to trust): the mail arrives over TLS, logged in;
# the password (a secret) is never logged.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/alerter
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || bp_fail "python3-aiosmtpd is not installed (scripts/install-deps.sh)"
command -v openssl >/dev/null || bp_fail "openssl is needed to make a test certificate"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" \
  >"$T/openssl.log" 2>&1 || bp_fail "openssl: $(cat "$T/openssl.log")"
bp_start_broker 1
bp_bg smtp /usr/bin/python3 "$D/smtp_sink.py" "$T/mail" "$T/smtp.port" --tls "$T/cert.pem" "$T/key.pem" \
  --auth brandpulse "s3cret-pass"
bp_wait_for 15 '[ -s "$T/smtp.port" ]' || bp_fail "SMTP sink did not start"
export BP_T_SMTP_PASSWORD="s3cret-pass"
cat >"$T/alert.yaml" <<EOC
kafka: {group: bp-alert-tls, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
state_dir: "$T/state"
channels:
  - {name: mail, type: email, smtp_url: "smtp://127.0.0.1:$(cat "$T/smtp.port")", starttls: true,
     ca_file: "$T/cert.pem", username: brandpulse, password: {env: BP_T_SMTP_PASSWORD},
     from: brandpulse@example.com, to: [care@example.com], retry_base: 100ms}
routes:
  - {channels: [mail]}
EOC
printf 'topics: {posts: bp.alerts}\n' >"$T/inject.yaml"
sed -n 2p "$D/alerts.jsonl" >"$T/in.jsonl"
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alert.yaml"
"$BP_BIN/bp-collect-file" -c "$T/inject.yaml" --input "$T/in.jsonl" --checkpoint "$T/ck" \
  2>"$T/inject.log" || bp_fail "injecting alerts"
bp_wait_for 30 '[ -s "$T/mail/0001.json" ]' || bp_fail "no mail arrived"
bp_stop alert || bp_fail "bp-alert did not stop cleanly"
env=$(cat "$T/mail/0001.json")
bp_assert_eq "$(bp_json 'rows[0]["tls"]' <<<"$env")" True "mail delivered over STARTTLS"
grep -q "s3cret-pass" "$T/alert.log" && bp_fail "the SMTP password was logged"
grep -q "delivered .* to mail (SMTP 250" "$T/alert.log" || bp_fail "no delivery logged"
exit 0
