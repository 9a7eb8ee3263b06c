#!/usr/bin/env bash
# Cluster scenario C: two of the three brokers down (SIGKILL) for 30 s: no controller quorum, no
# partition with its min ISR of 2. Meanwhile a `publish` of 10 more issues must block or fail
# loudly (no issue reported published while the brokers are down), and `consume archive` and
# `consume feed` must neither exit nor write anything new. When the two brokers come back the same
# processes resume without an operator: the publish finishes (its failed issues, if any, are
# published by a re-run, as its caller would), the sinks hold every article exactly once.
# /readyz of the consumers is sampled during the outage and printed (docs/RELIABILITY.md: it
# does not yet follow the broker connection). $1 is the syndicate binary; uses the three-broker
# cluster (SYN_TEST_CLUSTER_PORT).
set -euo pipefail
syndicate=$(realpath "$1")
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/cluster_lib.sh"
outage=${SYN_REL_OUTAGE_SECONDS:-30}
batch=10
wechat_port=$(free_port)
archive_port=$(free_port)
feed_port=$(free_port)
id=cquo$(date +%s)$$
cfg=$work/syndication.yaml
started=$(date +%s)
show_logs() { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")"; tail -5 "$f"; }; done; }
trap 'rc=$?; [ $rc = 0 ] || show_logs; cluster_heal; rel_cleanup' EXIT
cluster_config "$cfg" "$id" "$wechat_port"
"$syndicate" config check --config "$cfg" >/dev/null || fail "config: $("$syndicate" config check --config "$cfg" 2>&1)"
start_wechat "$wechat_port"
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/before" "$batch" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/during" "$batch" --start "$batch" >/dev/null

# Counts fail (no number) when sqlite3 fails.
archive_rows() { sqlite3 "$work/archive.db" 'SELECT count(*) FROM article_revisions'; }
archive_distinct() { sqlite3 "$work/archive.db" 'SELECT count(DISTINCT article_id) FROM article_revisions'; }
wechat_count() { wechat_articles "$wechat_port"; }

