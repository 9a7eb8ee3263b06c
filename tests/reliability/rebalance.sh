#!/usr/bin/env bash
# Scenario 5: rebalancing under load. While 200 issues (1,000 articles) are published in the
# background, a second instance of each consumer joins its group and later leaves it (SIGTERM):
# archive (PostgreSQL, shared by both instances), feed (WeChat test server; both instances share
# one state db, the feed's ledger of what was pushed), translation jobs and the translator (both
# consume-transform-produce in Kafka transactions, one transactional.id per instance). At the end
# every article is in every sink exactly once. $1 is the syndicate binary; uses the test broker
# and the test PostgreSQL (SYN_TEST_PG_CONNINFO).
set -euo pipefail
syndicate=$(realpath "$1")
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/lib.sh"
: "${SYN_TEST_PG_CONNINFO:?SYN_TEST_PG_CONNINFO must point at the test PostgreSQL (scripts/test.sh sets it)}"
issues=${SYN_REL_ISSUES:-200}
chunks=10
cycles=${SYN_REL_CYCLES:-3}
articles=$((issues * 5))
RANDOM=${SYN_REL_SEED:-$$}
wechat_port=$(free_port)
id=rb$(date +%s)$$
cfg=$work/syndication.yaml
started=$(date +%s)

psql "$SYN_TEST_PG_CONNINFO" -qc "CREATE DATABASE $id" || fail "cannot create database $id"
drop_db() { psql "$SYN_TEST_PG_CONNINFO" -qc "DROP DATABASE IF EXISTS $id WITH (FORCE)" >/dev/null 2>&1 || true; }
# On failure, the end of every log before the scratch directory goes.
show_logs() { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")"; tail -5 "$f"; }; done; }
trap 'rc=$?; [ $rc = 0 ] || show_logs; drop_db; rel_cleanup' EXIT
export SYN_REL_ARCHIVE_PG="$SYN_TEST_PG_CONNINFO dbname=$id"
rel_config "$cfg" "$id" "$wechat_port"
sed -i 's|^  sqlite: {path: .*}|  backend: postgres\n  postgres: {conninfo_env: SYN_REL_ARCHIVE_PG}|' "$cfg"
grep -q 'backend: postgres' "$cfg" || fail "config: archive backend not switched to postgres"
# Two instances of a role on one host: no /metrics listeners (they would share a port).
grep -q '^observability:' "$cfg" || cat >>"$cfg" <<'YAML'
observability:
  metrics: {feed: "", archive: "", translation: "", translator: ""}
YAML
start_wechat "$wechat_port"
"$syndicate" config check "$cfg" >/dev/null || fail "config check"
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/issues" "$issues" >/dev/null
ls "$work/issues" >"$work/issue-list"
split -n "l/$chunks" "$work/issue-list" "$work/chunk."

pg() {
  local out
  out=$(psql "$SYN_REL_ARCHIVE_PG" -tAc "$1" 2>"$work/.psql.err") || tool_fail "psql '$1': $(cat "$work/.psql.err")"
  echo "$out"
}
archive_revisions() { pg 'SELECT count(*) FROM article_revisions'; }

# start NAME: one consumer instance in the background, logging to $work/NAME.log.
declare -A pid
start() {
  local name=$1 role=${1%-*} inst=${1##*-}
  case $role in
    archive) exec "$syndicate" consume archive --config "$cfg" --metrics-listen "" ;;
    feed) exec "$syndicate" consume feed --config "$cfg" --metrics-listen "" --state "$work/feed-state.db" ;;
    translation) exec "$syndicate" consume translation --config "$cfg" --instance "$id-$inst" --metrics-listen "" ;;
    translator) exec "$syndicate" translate --config "$cfg" --instance "$id-$inst" --done-store "$work/done-$inst.db" --metrics-listen "" ;;
  esac >"$work/$name.out" 2>"$work/$name.log" &
  pid[$name]=$!
  pids_to_stop+=($!)
}
# stop NAME: SIGTERM, then its exit status must be 0 within 30 s.
stop() {
  local name=$1 rc=0
  kill -TERM "${pid[$name]}"
  for _ in $(seq 300); do kill -0 "${pid[$name]}" 2>/dev/null || break; sleep 0.1; done
  kill -0 "${pid[$name]}" 2>/dev/null && fail "$name did not stop within 30 s of SIGTERM"
  wait "${pid[$name]}" || rc=$?
  expect "exit status of $name after SIGTERM" 0 "$rc"
}
roles=(archive feed translation translator)

