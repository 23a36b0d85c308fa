#!/usr/bin/env bash
# selftest.sh — checks bp-fakehttp end to end with curl: routes, sequences, control endpoints,
# recording, SIGTERM. Usage: selftest.sh PATH/TO/bp-fakehttp   (exit 0 = pass)
set -u
FAKE=${1:?usage: selftest.sh PATH/TO/bp-fakehttp}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PID=
fails=0
cleanup() {
    [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

check() { # check NAME GOT WANT
    if [ "$2" == "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: got [$2], want [$3]"
        fails=$((fails + 1))
    fi
}

start() { # start ARGS...: starts the fake, sets PID and U
    rm -f "$T/port"
    "$FAKE" --port-file "$T/port" --record "$T/rec.jsonl" "$@" 2>>"$T/fake.log" &
    PID=$!
    for _ in $(seq 100); do
        [ -s "$T/port" ] && break
        sleep 0.05
    done
    U=http://127.0.0.1:$(cat "$T/port")
}

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

"$FAKE" --help | grep -q -- '--port-file' || { echo "FAIL --help"; fails=$((fails + 1)); }
"$FAKE" --record x 2>/dev/null
check "missing --port-file exits 2" "$?" 2
echo '{"routes":[{"path":"/a","responses":[{"status":"x"}]}]}' >"$T/bad.json"
"$FAKE" --port-file "$T/p" --record "$T/r" --routes "$T/bad.json" 2>"$T/err"
check "bad routes exit 2" "$?" 2
check "bad routes message" "$(grep -c 'routes\[0\].responses\[0\].status' "$T/err")" 1

start --routes "$HERE/routes.json"
check "port file" "$(grep -cE '^[0-9]+$' "$T/port")" 1
Q="$U/method/newsfeed.search?q=privat&v=5.199"
check "seq 1 body_file" "$(curl -s "$Q" | grep -c 'Приват не работает')" 1
H=$(curl -s -D - -o /dev/null "$Q" | tr -d '\r')
check "seq 2 status" "$(echo "$H" | head -1 | cut -d' ' -f2)" 429
check "seq 2 retry-after" "$(echo "$H" | grep -i '^retry-after:')" "Retry-After: 1"
check "seq 3 repeats last" "$(curl -s "$Q")" '{"response":{"items":[]}}'
check "query_contains mismatch -> default" "$(code "$U/method/newsfeed.search?q=other")" 404
check "cycle 1" "$(code -d x "$U/hook")" 500
check "cycle 2" "$(curl -s -d x "$U/hook")" ok
check "cycle 3" "$(code -d x "$U/hook")" 500
check "header sent" "$(curl -s -D - -o /dev/null -d x "$U/hook" | tr -d '\r' | grep '^X-Fake:')" "X-Fake: yes"
check "close drops" "$(code "$U/crash")" 000
check "then back" "$(curl -s "$U/crash")" back
check "prefix + body_contains" "$(curl -s -d '{"chat_id":5}' "$U/bot1:x/sendMessage")" \
    '{"ok":true,"result":{"message_id":7}}'
check "body_contains mismatch" "$(code -d '{}' "$U/bot1:x/sendMessage")" 404
check "client timeout on delay" "$(code -m 0.3 "$U/slow")" 000
check "count /hook" "$(curl -s "$U/_fake/count?path=/hook")" '{"count":4}'
check "count unknown" "$(curl -s "$U/_fake/count?path=/nothing")" '{"count":0}'
check "replace routes" "$(curl -s -d '{"routes":[{"path":"/hook","responses":[{"status":202}]}]}' \
    "$U/_fake/routes")" '{"ok":true,"routes":1}'
check "new route" "$(code -d x "$U/hook")" 202
check "bad replace" "$(code -d '{"routes":[' "$U/_fake/routes")" 400
check "old routes kept" "$(code -d x "$U/hook")" 202
printf '\xff\xfe' | curl -s -o /dev/null --data-binary @- -H 'X-Sig: s1' "$U/bin"
check "binary body recorded as base64" "$(grep -c '"path":"/bin".*"x-sig":"s1".*"body_b64":"//4="' "$T/rec.jsonl")" 1
check "control requests not recorded" "$(grep -c '/_fake' "$T/rec.jsonl")" 0
check "every line is JSON" "$(python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]): json.loads(l); n+=1
print(n)' "$T/rec.jsonl")" "$(curl -s "$U/_fake/count" | tr -dc 0-9)"

# SIGTERM while a request is being delayed: exits 0 without waiting out the delay
curl -s -o /dev/null -m 20 "$U/slow" &
CPID=$!
sleep 0.3
kill -TERM "$PID"
wait "$PID"
check "SIGTERM exit status" "$?" 0
PID=
wait "$CPID" 2>/dev/null

# concurrent writers never interleave lines
: >"$T/rec.jsonl"
start
for i in $(seq 8); do
    (for j in $(seq 25); do curl -s -o /dev/null -d "{\"w\":$i,\"j\":$j,\"pad\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}" "$U/c"; done) &
done
wait $(jobs -p | grep -v "^$PID\$") 2>/dev/null
check "concurrent count" "$(curl -s "$U/_fake/count?path=/c")" '{"count":200}'
check "concurrent lines valid" "$(python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["path"] == "/c"))' "$T/rec.jsonl")" 200

kill -TERM "$PID"
wait "$PID"
check "second SIGTERM exit status" "$?" 0
PID=
check "no sanitizer reports" "$(grep -cE 'AddressSanitizer|LeakSanitizer|runtime error' "$T/fake.log")" 0

if [ "$fails" -ne 0 ]; then
    echo "--- fake log"; cat "$T/fake.log"
fi
echo "$fails failed"
[ "$fails" -eq 0 ]
