#!/usr/bin/env bash
# `serve trigger` as an operator and an attacker try it (issue 16), on the real broker. Each
# scenario is a failure measured on the code before the fix:
#  1. a second trigger on the same port fenced the first (it set up Kafka before binding):
#     now it exits first, and the first goes on publishing;
#  2. kill -9 right after N accepted POSTs lost 97 of 100 (202 was in memory only): now all N are
#     on the topic exactly once after a restart (raw and distinct counts), and GET knows each. The
#     broker throttles the first trigger (a producer quota on its client.id) so that issues are
#     still unpublished when it is killed, and the test asserts they were (spooled at the kill);
#  3. a hot-folder writer that stalls 3.5 s mid-file got 3 of 5 articles published: now whole;
#  4. a symlink out of the hot folder was followed: now rejected with a note, the target unread;
#  5. a record too large for Kafka was retried forever: now in failed/ with a note;
#  6. 50 unauthenticated 4 MiB POSTs grew the trigger's RSS by ~200 MB: now bounded (+20 MB);
#  7. two `syndicate publish` runs at once on one host fenced each other: now both succeed;
#  8. a fenced trigger kept answering 202 and /readyz "ready" while every publication failed: now
#     it answers 503, /readyz 503, exits non-zero, and the issue it had accepted is published
#     once by its successor.
# Needs SYN_TEST_BOOTSTRAP and kcat; $1 is the syndicate binary.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=hard$(date +%s)$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || :; done
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
port=$(free_port)
mport=$(free_port)
write_config "$work/cfg.yaml" "$id" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$port
    token_env: SYN_E2E_TOKEN
    spool_dir: $work/spool
    max_connections_per_client: 64  # the 50 hostile POSTs below all get as far as their headers
  hot_folder:
    enabled: true
    dir: $work/hot
    poll_interval_ms: 200
observability:
  metrics:
    trigger: 127.0.0.1:$mport
YAML
# The first trigger gets a client.id of its own, which the broker throttles in scenario 2.
slow_client=$id-throttled
sed "s/client: {session/client: {client.id: $slow_client, session/" "$work/cfg.yaml" >"$work/cfg-first.yaml"
grep -q "client.id: $slow_client" "$work/cfg-first.yaml" || fail "could not set the first trigger's client.id"
kafka_sh=${SYN_KAFKA_SH:-$src/deploy/kafka/kafka.sh}
export SYN_E2E_TOKEN=tok3n
export SYNDICATE_LOCK_DIR=$work/locks  # instance slots of this test only
auth=(-H "Authorization: Bearer tok3n")
url=http://127.0.0.1:$port/v1/issues
fail() { echo "FAIL: $*" >&2; for f in "$work"/trigger*.log; do echo "== $f" >&2; tail -15 "$f" >&2; done; exit 1; }

start_trigger() {  # start_trigger LOG [CONFIG]: starts one in the background, waits until it is ready
  "$syndicate" serve trigger --config "${2:-$work/cfg.yaml}" >"$work/$1" 2>&1 &
  trigger_pid=$!
  pids+=("$trigger_pid")
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null && return 0
    kill -0 "$trigger_pid" 2>/dev/null || fail "the trigger exited at start-up"
    sleep 0.2
  done
  fail "the trigger did not become ready in 30 s"
}
# dump TOPIC FILE: every key a read_committed consumer sees, one a line; fails if kcat fails.
dump() {
  kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%k\n' >"$2" ||
    fail "kcat could not read $1"
}
raw() { awk -v p="$2" 'index($0, p) == 1' "$1" | wc -l; }
distinct() { awk -v p="$2" 'index($0, p) == 1' "$1" | sort -u | wc -l; }
# wait_status ISSUE STATUS_REGEX: bounded wait until GET answers that status.
wait_status() {
  for _ in $(seq 1 150); do
    curl -s "${auth[@]}" "$url/$1" >"$work/body" || :
    grep -Eq "\"status\":\"($2)\"" "$work/body" && return 0
    sleep 0.2
  done
  fail "issue $1: expected status $2, got $(cat "$work/body")"
}

