#!/usr/bin/env bash
# Foundation: posts from a file flow through bp-collect-file, bp-filter and bp-alert on
# bp-broker; exactly the expected alerts reach an HTTP receiver, none lost, none twice; a
# malformed line (not JSON, no id) goes to bp.deadletter with its reason while the rest flows.
# A post that is bad news for two brands reaches each brand's team once; a comparison alerts
# only the brand judged negative.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/pipeline
N=60
bp_start_broker 3
port=$(bp_fakehttp hook)
export BP_CARE_WEBHOOK_URL="http://127.0.0.1:$port/hook"

python3 "$D/gen_posts.py" $N >"$T/posts.jsonl"
# two bad lines in the middle: not JSON, and a post without an id
sed -i '10a this is not json {' "$T/posts.jsonl"
sed -i '20a {"source":"test","text":"AcmeBank is broken but I have no id"}' "$T/posts.jsonl"
cat >>"$T/posts.jsonl" <<'EOP'
{"id":"it:two","source":"test","text":"AcmeBank and OmegaBank are both broken today"}
{"id":"it:cmp","source":"test","text":"I love OmegaBank. AcmeBank is broken"}
EOP
{ python3 "$D/expected_alerts.py" $N; printf 'it:two/acmebank\nit:two/omegabank\nit:cmp/acmebank\n'; } | sort >"$T/expected"

RULES=$D/rules bp_render "$D/filter.yaml.in" "$T/filter.yaml"
bp_render "$D/alerter.yaml.in" "$T/alerter.yaml"
mkdir -p "$T/state"

"$BP_BIN/bp-collect-file" --input "$T/posts.jsonl" >"$T/collect.log" 2>&1 || bp_fail "collector failed"
bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_bg alert "$BP_BIN/bp-alert" -c "$T/alerter.yaml"

want=$(wc -l <"$T/expected")
bp_wait_for 60 '[ "$(bp_received_ids "$T/hook.jsonl" /hook | wc -l)" -ge "$want" ]' ||
  bp_fail "only $(bp_received_ids "$T/hook.jsonl" /hook | wc -l) of $want alerts arrived"
sleep 2 # anything extra would arrive now
bp_received_ids "$T/hook.jsonl" /hook | sort >"$T/got"
dups=$(sort "$T/got" | uniq -d | wc -l)
bp_assert_eq "$dups" 0 "alerts delivered twice"
diff -u "$T/expected" <(sort -u "$T/got") || bp_fail "delivered alerts differ from the expected ones"

# every post with a brand became a mention (2 of every 3)
bp_assert_eq "$(bp_count bp.mentions)" $((N * 2 / 3 + 2)) "mentions"
bp_assert_eq "$(bp_count bp.posts)" $((N + 2)) "posts"
# both bad lines are dead letters, with file:line and the reason
bp_tail bp.deadletter >"$T/dl.jsonl"
bp_assert_eq "$(wc -l <"$T/dl.jsonl")" 2 "dead letters"
grep -q '"bp-reason":"not JSON' "$T/dl.jsonl" || bp_fail "no 'not JSON' dead letter"
grep -q "\"bp-reason\":\"missing field 'id'\"" "$T/dl.jsonl" || bp_fail "no 'missing id' dead letter"
grep -q '"bp-origin":"[^"]*posts.jsonl:11"' "$T/dl.jsonl" || bp_fail "dead letter does not name file:line"
# the alerter reports every delivery to bp.deliveries
[ "$(bp_count bp.deliveries)" -ge "$want" ] || bp_fail "deliveries audit missing"

# a clean stop of every process
bp_stop filter || bp_fail "bp-filter did not exit cleanly"
bp_stop alert || bp_fail "bp-alert did not exit cleanly"
