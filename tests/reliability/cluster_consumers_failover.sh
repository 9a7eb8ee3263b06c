#!/usr/bin/env bash
# Cluster scenario B: a broker dies (SIGKILL) while `consume archive` (PostgreSQL), `consume feed`
# (local WeChat API), `consume translation` and `translate` (OpenCC) run under load, and comes back
# 10 s later. The broker killed is the group coordinator of every group (the leader of
# __consumer_offsets partition 0, the only one), and a partition leader of every topic; the
# consumers are never restarted. At the end every sink
# holds every article exactly once: archive rows, WeChat draft articles, translation jobs and
# translations (read_committed), each counted raw and distinct.
# $1 is the syndicate binary; uses the three-broker cluster (SYN_TEST_CLUSTER_PORT) and the test
# PostgreSQL (SYN_TEST_PG_CONNINFO).
set -euo pipefail
syndicate=$(realpath "$1")
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/cluster_lib.sh"
: "${SYN_TEST_PG_CONNINFO:?SYN_TEST_PG_CONNINFO must point at the test PostgreSQL (scripts/test.sh sets it)}"
issues=${SYN_REL_ISSUES:-100}
chunks=10
down=${SYN_REL_DOWN_SECONDS:-10}
articles=$((issues * 5))
wechat_port=$(free_port)
id=ccon$(date +%s)$$
cfg=$work/syndication.yaml
started=$(date +%s)

psql "$SYN_TEST_PG_CONNINFO" -qc "CREATE DATABASE $id" || fail "cannot create database $id"
drop_db() { psql "$SYN_TEST_PG_CONNINFO" -qc "DROP DATABASE IF EXISTS $id WITH (FORCE)" >/dev/null 2>&1 || true; }
show_logs() { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")"; tail -5 "$f"; }; done; }
trap 'rc=$?; [ $rc = 0 ] || show_logs; drop_db; cluster_heal; rel_cleanup' EXIT
export SYN_REL_ARCHIVE_PG="$SYN_TEST_PG_CONNINFO dbname=$id"
cluster_config "$cfg" "$id" "$wechat_port"
sed -i 's|^  sqlite: {path: .*}|  backend: postgres\n  postgres: {conninfo_env: SYN_REL_ARCHIVE_PG}|' "$cfg"
grep -q 'backend: postgres' "$cfg" || fail "config: archive backend not switched to postgres"
"$syndicate" config check --config "$cfg" >/dev/null || fail "config: $("$syndicate" config check --config "$cfg" 2>&1)"
start_wechat "$wechat_port"
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/issues" "$issues" >/dev/null
ls "$work/issues" >"$work/issue-list"
: >"$work/retries"
split -n "l/$chunks" "$work/issue-list" "$work/chunk."

# Counts fail (no number) when psql or kcat fails.
pg() { psql "$SYN_REL_ARCHIVE_PG" -tAc "$1"; }
archive_rows() { pg 'SELECT count(*) FROM article_revisions'; }

declare -A pid
for role in archive feed translation translator; do
  case $role in
    archive) exec "$syndicate" consume archive --config "$cfg" --metrics-listen "" ;;
    feed) exec "$syndicate" consume feed --config "$cfg" --metrics-listen "" --state "$work/feed.db" ;;
    translation) exec "$syndicate" consume translation --config "$cfg" --metrics-listen "" ;;
    translator) exec "$syndicate" translate --config "$cfg" --done-store "$work/done.db" --metrics-listen "" ;;
  esac >"$work/$role.out" 2>"$work/$role.log" &
  pid[$role]=$!
  pids_to_stop+=($!)
done

# The load: 10 runs of `publish`; a run that fails (the broker's death) is run again, as its
# caller would: the publisher skips the issues already on the topic.
(
  for c in "$work"/chunk.*; do
    for attempt in 1 2 3 4 5; do
      if (cd "$work/issues" && xargs timeout 120 "$syndicate" publish --config "$cfg" <"$c") >>"$work/publish.out" 2>>"$work/publish.log"; then break; fi
      echo "retry $c" >>"$work/retries"
      [ $attempt = 5 ] && { echo "publish failed 5 times" >>"$work/publish.log"; exit 1; }
    done
    sleep 1
  done
) &
publisher=$!
pids_to_stop+=($publisher)

archive_at_least() { [ "$(archive_rows)" -ge "$1" ] && echo ok || echo no; }
wait_for "archive rows before the kill" ok 90 archive_at_least $((articles / 5))
victim=$(leader_of __consumer_offsets 0)
txn=$(leader_of __transaction_state 0)
at=$(archive_rows)
kafka_sh kill-node "$victim" 2>>"$work/cluster.log"
echo "killed node $victim (group coordinator; transaction coordinator: node $txn) at $at archive rows of $((articles * 2))"
sleep "$down"
for role in archive feed translation translator; do
  kill -0 "${pid[$role]}" 2>/dev/null || fail "$role exited while a broker was down: $(tail -3 "$work/$role.log")"
done
kafka_sh start-node "$victim" 2>>"$work/cluster.log" >/dev/null
rc=0; wait "$publisher" || rc=$?
expect "scenario B exit status of the publisher (failed runs retried)" 0 "$rc"
echo "publish runs retried: $(count_lines '^retry' "$work/retries")"

wait_for "archive rows" $((articles * 2)) 120 archive_rows
wait_for "WeChat draft articles" "$articles" 90 wechat_articles "$wechat_port"
wait_for "translation jobs" "$articles" 60 count_records "$id.jobs"
wait_for "translated articles" "$articles" 60 count_records "$id.translated"
sleep 2 # a late duplicate would show now
for role in archive feed translation translator; do
  kill -0 "${pid[$role]}" 2>/dev/null || fail "$role is not running at the end"
  kill -TERM "${pid[$role]}"
done
for role in archive feed translation translator; do
  rc=0; wait "${pid[$role]}" || rc=$?
  expect "scenario B exit status of $role after SIGTERM" 0 "$rc"
done

rows=$(archive_rows)
distinct_rows=$(pg 'SELECT count(DISTINCT article_id) FROM article_revisions')
drafts=$(wechat_articles "$wechat_port")
distinct_drafts=$(wechat_articles "$wechat_port" distinct)
jobs=$(count_records "$id.jobs")
distinct_jobs=$(count_distinct "$id.jobs")
translated=$(count_records "$id.translated")
distinct_translated=$(count_distinct "$id.translated")
expect_once "scenario B archive rows (originals and translations)" $((articles * 2)) "$rows" "$distinct_rows"
expect_once "scenario B WeChat draft articles" "$articles" "$drafts" "$distinct_drafts"
expect_once "scenario B translation jobs (read_committed)" "$articles" "$jobs" "$distinct_jobs"
expect_once "scenario B translations (read_committed)" "$articles" "$translated" "$distinct_translated"
expect "scenario B dead letters" 0 "$(count_dead_letters "$id.dlq")"
echo "cluster_consumers_failover: ok ($issues issues, $articles articles, node $victim down ${down}s, $(($(date +%s) - started)) s)"