for r in "${roles[@]}"; do start "$r-a"; done
# The load: issues published in $chunks runs of `syndicate publish`, one transaction per issue.
(
  for c in "$work"/chunk.*; do
    (cd "$work/issues" && xargs "$syndicate" publish --config "$cfg" <"$c") >>"$work/publish.out" 2>>"$work/publish.log" ||
      { echo "publish failed" >>"$work/publish.log"; exit 1; }
    sleep "${SYN_REL_CHUNK_PAUSE:-2}"  # the load spans the join and the leave
  done
) &
publisher=$!
pids_to_stop+=($publisher)

# Second instances join once the archive has taken some of the load (about a tenth), hold
# partitions for a while, and leave (SIGTERM) while issues keep arriving; $cycles times.
archive_at_least() { [ "$(archive_revisions)" -ge "$1" ] && echo ok || echo no; }
# The archive creates its tables when it starts: until then there is nothing to count.
archive_migrated() { pg "SELECT (to_regclass('article_revisions') IS NOT NULL)::int"; }
wait_for "the archive's schema" 1 60 archive_migrated
wait_for "archive revisions before the second instances join" ok 60 archive_at_least $((articles / 10))
has_partitions() { grep -q 'assigned [1-9][0-9]* partition' "$work/$1.log" && echo yes || echo no; }
for cycle in $(seq "$cycles"); do
  joined_at=$(archive_revisions)
  for r in "${roles[@]}"; do start "$r-b"; done
  for r in "${roles[@]}"; do wait_for "$r-b holding partitions (cycle $cycle)" yes 30 has_partitions "$r-b"; done
  sleep 3
  left_at=$(archive_revisions)
  for r in "${roles[@]}"; do stop "$r-b"; done
  echo "cycle $cycle: second instances joined at $joined_at and left at $left_at archive revisions (of $((articles * 2)))"
  sleep 1
done
rc=0; wait "$publisher" || rc=$?
[ "$rc" = 0 ] || tail -5 "$work/publish.log"
expect "exit status of the publisher" 0 "$rc"

# The first instances drain what is left.
jobs_topic=$id.jobs translated_topic=$id.translated
wait_for "archive revisions" $((articles * 2)) 90 archive_revisions
wait_for "WeChat draft articles" "$articles" 60 wechat_articles "$wechat_port"
wait_for "translation jobs" "$articles" 30 count_committed "$jobs_topic"
wait_for "translated articles" "$articles" 30 count_committed "$translated_topic"
# Nothing more to come (a late duplicate would be counted below): every group at the end.
for r in "${roles[@]}"; do wait_for "$r group caught up (lag 0)" 1 60 lag_caught_up "$id-$r"; done
for r in "${roles[@]}"; do stop "$r-a"; done

expect_once "scenario 5 archive (originals and translations)" $((articles * 2)) "$(archive_revisions)" \
  "$(pg 'SELECT count(DISTINCT article_id) FROM article_revisions')"
expect_once "scenario 5 WeChat draft articles" "$articles" "$(wechat_articles "$wechat_port")" \
  "$(wechat_articles "$wechat_port" distinct)"
expect_topic_once "scenario 5 translation jobs (read_committed)" "$articles" "$jobs_topic"
expect_topic_once "scenario 5 translated articles (read_committed)" "$articles" "$translated_topic"
expect "scenario 5 dead letters" 0 "$(count_dlq "$id.dlq")"
echo "rebalance: ok ($issues issues, $articles articles, $(($(date +%s) - started)) s)"
