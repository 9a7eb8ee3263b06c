#!/usr/bin/env bash
# Translation through an engine outage, on the real broker, with the LibreTranslate-compatible
# test server failing on demand (issue 19):
#   1. 500 nonstop: the zh-Hant (OpenCC) translations of the same issue are published at once;
#      `translate` stays in its group (max.poll.interval.ms 10 s, outage longer than that) and
#      keeps committing; retries show in the log and /metrics; the en breaker opens. Once the
#      engine recovers every en job is translated exactly once (raw = distinct), 0 dead letters,
#      and a restart finds nothing left to do.
#   2. A 403 is dead-lettered once, at once, with the engine's status and message; 429 with
#      Retry-After is retried after the time the engine asked for.
#   3. Jobs past their deadline are dead-lettered DEADLINE_EXCEEDED; after the outage,
#      `dlq redrive` (the RUNBOOK's recovery) gives them a fresh deadline and they are translated.
#   4. An engine that knows only `zh`: `translate` refuses to start with one line, and works
#      through `engine_source_language: zh`.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-mt-testserver.
set -euo pipefail
syndicate=$1
mt=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
issues=$src/tests/data/issues
source "$src/tests/e2e/mt_lib.sh"
id=to$(date +%s)$$
mport=$(free_port)

start_mt
control() { curl -sf -X POST "http://127.0.0.1:$mtport/__control" -d "$1" >/dev/null; }
mt_state() { curl -sf "http://127.0.0.1:$mtport/__state" | python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# config FILE DEADLINE_MS EXTRA: a config per phase, the same topics and groups; EXTRA = more keys
# of the en target.
config() {
  write_config "$1" "$id" "  retry: {initial_backoff_ms: 200, max_backoff_ms: 2000, multiplier: 2.0, max_attempts: 40, jitter: 0.2}" <<YAML
translation:
  targets:
    - {language: zh-Hant, engine: opencc, opencc: s2t}
    - {language: en, engine: http, url: "http://127.0.0.1:$mtport/translate", request_timeout_ms: 5000$3}
  job_deadline_ms: $2
YAML
  # librdkafka: a member that does not poll for 10 s leaves its group (the default is 300 s).
  sed -i 's/heartbeat.interval.ms: "1000"}/heartbeat.interval.ms: "1000", max.poll.interval.ms: "10000"}/' "$1"
}
cfg=$work/syndication.yaml
config "$cfg" 300000 ""

# committed KEY_SUFFIX: raw records of the translated topic (read_committed) whose key ends so;
# distinct KEY_SUFFIX: the distinct keys among them.
committed() { count_matching "$id.translated" '%k\n' "$1\$"; }
distinct() { distinct_matching "$id.translated" '%k\n' "$1\$"; }
metric() { curl -sf "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# wait_until WHAT SECONDS CONDITION: polls CONDITION (a shell expression) twice a second.
wait_until() {
  local what=$1 limit=$((SECONDS + $2))
  until eval "$3"; do
    [ $SECONDS -lt $limit ] || fail "$what: not within $2 s; translate log tail: $(tail -5 "$work/translate.log")"
    sleep 0.5
  done
  echo "$what: ok"
}
# Dead letters (read_committed), without the resolutions `dlq redrive` appends to the same topic.
dead_letters() {
  count_matching "$id.dlq" '%h\n' 'schema=syndication.v1.DeadLetter\(,\|$\)'
}
jobs_for() { "$syndicate" consume translation --config "$1" --until-idle >/dev/null 2>&1 || fail "consume translation"; }

"$syndicate" topics create --config "$cfg" >/dev/null

# --- 1. 500 nonstop ------------------------------------------------------------------------------
control '{"fail_always": true, "status": 500, "error": "Cannot translate text: engine down"}'
"$syndicate" publish --config "$cfg" "$issues/changji-daily-2024-01-30-p1.txt" >/dev/null 2>&1
jobs_for "$cfg"
expect "jobs of the first issue (5 articles x 2 targets)" 10 "$(count_committed "$id.jobs")"
"$syndicate" translate --config "$cfg" --done-store "$work/done.db" --metrics-listen "127.0.0.1:$mport" \
  >"$work/translate.log" 2>&1 &
tpid=$!
pids+=($tpid)
wait_until "zh-Hant translations published during the outage" 60 '[ "$(committed .zh-Hant)" -ge 5 ]'
expect "zh-Hant translations during the outage" 5 "$(committed .zh-Hant)"
expect "en translations during the outage" 0 "$(committed .en)"
wait_until "en breaker open" 30 '[ "$(metric "syndicate_translation_breaker_open{target=\"en\",engine=\"http\"}")" = 1 ]'
# The outage outlasts max.poll.interval.ms: with the breaker probing every 2 s at most, 12 failed
# requests take more than 10 s.
wait_until "engine outage longer than max.poll.interval.ms" 60 '[ "$(mt_state "[\"injected\"]")" -ge 12 ]'
kill -0 "$tpid" || fail "translate exited during the outage: $(tail -5 "$work/translate.log")"
if grep -qi 'max.poll\|maximum poll interval' "$work/translate.log"; then fail "translate left its group: $(grep -i 'poll' "$work/translate.log" | head -3)"; fi
expect "en jobs waiting (metrics)" 5 "$(metric "syndicate_translation_jobs_waiting{target=\"en\",engine=\"http\"}")"
commits=$(metric 'syndicate_offset_commits_total{sink="translator"}')
[ "${commits:-0}" -ge 1 ] || fail "no transaction committed during the outage (commits: ${commits:-none})"
retries=$(metric 'syndicate_translation_retries_total{target="en",engine="http"}')
[ "${retries:-0}" -ge 5 ] || fail "retries not counted in /metrics: ${retries:-none}"
grep -q 'retry engine=http target=en job=.* status=500 attempt=1/40 next_attempt_in_ms=' "$work/translate.log" ||
  fail "no retry log line with engine, target, status, attempt and next attempt"
grep -q 'breaker open engine=http target=en' "$work/translate.log" || fail "no breaker log line"
expect "dead letters during the outage" 0 "$(dead_letters)"

control '{"fail_always": false}'
wait_until "en translations after the engine recovered" 60 '[ "$(committed .en)" -ge 5 ]'
wait_until "no en job waiting" 30 '[ "$(metric "syndicate_translation_jobs_waiting{target=\"en\",engine=\"http\"}")" = 0 ]'
expect "en translations (raw records)" 5 "$(committed .en)"
expect "en translations (distinct)" 5 "$(distinct .en)"
expect "zh-Hant translations (raw records)" 5 "$(committed .zh-Hant)"
expect "zh-Hant translations (distinct)" 5 "$(distinct .zh-Hant)"
expect "dead letters after the outage" 0 "$(dead_letters)"
grep -q 'breaker closed engine=http target=en' "$work/translate.log" || fail "breaker did not close"

# --- 2. 403 for good, 429 with Retry-After --------------------------------------------------------
control '{"reset": true}'
control '{"fail_next": 1, "status": 403, "error": "Invalid API key"}'
control '{"fail_next": 1, "status": 429, "retry_after": 2, "error": "Slowdown: 1 per 2 second"}'
"$syndicate" publish --config "$cfg" "$issues/beijiang-daily-2024-03-12-p1.txt" >/dev/null 2>&1
jobs_for "$cfg"
n2=$(($(count_committed "$id.jobs") / 2 - 5))
[ "$n2" -ge 2 ] || fail "second issue made too few jobs: $n2"
wait_until "second issue: en translations but the rejected one" 60 '[ "$(committed .en)" -ge $((5 + n2 - 1)) ]'
wait_until "second issue: one dead letter" 30 '[ "$(dead_letters)" -ge 1 ]'
expect "injected faults hit" 2 "$(mt_state '["injected"]')"
expect "dead letters (the 403)" 1 "$(dead_letters)"
letters=$("$syndicate" dlq list --config "$cfg" --json)
reason=$(python3 -c 'import json,sys; d=json.load(sys.stdin)["deadLetters"]; print(d[0]["reason"], d[0]["attempts"])' <<<"$letters")
expect "dead letter reason and attempts" "SINK_REJECTED 1" "$reason"
grep -q 'HTTP 403' <<<"$letters" || fail "dead letter does not name the engine's status: $letters"
grep -q 'Invalid API key' <<<"$letters" || fail "dead letter does not carry the engine's message: $letters"
grep -q 'status=429 attempt=1/40 next_attempt_in_ms=[2-9][0-9][0-9][0-9] (Retry-After)' "$work/translate.log" ||
  fail "429 not retried after its Retry-After: $(grep 'status=429' "$work/translate.log" | head -2)"
expect "en translations after a 403 and a 429 (raw)" $((5 + n2 - 1)) "$(committed .en)"
expect "en translations after a 403 and a 429 (distinct)" $((5 + n2 - 1)) "$(distinct .en)"

# --- 3. Past the deadline, then the RUNBOOK's recovery: dlq redrive --------------------------------
cfg_short=$work/short.yaml
config "$cfg_short" 4000 ""
control '{"reset": true}'
control '{"fail_always": true, "status": 503, "error": "Service Unavailable"}'
dlq_before=$(dead_letters)
"$syndicate" publish --config "$cfg" "$issues/binhai-metro-2024-06-18-p2.txt" >/dev/null 2>&1
jobs_before=$(count_committed "$id.jobs")
jobs_for "$cfg_short"
n3=$((($(count_committed "$id.jobs") - jobs_before) / 2))
[ "$n3" -ge 1 ] || fail "third issue made no jobs"
wait_until "third issue: en jobs dead-lettered at their deadline" 60 '[ "$(dead_letters)" -ge $((dlq_before + n3)) ]'
expirations=$("$syndicate" dlq list --config "$cfg" --reason DEADLINE_EXCEEDED --json |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["deadLetters"]))')
expect "dead letters DEADLINE_EXCEEDED" "$n3" "$expirations"
control '{"fail_always": false}'
"$syndicate" dlq redrive --config "$cfg" --group "$id-translator" --reason DEADLINE_EXCEEDED --execute >/dev/null
wait_until "redriven jobs translated with a fresh deadline" 60 '[ "$(committed .en)" -ge $((5 + n2 - 1 + n3)) ]'
expect "en translations after the redrive (raw)" $((5 + n2 - 1 + n3)) "$(committed .en)"
expect "en translations after the redrive (distinct)" $((5 + n2 - 1 + n3)) "$(distinct .en)"

kill -TERM "$tpid"
rc=0; wait "$tpid" || rc=$?
expect "translate exit status after SIGTERM" 0 "$rc"
# Everything was committed: a restart has nothing to do (no engine request at all).
control '{"reset": true}'
"$syndicate" translate --config "$cfg" --until-idle --done-store "$work/done.db" >>"$work/translate.log" 2>&1
expect "engine requests after a restart" 0 "$(mt_state '["requests"]')"
expect "en translations after a restart (raw)" $((5 + n2 - 1 + n3)) "$(committed .en)"

# --- 4. An engine that knows only zh -------------------------------------------------------------
control '{"languages": ["zh", "en"]}'
rc=0; "$syndicate" translate --config "$cfg" --until-idle --done-store "" >"$work/refused.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "translate started although the engine does not know zh-Hans"
grep -q 'does not translate zh-Hans -> en' "$work/refused.log" || fail "no clear refusal: $(cat "$work/refused.log")"
cfg_zh=$work/zh.yaml
config "$cfg_zh" 300000 ", engine_source_language: zh"
"$syndicate" publish --config "$cfg" "$issues/hexi-business-2024-05-20-p3.txt" >/dev/null 2>&1
jobs_for "$cfg_zh"
"$syndicate" translate --config "$cfg_zh" --until-idle --done-store "$work/done.db" >>"$work/translate.log" 2>&1
sources=$(curl -sf "http://127.0.0.1:$mtport/__state" | python3 -c 'import json,sys; print(" ".join(sorted({e.get("source","") for e in json.load(sys.stdin)["log"]})))')
expect "source code sent to the zh-only engine" "zh" "$sources"
[ "$(mt_state '["ok"]')" -ge 1 ] || fail "the zh-only engine translated nothing"
expect "dead letters at the end" $((dlq_before + n3)) "$(dead_letters)"
echo "translation_outage: ok"
