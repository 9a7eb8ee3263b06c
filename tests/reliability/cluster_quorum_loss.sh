#!/usr/bin/env bash
# Cluster scenario C: two of the three brokers down (SIGKILL) for 30 s: no controller quorum, no
# partition with its min ISR of 2. Meanwhile a `publish` of 10 more issues must block or fail
# loudly (no issue reported published while the brokers are down), and `consume archive` and
# `consume feed` must neither exit nor write anything new. When the two brokers come back the same
# processes resume without an operator: the publish finishes (its failed issues, if any, are
# published by a re-run, as its caller would), the sinks hold every article exactly once.
# /readyz of `consume archive`, `consume feed`, `consume translation`, `translate` and `serve
# trigger` (one issue POSTed during the outage) must say not ready (503) during the outage and
# ready (200) again after it, by themselves. $1 is the syndicate binary; uses the three-broker
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
translation_port=$(free_port)
translator_port=$(free_port)
trigger_port=$(free_port)
trigger_metrics_port=$(free_port)
id=cquo$(date +%s)$$
cfg=$work/syndication.yaml
started=$(date +%s)
show_logs() { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")"; tail -5 "$f"; }; done; }
trap 'rc=$?; [ $rc = 0 ] || show_logs; cluster_heal; rel_cleanup' EXIT
cluster_config "$cfg" "$id" "$wechat_port"
cat >>"$cfg" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$trigger_port
    token_env: SYN_REL_TOKEN
    spool_dir: $work/spool
YAML
export SYN_REL_TOKEN=rel-token-$$
"$syndicate" config check --config "$cfg" >/dev/null || fail "config: $("$syndicate" config check --config "$cfg" 2>&1)"
start_wechat "$wechat_port"
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/before" "$batch" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/during" "$batch" --start "$batch" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/posted" 1 --start $((2 * batch)) >/dev/null

# Counts fail (no number) when sqlite3 fails.
archive_rows() { sqlite3 "$work/archive.db" 'SELECT count(*) FROM article_revisions'; }
archive_distinct() { sqlite3 "$work/archive.db" 'SELECT count(DISTINCT article_id) FROM article_revisions'; }
wechat_count() { wechat_articles "$wechat_port"; }

not_ready=
ready_again=
declare -A pid ready_port=([archive]=$archive_port [feed]=$feed_port [translation]=$translation_port
  [translator]=$translator_port [trigger]=$trigger_metrics_port)
roles=(archive feed translation translator trigger)
for role in "${roles[@]}"; do
  listen=127.0.0.1:${ready_port[$role]}
  case $role in
    archive) exec "$syndicate" consume archive --config "$cfg" --metrics-listen "$listen" ;;
    feed) exec "$syndicate" consume feed --config "$cfg" --metrics-listen "$listen" --state "$work/feed.db" ;;
    translation) exec "$syndicate" consume translation --config "$cfg" --metrics-listen "$listen" ;;
    translator) exec "$syndicate" translate --config "$cfg" --done-store "$work/done.db" --metrics-listen "$listen" ;;
    trigger) exec "$syndicate" serve trigger --config "$cfg" --metrics-listen "$listen" ;;
  esac >"$work/$role.out" 2>"$work/$role.log" &
  pid[$role]=$!
  pids_to_stop+=($!)
