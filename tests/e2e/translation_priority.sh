#!/usr/bin/env bash
# Priorities on the real broker (issue 19, item 4): a backlog of page-2 jobs (priority 5) sits on
# the jobs topic ahead of a front-page issue's jobs (8, 9 for the lead). `translate` reads ahead
# and takes higher priorities first: every front-page translation is produced before any of the
# backlog's, although the backlog came first. Each job is translated once.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-mt-testserver.
set -euo pipefail
syndicate=$1
mt=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
issues=$src/tests/data/issues
source "$src/tests/e2e/mt_lib.sh"
id=tp$(date +%s)$$
start_mt

cfg=$work/syndication.yaml
write_config "$cfg" "$id" <<YAML
translation:
  targets:
    - {language: zh-Hant, engine: opencc, opencc: s2t}
    - {language: en, engine: http, url: "http://127.0.0.1:$mtport/translate", request_timeout_ms: 5000}
  priorities: {default: 5, front_page: 8}
YAML
# One jobs partition, so the backlog is really ahead of the front page; fetches large enough to
# bring the whole backlog at once.
sed -i "s/translation_jobs: {name: $id.jobs, partitions: 3/translation_jobs: {name: $id.jobs, partitions: 1/" "$cfg"
sed -i 's/heartbeat.interval.ms: "1000"}/heartbeat.interval.ms: "1000", max.partition.fetch.bytes: "10485760"}/' "$cfg"
"$syndicate" topics create --config "$cfg" >/dev/null

# The backlog: six page-2 issues (distinct dates, so distinct ids and hashes).
for day in 1 2 3 4 5 6; do
  sed "s/2024年6月18日/2024年5月${day}日/" "$issues/binhai-metro-2024-06-18-p2.txt" >"$work/backlog-$day.txt"
  "$syndicate" publish --config "$cfg" "$work/backlog-$day.txt" >/dev/null 2>&1 || fail "publish backlog $day"
done
"$syndicate" consume translation --config "$cfg" --until-idle >/dev/null 2>&1
backlog_jobs=$(count_committed "$id.jobs")
[ "$backlog_jobs" -ge 12 ] || fail "backlog too small: $backlog_jobs jobs"
"$syndicate" publish --config "$cfg" "$issues/changji-daily-2024-01-30-p1.txt" >/dev/null 2>&1
"$syndicate" consume translation --config "$cfg" --until-idle >/dev/null 2>&1
expect "jobs: the backlog, then the front page's 10" $((backlog_jobs + 10)) "$(count_committed "$id.jobs")"

"$syndicate" translate --config "$cfg" --until-idle --done-store "$work/done.db" >"$work/translate.log" 2>&1 ||
  fail "translate: $(tail -5 "$work/translate.log")"
kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$id.translated" -o beginning -e -q -X isolation.level=read_committed \
  -f '%T %k\n' 2>/dev/null >"$work/translated.txt"
expect "translations (raw)" $((backlog_jobs + 10)) "$(grep -c '' "$work/translated.txt")"
expect "translations (distinct)" $((backlog_jobs + 10)) "$(cut -d' ' -f2 "$work/translated.txt" | sort -u | grep -c '')"
python3 - "$work/translated.txt" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
front = [int(t) for t, k in rows if k.startswith("cjrb-")]
backlog = [int(t) for t, k in rows if not k.startswith("cjrb-")]
print(f"front-page translations: {len(front)}, backlog translations: {len(backlog)}")
assert len(front) == 10, front
assert max(front) <= min(backlog), f"a backlog translation came before the front page: {max(front)} > {min(backlog)}"
PY
echo "translation_priority: ok"