"$syndicate" consume archive --config "$cfg" --metrics-listen "127.0.0.1:$archive_port" >"$work/archive.out" 2>"$work/archive.log" &
archive=$!; pids_to_stop+=($archive)
"$syndicate" consume feed --config "$cfg" --metrics-listen "127.0.0.1:$feed_port" --state "$work/feed.db" >"$work/feed.out" 2>"$work/feed.log" &
feed=$!; pids_to_stop+=($feed)
"$syndicate" publish --config "$cfg" "$work"/before/*.txt >"$work/publish-before.out" 2>>"$work/publish.log" ||
  fail "publish before the outage: $(tail -3 "$work/publish-before.out")"
n=$((batch * 5))
wait_for "archive rows before the outage" "$n" 60 archive_rows
wait_for "WeChat articles before the outage" "$n" 60 wechat_count
expect "scenario C archive /readyz before the outage" 200 "$(http_status "http://127.0.0.1:$archive_port/readyz")"
expect "scenario C feed /readyz before the outage" 200 "$(http_status "http://127.0.0.1:$feed_port/readyz")"

# Down: the group coordinator (leader of __consumer_offsets partition 0) and one more node.
first=$(leader_of __consumer_offsets 0)
second=$(( first % 3 + 1 ))
kafka_sh kill-node "$first" 2>>"$work/cluster.log"
kafka_sh kill-node "$second" 2>>"$work/cluster.log"
down_at=$SECONDS
echo "nodes $first and $second killed; node $(( 6 - first - second )) alone for ${outage}s"
timeout 300 "$syndicate" publish --config "$cfg" "$work"/during/*.txt >"$work/publish.out" 2>>"$work/publish.log" &
publisher=$!
pids_to_stop+=($publisher)
sleep $((outage - 5))
archive_ready=$(http_status "http://127.0.0.1:$archive_port/readyz")
feed_ready=$(http_status "http://127.0.0.1:$feed_port/readyz")
publisher_state=running; kill -0 "$publisher" 2>/dev/null || publisher_state=exited
while ((SECONDS - down_at < outage)); do sleep 0.2; done
# Everything below is read before the brokers are back.
during_published=$(count_lines ': published ' "$work/publish.out")
during_failed=$(count_lines ': NOT published' "$work/publish.out")
during_rows=$(archive_rows)
during_wechat=$(wechat_count)
for p in "$archive" "$feed"; do kill -0 "$p" 2>/dev/null || fail "a consumer exited while two brokers were down: $(tail -3 "$work/archive.log" "$work/feed.log")"; done
echo "during the outage: publish $publisher_state ($during_published published, $during_failed reported failed);" \
  "/readyz archive $archive_ready, feed $feed_ready (not asserted: readiness does not follow the brokers yet)"
expect "scenario C issues reported published while two brokers were down" 0 "$during_published"
expect "scenario C archive rows written while two brokers were down" "$n" "$during_rows"
expect "scenario C WeChat articles pushed while two brokers were down" "$n" "$during_wechat"
rc=
if [ "$publisher_state" = exited ]; then # it gave up during the outage: it must say so
  rc=0; wait "$publisher" || rc=$?
  echo "publish gave up during the outage: exit $rc; $(tail -1 "$work/publish.log")"
  expect "scenario C a publish that ended during the outage failed (non-zero exit)" yes "$([ "$rc" != 0 ] && echo yes || echo no)"
fi

kafka_sh start --nodes 3 >/dev/null 2>>"$work/cluster.log"
echo "cluster whole again $((SECONDS - down_at)) s after the kill"
if [ -z "$rc" ]; then rc=0; wait "$publisher" || rc=$?; fi
if [ "$rc" != 0 ]; then # as its caller would: publish the files again (what committed is skipped)
  said=no
  { grep -q ': NOT published' "$work/publish.out" || grep -q '^syndicate: ' "$work/publish.log"; } && said=yes
  echo "publish said: $( (grep ': NOT published' "$work/publish.out"; grep '^syndicate: ' "$work/publish.log") | head -1)"
  expect "scenario C a failed publish said why (an outcome line or an error)" yes "$said"
  "$syndicate" publish --config "$cfg" "$work"/during/*.txt >"$work/republish.out" 2>>"$work/publish.log" ||
    fail "re-run of the publish after the outage: $(tail -3 "$work/republish.out")"
  echo "publish exit $rc ($(count_lines ': NOT published' "$work/publish.out") reported failed); re-run: $(count_lines ': published ' "$work/republish.out") published, $(count_lines ': unchanged' "$work/republish.out") already there"
fi

total=$((2 * batch * 5))
wait_for "archive rows after the outage" "$total" 120 archive_rows
wait_for "WeChat articles after the outage" "$total" 120 wechat_count
sleep 2 # a late duplicate would show now
for p in "$archive" "$feed"; do kill -0 "$p" 2>/dev/null || fail "a consumer is not running after the outage"; done
expect "scenario C archive /readyz after the outage" 200 "$(http_status "http://127.0.0.1:$archive_port/readyz")"
expect "scenario C feed /readyz after the outage" 200 "$(http_status "http://127.0.0.1:$feed_port/readyz")"
rows=$(archive_rows)
distinct=$(archive_distinct)
drafts=$(wechat_count)
distinct_drafts=$(wechat_articles "$wechat_port" distinct)
records=$(count_records "$id.articles")
distinct_records=$(count_distinct "$id.articles")
expect_once "scenario C articles on the topic (read_committed)" "$total" "$records" "$distinct_records"
expect_once "scenario C archive rows" "$total" "$rows" "$distinct"
expect_once "scenario C WeChat draft articles" "$total" "$drafts" "$distinct_drafts"
expect "scenario C dead letters" 0 "$(count_dead_letters "$id.dlq")"
echo "cluster_quorum_loss: ok (2 of 3 brokers down ${outage}s, the same consumers resumed, $(($(date +%s) - started)) s)"
