#!/usr/bin/env bash
# Translation on the real broker: articles -> jobs (consume translation) -> zh-Hant articles
# (translate, OpenCC) -> archive, linked to their source. Running the consumers again adds
# nothing (exactly once through transactions); each consumer killed with a transaction open and
# restarted leaves one job / one translation per article; a republish makes new jobs that the
# translator skips as done (done store), also after the store is lost and rebuilt from the topic.
# Needs SYN_TEST_BOOTSTRAP; $1 is the binary.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
id=tr$(date +%s)$$
cfg=$work/syndication.yaml
source "$src/tests/e2e/lib.sh"
write_config "$cfg" "$id" </dev/null
count() { count_committed "$1"; }

done_db=$work/done.db
translate() { "$syndicate" translate --config "$cfg" --until-idle --done-store "$done_db" "$@" >>"$work/translate.log" 2>&1; }

"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1
# Killed in the first transaction, after its records reached the broker: they are aborted.
rc=0; SYNDICATE_TEST_EXIT_IN_TRANSACTION=1 "$syndicate" consume translation --config "$cfg" --until-idle 2>/dev/null || rc=$?
expect "exit status of the job consumer killed mid-transaction" 70 "$rc"
rc=0; SYNDICATE_TEST_EXIT_IN_TRANSACTION=1 translate || rc=$?
expect "exit status of the translator killed mid-transaction (nothing committed to translate yet)" 0 "$rc"
for round in 1 2; do
  "$syndicate" consume translation --config "$cfg" --until-idle 2>/dev/null
  rc=0; [ "$round" = 1 ] && { SYNDICATE_TEST_EXIT_IN_TRANSACTION=1 translate || rc=$?; }
  [ "$round" = 1 ] && expect "exit status of the translator killed mid-transaction" 70 "$rc"
  translate
  expect "translation jobs after round $round (read_committed)" 5 "$(count "$id.jobs")"
  expect "translated articles after round $round (read_committed)" 5 "$(count "$id.translated")"
done

# A forced republish: new article records, so new jobs; the translator skips them as done.
"$syndicate" publish --config "$cfg" --force "$fixture" >/dev/null 2>&1
"$syndicate" consume translation --config "$cfg" --until-idle 2>/dev/null
expect "translation jobs after a forced republish" 10 "$(count "$id.jobs")"
translate
expect "translated articles after the republish (skipped as done)" 5 "$(count "$id.translated")"
grep -q '5 job(s) skipped as already done' "$work/translate.log" || fail "translator did not report 5 skipped jobs"
# The store lost: rebuilt from the translated topic, so a replay of every job translates nothing.
rm -f "$done_db"*
"$syndicate" replay --config "$cfg" --group "$id-translator" --topic "$id.jobs" --to-earliest --execute >/dev/null
translate
expect "translated articles after losing the done store and replaying every job" 5 "$(count "$id.translated")"
grep -q 'done store learned 5 translation(s)' "$work/translate.log" || fail "done store was not rebuilt from the topic"
timeout 120 "$syndicate" consume archive --config "$cfg" --until-caught-up --metrics-listen "" 2>/dev/null
got=$("$syndicate" archive get cjrb-20240130-01-01.zh-Hant --config "$cfg" --format json)
grep -q '"headline": "昌吉州:實施"典範行動"打造高質量發展先行區"' <<<"$got" || grep -q '昌吉州:實施' <<<"$got" || fail "no traditional headline: $(head -c 400 <<<"$got")"
grep -q '"translationOf": "cjrb-20240130-01-01"' <<<"$got" || fail "translation not linked to its source"
grep -q '"language": "zh-Hant"' <<<"$got" || fail "language is not zh-Hant"
echo "translation_flow: ok"