done
readyz() { http_status "http://127.0.0.1:${ready_port[$1]}/readyz"; }
"$syndicate" publish --config "$cfg" "$work"/before/*.txt >"$work/publish-before.out" 2>>"$work/publish.log" ||
  fail "publish before the outage: $(tail -3 "$work/publish-before.out")"
n=$((batch * 5))
# The archive takes the originals and their translations.
wait_for "archive rows before the outage" $((2 * n)) 90 archive_rows
wait_for "WeChat articles before the outage" "$n" 60 wechat_count
for role in "${roles[@]}"; do wait_for "scenario C $role /readyz before the outage" 200 30 readyz "$role"; done

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
# Accepted into the trigger's spool (202) while nothing can be published: it tries until it can.
posted=$(curl -s -o "$work/post.json" -m 10 -w '%{http_code}' -X POST -H "Authorization: Bearer $SYN_REL_TOKEN" \
  --data-binary @"$(ls "$work"/posted/*.txt)" "http://127.0.0.1:$trigger_port/v1/issues" || true)
expect "scenario C issue POSTed to the trigger during the outage accepted" 202 "$posted"
# Each role must say so itself, while the two brokers are still down (bounded by the outage).
for role in "${roles[@]}"; do
  left=$((outage - 2 - (SECONDS - down_at)))
  ((left > 0)) || fail "no time left in the outage to see $role not ready"
  wait_for "scenario C $role /readyz during the outage" 503 "$left" readyz "$role"
  not_ready+="$role $((SECONDS - down_at)) s, "
done
publisher_state=running; kill -0 "$publisher" 2>/dev/null || publisher_state=exited
((SECONDS - down_at < outage)) || fail "the outage was over before every role was seen not ready"
while ((SECONDS - down_at < outage)); do sleep 0.2; done
# Everything below is read before the brokers are back.
during_published=$(count_lines ': published ' "$work/publish.out")
during_failed=$(count_lines ': NOT published' "$work/publish.out")
during_rows=$(archive_rows)
during_wechat=$(wechat_count)
for role in "${roles[@]}"; do
  kill -0 "${pid[$role]}" 2>/dev/null || fail "$role exited while two brokers were down: $(tail -3 "$work/$role.log")"
done
echo "during the outage: publish $publisher_state ($during_published published, $during_failed reported failed);" \
  "/readyz 503 (seconds after the kill): ${not_ready%, }"
expect "scenario C issues reported published while two brokers were down" 0 "$during_published"
expect "scenario C archive rows written while two brokers were down" $((2 * n)) "$during_rows"
expect "scenario C WeChat articles pushed while two brokers were down" "$n" "$during_wechat"
rc=
if [ "$publisher_state" = exited ]; then # it gave up during the outage: it must say so
  rc=0; wait "$publisher" || rc=$?
  echo "publish gave up during the outage: exit $rc; $(tail -1 "$work/publish.log")"
  expect "scenario C a publish that ended during the outage failed (non-zero exit)" yes "$([ "$rc" != 0 ] && echo yes || echo no)"
fi

kafka_sh start --nodes 3 >/dev/null 2>>"$work/cluster.log"
echo "cluster whole again $((SECONDS - down_at)) s after the kill"
whole_at=$SECONDS
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

total=$(((2 * batch + 1) * 5))
wait_for "archive rows after the outage" $((2 * total)) 180 archive_rows
wait_for "WeChat articles after the outage" "$total" 120 wechat_count
wait_for "translated articles after the outage" "$total" 120 count_records "$id.translated"
for role in "${roles[@]}"; do
  wait_for "scenario C $role /readyz after the outage" 200 60 readyz "$role"
  ready_again+="$role $((SECONDS - whole_at)) s, "
done
echo "/readyz 200 again (seconds after the cluster was whole, seen once every article was in): ${ready_again%, }"
sleep 2 # a late duplicate would show now
for role in "${roles[@]}"; do kill -0 "${pid[$role]}" 2>/dev/null || fail "$role is not running after the outage"; done
rows=$(archive_rows)
distinct=$(archive_distinct)
drafts=$(wechat_count)
distinct_drafts=$(wechat_articles "$wechat_port" distinct)
records=$(count_records "$id.articles")
distinct_records=$(count_distinct "$id.articles")
expect_once "scenario C articles on the topic (read_committed)" "$total" "$records" "$distinct_records"
jobs=$(count_records "$id.jobs")
distinct_jobs=$(count_distinct "$id.jobs")
translated=$(count_records "$id.translated")
distinct_translated=$(count_distinct "$id.translated")
expect_once "scenario C archive rows (originals and translations)" $((2 * total)) "$rows" "$distinct"
expect_once "scenario C WeChat draft articles" "$total" "$drafts" "$distinct_drafts"
expect_once "scenario C translation jobs (read_committed)" "$total" "$jobs" "$distinct_jobs"
expect_once "scenario C translations (read_committed)" "$total" "$translated" "$distinct_translated"
expect "scenario C dead letters" 0 "$(count_dead_letters "$id.dlq")"
echo "cluster_quorum_loss: ok (2 of 3 brokers down ${outage}s, the same consumers resumed, $(($(date +%s) - started)) s)"
