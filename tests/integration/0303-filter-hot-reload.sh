#!/usr/bin/env bash
# bp-filter swaps rule sets while running: a new brand file is picked up without a restart and
# mentions name the new rules_version; a broken set is refused (its error names file:line:col)
# and the old set keeps judging; SIGHUP reloads at once. Counted in the metrics.
source "$(dirname "$0")/lib.sh"
D=$BP_ROOT/tests/data/pipeline
bp_start_broker 1
cp -r "$D/rules" "$T/rules"
cat >"$T/filter.yaml" <<EOC
kafka: {group: reload, rdkafka: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
filter: {rules: "$T/rules", reload_check: 300ms}
metrics_listen: "127.0.0.1:0"
EOC
post() { # post ID TEXT
  printf '{"id":"%s","source":"test","text":"%s"}\n' "$1" "$2" >"$T/in-$1.jsonl"
  "$BP_BIN/bp-collect-file" --input "$T/in-$1.jsonl" >>"$T/collect.log" 2>&1 || bp_fail "collector"
}
mention_of() { bp_tail bp.mentions | bp_json "[r['value'] for r in rows if r['value']['id'] == '$1']"; }
version_of() { bp_tail bp.mentions | bp_json "[r['value']['rules_version'] for r in rows if r['value']['id'] == '$1'][0]"; }
wait_mention() { bp_wait_for 20 "[ \"\$(mention_of $1)\" != '[]' ]" || bp_fail "no mention for $1"; }

bp_bg filter "$BP_BIN/bp-filter" -c "$T/filter.yaml"
bp_wait_for 20 'grep -q "metrics on http" "$T/filter.log"' || bp_fail "no metrics line"
mport=$(grep -o 'metrics on http://[^/]*' "$T/filter.log" | head -1 | sed 's/.*://')

post p1 "AcmeBank is broken"
wait_mention p1
v1=$(version_of p1)
post p2 "ZetaBank is broken"
sleep 2
bp_assert_eq "$(mention_of p2)" "[]" "ZetaBank is not a brand yet"

# a new brand file: picked up without a restart
cat >"$T/rules/brands/zeta.yaml" <<'EOY'
brand: zetabank
variants: [zetabank]
EOY
bp_wait_for 10 '[ "$(grep -c "live rules loaded" "$T/filter.log")" -ge 2 ]' || bp_fail "new rules not loaded"
post p3 "ZetaBank is broken"
wait_mention p3
v2=$(version_of p3)
[ "$v1" != "$v2" ] || bp_fail "rules_version did not change ($v1)"

# a broken file: refused with its position, the old set goes on
printf 'brand: broken\nvariants: [ok]\npatterns:\n  - "(unclosed"\n' >"$T/rules/brands/broken.yaml"
bp_wait_for 10 'grep -q "reload refused" "$T/filter.log"' || bp_fail "broken rules were not refused"
grep -q "broken.yaml:4:5" "$T/filter.log" || bp_fail "the error does not name broken.yaml:4:5"
post p4 "ZetaBank is broken again"
wait_mention p4
bp_assert_eq "$(version_of p4)" "$v2" "after a refused reload the old set judges"

# fixed, and SIGHUP: reloaded
rm "$T/rules/brands/broken.yaml"
n=$(grep -c "live rules loaded" "$T/filter.log")
kill -HUP "$(bp_pid filter)"
bp_wait_for 10 '[ "$(grep -c "live rules loaded" "$T/filter.log")" -gt "$n" ]' || bp_fail "SIGHUP did not reload"
curl -s "http://127.0.0.1:$mport/metrics" >"$T/metrics.txt"
grep -q 'bp_rules_reloads_total{result="refused"} 1' "$T/metrics.txt" || { cat "$T/metrics.txt"; bp_fail "refused reload not counted"; }
grep -Eq 'bp_rules_reloads_total\{result="ok"\} [2-9]' "$T/metrics.txt" || bp_fail "reloads not counted"
bp_alive filter || bp_fail "bp-filter died"
