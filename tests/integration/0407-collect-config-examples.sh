#!/usr/bin/env bash
# The shipped collector configuration examples load (--check); mistakes are reported with
# file:line:column and exit status 2.
source "$(dirname "$0")/lib.sh"
export VK_TOKEN=t VK_ADMIN_TOKEN=t TELEGRAM_BOT_TOKEN=t X_BEARER_TOKEN=t MASTODON_TOKEN=t REVIEWS_TOKEN=t WEBHOOK_SECRET=t
echo "file-token" >"$T/vk_token"
sed "s|/run/secrets/vk_token|$T/vk_token|" "$BP_ROOT/config/collectors/vk.yaml" >"$T/vk.yaml"
"$BP_BIN/bp-collect-vk" -c "$T/vk.yaml" --check || bp_fail "vk.yaml"
for s in rss telegram x mastodon reddit http-json webhook; do
  "$BP_BIN/bp-collect-$s" -c "$BP_ROOT/config/collectors/$s.yaml" --check >/dev/null || bp_fail "$s.yaml does not load"
done
# a token written in the file instead of {env:}/{file:} is refused
printf 'feeds:\n  - name: a\n    query: q\n    token: abc123\n' >"$T/bad-vk.yaml"
"$BP_BIN/bp-collect-vk" -c "$T/bad-vk.yaml" --check 2>"$T/err"; rc=$?
bp_assert_eq $rc 2 "exit status for a secret written in the file"
grep -q "bad-vk.yaml:4:12: key 'token': a secret is given as {env: VARIABLE} or {file: PATH}" "$T/err" || bp_fail "message: $(cat "$T/err")"
if grep -q abc123 "$T/err"; then bp_fail "the secret was echoed"; fi
printf 'feeds:\n  - name: m\n    base_url: https://m.example\n    timeline: tag\n' >"$T/bad-m.yaml"
"$BP_BIN/bp-collect-mastodon" -c "$T/bad-m.yaml" --check 2>"$T/err"; rc=$?
bp_assert_eq $rc 2 "exit status for a tag timeline without hashtag"
grep -q "bad-m.yaml:2:5: feed 'm': key 'hashtag'" "$T/err" || bp_fail "message: $(cat "$T/err")"
printf 'secret: {env: WEBHOOK_SECRET}\nlisten: "nope"\n' >"$T/bad-w.yaml"
"$BP_BIN/bp-collect-webhook" -c "$T/bad-w.yaml" --check 2>"$T/err"; rc=$?
bp_assert_eq $rc 2 "exit status for a bad listen address"
grep -q "key 'listen'" "$T/err" || bp_fail "message: $(cat "$T/err")"
exit 0