"$syndicate" topics create --config "$work/cfg.yaml" >/dev/null
start_trigger trigger1.log "$work/cfg-first.yaml"
first=$trigger_pid

# 1. A second trigger with the same config (same port, same transactional.id) exits before it
#    touches Kafka; the first one goes on publishing.
set +e
"$syndicate" serve trigger --config "$work/cfg.yaml" >"$work/trigger-second.log" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a second trigger on a taken port exited 0"
grep -q "Address already in use" "$work/trigger-second.log" || fail "second trigger: $(cat "$work/trigger-second.log")"
expect "POST to the first trigger after the second one tried" 202 \
  "$(curl -s -o "$work/body" -w '%{http_code}' "${auth[@]}" --data-binary @"$fixture" "$url?date=2024-06-01")"
wait_status cjrb-20240601 published
kill -0 "$first" || fail "the first trigger died"
expect "/readyz of the first trigger" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/readyz")"

# 2. kill -9 right after the N-th 202: after a restart, N issues exactly once. The broker holds
#    the first trigger's produce requests back (1 KiB/s for its client.id; an issue is ~18 KB), so
#    the POSTs outrun the publisher and the kill finds accepted issues not yet on the topic.
"$kafka_sh" tool ConfigCommand --bootstrap-server "$SYN_TEST_BOOTSTRAP" --alter --entity-type clients \
  --entity-name "$slow_client" --add-config producer_byte_rate=1024 >"$work/quota.log" 2>&1 ||
  fail "setting the producer quota: $(tail -3 "$work/quota.log")"
n=30
for i in $(seq 1 $n); do
  d=$(printf '2025-%02d-%02d' $(((i - 1) / 28 + 1)) $(((i - 1) % 28 + 1)))
  code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H "Idempotency-Key: k-$i" --data-binary @"$fixture" "$url?date=$d")
  [ "$code" = 202 ] || fail "POST $i: expected 202, got $code"
done
kill -9 "$first"
wait "$first" 2>/dev/null || :
left=$(find "$work/spool" -maxdepth 2 -name '*.issue' | wc -l)
# What was on the topic at the kill (the spooled rest must come from the replay).
dump "$id.issues" "$work/issues-at-kill.keys"
at_kill=$(distinct "$work/issues-at-kill.keys" cjrb-2025)
echo "killed the trigger right after $n accepted POSTs: $at_kill published, $left still spooled"
# The fault was hit: accepted issues were not yet published when the process died.
[ "$left" -gt 0 ] || fail "no accepted issue was in flight at the kill (0 spooled): the replay went untested"
[ "$at_kill" -lt "$n" ] || fail "all $n issues were on the topic before the kill: nothing was in flight"
# The restarted trigger (same instance, so same spool) uses the unthrottled client.id.
start_trigger trigger2.log
for i in $(seq 1 $n); do
  d=$(printf '2025%02d%02d' $(((i - 1) / 28 + 1)) $(((i - 1) % 28 + 1)))
  wait_status "cjrb-$d" 'published|unchanged'
done
# A retry of an accepted POST, after the restart: the first answer again, nothing queued.
curl -s -D "$work/headers" -o /dev/null "${auth[@]}" -H "Idempotency-Key: k-1" --data-binary @"$fixture" "$url?date=2025-01-01"
grep -qi '^Idempotent-Replayed: true' "$work/headers" || fail "Idempotency-Key not honoured after the restart: $(cat "$work/headers")"
dump "$id.issues" "$work/issues.keys"
dump "$id.articles" "$work/articles.keys"
expect "manifests of the $n issues (raw records)" $n "$(raw "$work/issues.keys" cjrb-2025)"
expect "manifests of the $n issues (distinct)" $n "$(distinct "$work/issues.keys" cjrb-2025)"
expect "articles of the $n issues (raw records)" $((5 * n)) "$(raw "$work/articles.keys" cjrb-2025)"
expect "articles of the $n issues (distinct)" $((5 * n)) "$(distinct "$work/articles.keys" cjrb-2025)"
expect "issues lost across the kill -9" 0 "$((n - $(distinct "$work/issues.keys" cjrb-2025)))"
expect "issues duplicated across the kill -9 (raw - distinct manifests)" 0 \
  "$(($(raw "$work/issues.keys" cjrb-2025) - $(distinct "$work/issues.keys" cjrb-2025)))"
