#!/usr/bin/env bash
# Translation on the real broker: articles -> jobs (consume translation) -> zh-Hant articles
# (translate, OpenCC) -> archive, linked to their source. Running the consumers again adds
# nothing (exactly once through transactions). Needs SYN_TEST_BOOTSTRAP; $1 is the binary.
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

"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1
for round in 1 2; do
  "$syndicate" consume translation --config "$cfg" --until-idle 2>/dev/null
  "$syndicate" translate --config "$cfg" --until-idle 2>/dev/null
  expect "translation jobs after round $round" 5 "$(count "$id.jobs")"
  expect "translated articles after round $round" 5 "$(count "$id.translated")"
done
timeout 120 "$syndicate" consume archive --config "$cfg" --until-caught-up --metrics-listen "" 2>/dev/null
got=$("$syndicate" archive get cjrb-20240130-01-01.zh-Hant --config "$cfg" --format json)
grep -q '"headline": "昌吉州:實施"典範行動"打造高質量發展先行區"' <<<"$got" || grep -q '昌吉州:實施' <<<"$got" || fail "no traditional headline: $(head -c 400 <<<"$got")"
grep -q '"translationOf": "cjrb-20240130-01-01"' <<<"$got" || fail "translation not linked to its source"
grep -q '"language": "zh-Hant"' <<<"$got" || fail "language is not zh-Hant"
echo "translation_flow: ok"
