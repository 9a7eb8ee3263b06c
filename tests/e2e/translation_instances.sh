#!/usr/bin/env bash
# Instances side by side (issue 19, item 6): three `syndicate translate` on one host, started with
# the RUNBOOK's command (no --instance: each process takes its own instance id), share the jobs
# of six issues: each job is translated exactly once (raw = distinct, and the instances' own
# counts add up to the jobs), nobody is fenced, each has its own transactional.id, and at least
# two of them did part of the work (the six issues' jobs fall on more than one partition). The
# engine answers slowly (400 ms a request).
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-mt-testserver.
set -euo pipefail
syndicate=$1
mt=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/e2e/mt_lib.sh"
id=ti$(date +%s)$$
start_mt
curl -sf -X POST "http://127.0.0.1:$mtport/__control" -d '{"fail_always": true, "status": 200, "hang_ms": 400}' >/dev/null

cfg=$work/syndication.yaml
write_config "$cfg" "$id" <<YAML
translation:
  targets:
    - {language: zh-Hant, engine: opencc, opencc: s2t}
    - {language: en, engine: http, url: "http://127.0.0.1:$mtport/translate", request_timeout_ms: 5000}
YAML
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$src/tests/data/issues/changji-daily-2024-01-30-p1.txt" "$work/issues" 6 >/dev/null
for f in "$work"/issues/*; do "$syndicate" publish --config "$cfg" "$f" >/dev/null 2>&1 || fail "publish $f"; done
"$syndicate" consume translation --config "$cfg" --until-idle >/dev/null 2>&1
expect "jobs (6 issues x 5 articles x 2 targets)" 60 "$(count_committed "$id.jobs")"

# The RUNBOOK's "Scale a consumer group", three times at once, from one working directory: no
# --instance, the default done store, a metrics port each (--until-idle for the test's end). They
# form the group together, so each gets one of the three partitions.
cd "$work"
mports=$(free_port 3)
for i in 1 2 3; do
  "$syndicate" translate --config "$cfg" --metrics-listen "127.0.0.1:$((mports + i - 1))" --until-idle \
    >"$work/translate-$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  rc=0; wait "${pids[$i]}" || rc=$?
  expect "exit status of instance $i" 0 "$rc"
done
keys=$(kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$id.translated" -o beginning -e -q -X isolation.level=read_committed -f '%k\n' 2>/dev/null)
expect "translations (raw)" 60 "$(grep -c '' <<<"$keys")"
expect "translations (distinct)" 60 "$(sort -u <<<"$keys" | grep -c '')"
expect "dead letters" 0 "$(count_committed "$id.dlq")"
for i in 1 2 3; do
  if grep -qi 'fenced' "$work/translate-$i.log"; then fail "instance $i was fenced: $(grep -i fenced "$work/translate-$i.log" | head -2)"; fi
done
total=0
for i in 1 2 3; do
  n=$(sed -n 's/.*\[translator\] \([0-9]*\) job(s) translated.*/\1/p' "$work/translate-$i.log")
  echo "instance $i translated ${n:-?} job(s)"
  total=$((total + ${n:-0}))
done
expect "jobs translated, summed over the instances" 60 "$total"
expect "distinct transactional ids (three at once on one host)" 3 "$(cat "$work"/translate-*.log | grep -o "transactional.id [^)]*" | sort -u | grep -c '')"
busy=0
for i in 1 2 3; do
  n=$(sed -n 's/.*\[translator\] \([0-9]*\) job(s) translated.*/\1/p' "$work/translate-$i.log")
  if [ "${n:-0}" -gt 0 ]; then busy=$((busy + 1)); fi
done
[ "$busy" -ge 2 ] || fail "the work was not shared: $busy instance(s) translated anything"
echo "translation_instances: ok"