expect "articles lost across the kill -9" 0 "$((5 * n - $(distinct "$work/articles.keys" cjrb-2025)))"
expect "articles duplicated across the kill -9 (raw - distinct)" 0 \
  "$(($(raw "$work/articles.keys" cjrb-2025) - $(distinct "$work/articles.keys" cjrb-2025)))"
expect "issues left in the spool" 0 "$(find "$work/spool" -maxdepth 2 -name '*.issue' | wc -l)"

# 3. A writer that stalls 3.5 s mid-file (no .part, no marker): published whole.
sed 's/2024年1月/2024年4月/' "$fixture" >"$work/april.txt"
python3 - "$work/april.txt" "$work/hot/incoming/april.txt" <<'PY'
import sys, time
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as out:
    out.write(data[: len(data) // 2]); out.flush()
    time.sleep(3.5)
    out.write(data[len(data) // 2 :])
PY
# 4. A symlink to an issue outside the folder.
sed 's/2024年1月/2024年5月/' "$fixture" >"$work/outside.txt"
ln -s "$work/outside.txt" "$work/hot/incoming/link.txt"
# 5. An issue with an article over Kafka's message.max.bytes (1 MB by default).
python3 - "$fixture" "$work/hot/incoming/huge.txt.part" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read().replace("2024年1月", "2024年7月")
cut = text.rfind("\n\n")
open(sys.argv[2], "w", encoding="utf-8").write(text[:cut] + "\n" + "长" * 600000 + "。\n" + text[cut:])
PY
mv "$work/hot/incoming/huge.txt.part" "$work/hot/incoming/huge.txt"
for _ in $(seq 1 150); do
  [ -f "$work/hot/done/april.txt" ] && [ -f "$work/hot/failed/link.txt.error" ] && [ -f "$work/hot/failed/huge.txt.error" ] && break
  sleep 0.2
done
[ -f "$work/hot/done/april.txt" ] || fail "the stalled writer's file did not reach done/"
[ -f "$work/hot/failed/link.txt.error" ] || fail "the symlink was not rejected"
grep -q "symbolic link" "$work/hot/failed/link.txt.error" || fail "link.txt.error: $(cat "$work/hot/failed/link.txt.error")"
[ -f "$work/outside.txt" ] || fail "the symlink's target was moved"
[ -f "$work/hot/failed/huge.txt.error" ] || fail "the too-large issue did not reach failed/"
grep -qi "too large" "$work/hot/failed/huge.txt.error" || fail "huge.txt.error: $(cat "$work/hot/failed/huge.txt.error")"
dump "$id.articles" "$work/articles.keys"
expect "articles of the stalled writer's issue (raw records)" 5 "$(raw "$work/articles.keys" cjrb-20240430-)"
expect "articles of the issue behind the symlink" 0 "$(raw "$work/articles.keys" cjrb-20240530-)"
expect "articles of the too-large issue" 0 "$(raw "$work/articles.keys" cjrb-20240730-)"

# 6. 50 unauthenticated 4 MiB POSTs at once (no Expect: the bodies come at once): refused from
#    their headers, the bodies never buffered.
head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$work/4mib"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$trigger_pid/status"; }
before=$(rss)
curls=()
for i in $(seq 1 50); do
  curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' --data-binary @"$work/4mib" "$url" >>"$work/codes" &
  curls+=($!)
done
for c in "${curls[@]}"; do wait "$c" || fail "a curl failed"; done
after=$(rss)
expect "unauthenticated 4 MiB POSTs answered 401" 50 "$(grep -c '^401$' "$work/codes")"
echo "trigger RSS before ${before} kB, after 50 unauthenticated 4 MiB POSTs ${after} kB"
[ $((after - before)) -lt 20480 ] || fail "RSS grew by $((after - before)) kB (bound 20 MB)"
kill -0 "$trigger_pid" || fail "the trigger died"

# 7. Two `syndicate publish` runs at once on this host (default instance ids): both succeed.
mkdir "$work/pub"
for m in 8 9; do
  for d in $(seq 10 29); do sed "s/2024年1月/2024年${m}月/; s/^30$/$d/" "$fixture" >"$work/pub/$m-$d.txt"; done
done
"$syndicate" publish --config "$work/cfg.yaml" "$work"/pub/8-*.txt >"$work/publish-a.log" 2>&1 &
pa=$!
"$syndicate" publish --config "$work/cfg.yaml" "$work"/pub/9-*.txt >"$work/publish-b.log" 2>&1 &
pb=$!
rca=0; rcb=0
wait "$pa" || rca=$?
wait "$pb" || rcb=$?
expect "exit status of the first publish" 0 "$rca"
expect "exit status of the second publish" 0 "$rcb"
dump "$id.issues" "$work/issues.keys"
for m in 8 9; do
  expect "manifests of the publish of month $m (raw records)" 20 "$(raw "$work/issues.keys" "cjrb-20240$m")"
  expect "manifests of the publish of month $m (distinct)" 20 "$(distinct "$work/issues.keys" "cjrb-20240$m")"
done
# 8. Fence the running trigger: a publisher with its transactional.id (the same instance id, as a
#    second host configured with the same SYNDICATE_INSTANCE would) takes the id over. The trigger
#    learns it at its next publication: 503 from then on, /readyz not ready, exit non-zero; the
#    issue it accepted (202, spooled) is published by the next trigger, once.
instance=$(sed -n 's|.*spool '"$work"'/spool/\([^ ,]*\).*|\1|p' "$work/trigger2.log" | head -1)
[ -n "$instance" ] || fail "no spool directory (instance id) in trigger2.log"
sed 's/2024年1月/2024年10月/' "$fixture" >"$work/fencer.txt"
SYNDICATE_LOCK_DIR=$work/locks-other-host "$syndicate" publish --config "$work/cfg.yaml" --instance "$instance" \
  "$work/fencer.txt" >"$work/fencer.log" 2>&1 || fail "the fencing publish: $(tail -3 "$work/fencer.log")"
expect "POST to the fenced trigger (accepted: spooled before any publication)" 202 \
  "$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" --data-binary @"$fixture" "$url?date=2024-11-11")"
# Bounded wait until the fenced trigger says it is not ready (it does so for 3 s, then exits).
ready_code=''
for _ in $(seq 1 200); do
  ready_code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/readyz" || :)
  [ "$ready_code" = 503 ] && break
  kill -0 "$trigger_pid" 2>/dev/null || break
  sleep 0.05
done
expect "/readyz of the fenced trigger" 503 "$ready_code"
expect "POST to the fenced trigger" 503 \
  "$(curl -s -o "$work/body" -w '%{http_code}' "${auth[@]}" --data-binary @"$fixture" "$url?date=2024-11-12")"
grep -qi "fenced\|fatal" "$work/body" || fail "the 503 does not say why: $(cat "$work/body")"
rc=0
wait "$trigger_pid" || rc=$?
echo "fenced trigger exit status: $rc"
[ "$rc" -ne 0 ] || fail "the fenced trigger exited 0"
grep -qi "fenced" "$work/trigger2.log" || fail "trigger2.log does not say it was fenced"
start_trigger trigger3.log
wait_status cjrb-20241111 'published|unchanged'
dump "$id.issues" "$work/issues.keys"
expect "manifests of the issue accepted by the fenced trigger (raw records)" 1 "$(raw "$work/issues.keys" cjrb-20241111)"
expect "manifests of the issue the fenced trigger refused (503)" 0 "$(raw "$work/issues.keys" cjrb-20241112)"
expect "manifests of the fencing publish (raw records)" 1 "$(raw "$work/issues.keys" cjrb-20241030)"
echo "trigger_hardening: ok"
