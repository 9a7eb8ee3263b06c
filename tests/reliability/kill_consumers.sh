#!/usr/bin/env bash
# Scenario 2: each consumer killed in the middle of a batch and restarted, three rounds, each on
# a fresh slice of issues: no loss and no duplicate in its sink.
# - archive: SIGKILL while its batch write waits on a lock another process holds on the database
#   (the batch is consumed, the transaction not committed);
# - feed: SIGKILL while WeChat hangs on a draft/add of the batch (some drafts of the slice are
#   already posted, a random number of them, seeded by $SYN_REL_SEED);
# - translation, translator: killed inside a Kafka transaction once its records are on the broker
#   (test hook SYNDICATE_TEST_EXIT_IN_TRANSACTION=N: the translator in a random batch N).
# $1 is the syndicate binary; uses the test broker.
set -euo pipefail
syndicate=$1
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/lib.sh"
per_slice=${SYN_REL_ISSUES_PER_SLICE:-10}
seed=${SYN_REL_SEED:-$$}
RANDOM=$seed
echo "seed: $seed"
wechat_port=$(free_port)
id=kill$(date +%s)$$
cfg=$work/syndication.yaml
rel_config "$cfg" "$id" "$wechat_port"
# Batches of 10, so a slice of 50 articles is several batches (the translator dies in a random one).
sed -i 's|^  retry: {initial_backoff_ms: 100, max_backoff_ms: 1000, max_attempts: 5}$|&\n  poll_batch_size: 10|' "$cfg"
grep -q 'poll_batch_size: 10' "$cfg" || fail "poll_batch_size not set in $cfg"
db=$work/archive.db
start_wechat "$wechat_port"
"$syndicate" topics create --config "$cfg" >/dev/null
published=0
publish_slice() {
  python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/slice" "$per_slice" --start "$published"
  "$syndicate" publish --config "$cfg" "$work"/slice/*.txt >/dev/null 2>>"$work/publish.log" || fail "publish: $(tail -3 "$work/publish.log")"
  rm -rf "$work/slice"; published=$((published + per_slice))
}
wechat_calls() {
  local state
  state=$(wechat_state "$wechat_port") || tool_fail "GET /__state"
  printf '%s' "$state" | python3 -c '
import json, sys; print(json.load(sys.stdin).get("calls", {}).get(sys.argv[1], 0))' "$1"
}
# sigkill_when NAME PID CONDITION...: waits (20 s at most) until CONDITION holds, then SIGKILL
# (and only then): the scenario fails if the condition never held or the process ended first.
sigkill_when() {
  local name=$1 pid=$2 held=0; shift 2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    if "$@"; then held=1; break; fi
    sleep 0.2
  done
  kill -0 "$pid" 2>/dev/null || fail "$name ended before it could be killed mid-batch: $(tail -3 "$work/$name.log")"
  [ "$held" = 1 ] || fail "$name: the mid-batch condition ($*) never held in 20 s: not killed"
  kill -9 "$pid"
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  expect "$name killed by SIGKILL (exit status 128+9)" 137 "$rc"
}
archive=0 feed=0 translation=0 translator=0
for round in 1 2 3; do
  # archive: up and assigned, then the database is locked by another process and a slice is
  # published; SIGKILL once the consumer has taken records (its /metrics) it cannot write.
  mport=$(free_port)
  "$syndicate" consume archive --config "$cfg" --metrics-listen "127.0.0.1:$mport" >"$work/archive-now.log" 2>&1 &
  pid=$!
  wait_until "archive consumer assigned partitions" 30 grep -q 'assigned' "$work/archive-now.log"
  wait_until "archive consumer's /metrics answering" 30 curl -sf -o /dev/null "http://127.0.0.1:$mport/metrics"
  # The locker waits (busy timeout) for a write the consumer may be doing: from round 2 on it
  # first re-takes the slice its killed predecessor never committed.
  { echo 'BEGIN EXCLUSIVE;'; sleep 8; echo 'COMMIT;'; } | sqlite3 -cmd '.timeout 20000' "$db" &
  locker=$!
  # The lock is held when a writer cannot get one (no sleep: the observable state).
  locked() { ! sqlite3 -cmd '.timeout 0' "$db" 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null; }
  wait_until "archive database locked by another process" 20 locked
  consumed() {
    local m
    m=$(curl -sf -m 5 "http://127.0.0.1:$mport/metrics") || tool_fail "GET the archive consumer's /metrics"
    printf '%s\n' "$m" | awk '/^syndicate_records_consumed_total/ {n += $2} END {print n + 0}'
  }
  consumed0=$(consumed)
  publish_slice
  # Mid-batch: records taken since the lock was held, and the database still locked (the batch
  # cannot have been written).
  taken_while_locked() { [ "$(consumed)" -gt "$consumed0" ] && kill -0 "$locker" 2>/dev/null && locked; }
  sigkill_when archive "$pid" taken_while_locked
  cat "$work/archive-now.log" >>"$work/archive.log"
  wait "$locker"
  archive=$((archive + 1))
  echo "archive: round $round killed at $(count_archive_revisions) of $((published * 5)) revisions"

  # feed: draft/add hangs after a random number of drafts; SIGKILL while it hangs.
  skip=$((RANDOM % 3))
  faults_before=$(wechat_faults_injected "$wechat_port")
  wechat_control "$wechat_port" "{\"fail_next\": 1, \"path\": \"draft/add\", \"skip\": $skip, \"hang_ms\": 4000}"
  calls=$(wechat_calls /cgi-bin/draft/add)
  "$syndicate" consume feed --config "$cfg" --metrics-listen "" --state "$work/feed.db" >>"$work/feed.log" 2>&1 &
  pid=$!
  hanging() { [ "$(wechat_calls /cgi-bin/draft/add)" -gt $((calls + skip)) ]; }
  sigkill_when feed "$pid" hanging
  # The injected hang was hit (the server's own counter), not merely armed.
  expect "feed round $round: WeChat faults injected" $((faults_before + 1)) "$(wechat_faults_injected "$wechat_port")"
  feed=$((feed + 1))
  wechat_control "$wechat_port" '{"clear_faults": true}'
  echo "feed: round $round killed at $(wechat_articles "$wechat_port") of $((published * 5)) articles (hang after $skip drafts)"

  # translation: dies in its first transaction, then runs to the end; translator: dies in batch N.
  rc=0; SYNDICATE_TEST_EXIT_IN_TRANSACTION=1 "$syndicate" consume translation --config "$cfg" --until-idle \
    >>"$work/translation.log" 2>&1 || rc=$?
  [ "$rc" = 70 ] && translation=$((translation + 1))
  "$syndicate" consume translation --config "$cfg" --until-idle >>"$work/translation.log" 2>&1
  n=$((1 + RANDOM % 4))
  rc=0; SYNDICATE_TEST_EXIT_IN_TRANSACTION=$n "$syndicate" translate --config "$cfg" --until-idle \
    --done-store "$work/done.db" >>"$work/translator.log" 2>&1 || rc=$?
  [ "$rc" = 70 ] && translator=$((translator + 1))
  echo "translator: round $round died in batch $n (exit $rc)"
done
echo "kills mid-batch: archive $archive, feed $feed, translation $translation, translator $translator"
expect "scenario 2 archive killed mid-batch" 3 "$archive"
expect "scenario 2 feed killed mid-batch" 3 "$feed"
expect "scenario 2 translation killed mid-transaction" 3 "$translation"
expect "scenario 2 translator killed mid-transaction" 3 "$translator"

publish_slice
articles=$((published * 5))
timeout 300 "$syndicate" consume archive --config "$cfg" --until-caught-up --metrics-listen "" >>"$work/archive.log" 2>&1
timeout 300 "$syndicate" consume feed --config "$cfg" --until-caught-up --metrics-listen "" --state "$work/feed.db" >>"$work/feed.log" 2>&1
timeout 300 "$syndicate" consume translation --config "$cfg" --until-idle >>"$work/translation.log" 2>&1
timeout 300 "$syndicate" translate --config "$cfg" --until-idle --done-store "$work/done.db" >>"$work/translator.log" 2>&1
expect "scenario 2 archive revisions" "$articles" "$(count_archive_revisions)"
expect "scenario 2 archive distinct articles" "$articles" "$(count_archive_articles)"
expect "scenario 2 archive revisions repeating a content hash" 0 "$(count_archive_repeated_hashes)"
expect_once "scenario 2 archive" "$articles" "$(count_archive_revisions)" "$(count_archive_articles)"
expect_once "scenario 2 WeChat draft articles" "$articles" "$(wechat_articles "$wechat_port")" \
  "$(wechat_articles "$wechat_port" distinct)"
expect_topic_once "scenario 2 articles on the topic (read_committed)" "$articles" "$id.articles"
expect_topic_once "scenario 2 translation jobs (read_committed)" "$articles" "$id.jobs"
expect_topic_once "scenario 2 translated articles (read_committed)" "$articles" "$id.translated"
expect "scenario 2 dead letters" 0 "$(count_dlq "$id.dlq")"
echo "kill_consumers: ok"
