#!/usr/bin/env bash
# deploy/tests/compose-smoke.sh -- runs deploy/docker-compose.yml with podman-compose and carries
# the fixture issue through every role, in containers (images from deploy/tests/images.sh):
#   1. `up -d`: the 3 KRaft brokers, PostgreSQL, `topics create` (must exit 0), one container per
#      role, plus the local WeChat API (deploy/tests/compose.smoke.yml); every health check must
#      pass (run with `podman healthcheck run`: podman 4.3 has no timer for them without systemd);
#   2. the fixture POSTed to the trigger's published port, then counted: article revisions in
#      PostgreSQL (raw, distinct, per language), the drafts the feed made on the WeChat API (per
#      account, raw and distinct), the zh-Hant records on news.articles.translated.v1;
#   3. one broker and the archive killed (SIGKILL), a second issue POSTed meanwhile, both started
#      again, every count exact (deploy/tests/smoke_lib.sh);
#   4. `down -v`: no container, volume or network of the project is left.
# The compose file is used as it is, from a work directory that holds a copy of it, the smoke
# config (deploy/tests/smoke_config.py: the production config with the accounts pointed at the
# local WeChat API) and generated secrets. Exits non-zero on the first failed check.
# Environment: SYN_SMOKE_TRIGGER_PORT (21180), SYN_SMOKE_FEEDS_PORT (21181), SYN_SMOKE_KEEP=1
# (leave the stack up and the work directory in place).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/deploy/tests
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
source "$here/smoke_lib.sh"
project=syndicate
work=$(mktemp -d /tmp/syn-compose.XXXXXX)
export SYNDICATE_TRIGGER_PORT=${SYN_SMOKE_TRIGGER_PORT:-21180}
export SYNDICATE_FEEDS_PORT=${SYN_SMOKE_FEEDS_PORT:-21181}
compose() { (cd "$work" && podman-compose -p "$project" -f docker-compose.yml -f compose.smoke.yml "$@"); }
ctr() { # SERVICE -> its container's name
  podman ps -a --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}
# Volumes the project's containers mount, named or anonymous (the images' VOLUMEs): recorded
# before `down`, which removes the named ones only.
anon_volumes=''
record_volumes() {
  anon_volumes=$(podman ps -a -q --filter "label=com.docker.compose.project=$project" |
    xargs -r podman inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' | tr ' ' '\n' | sort -u)
}
remove_anon_volumes() {
  local v
  for v in $anon_volumes; do podman volume exists "$v" && podman volume rm "$v" >/dev/null; done
  return 0
}
leftovers() {
  local v
  { podman ps -a -q --filter "label=com.docker.compose.project=$project"
    podman volume ls -q --filter "label=com.docker.compose.project=$project"
    podman network ls -q --filter "label=com.docker.compose.project=$project"
    for v in $anon_volumes; do podman volume exists "$v" && echo "$v"; done; } | wc -l
}
cleanup() {
  local rc=$?
  if [ $rc != 0 ]; then
    echo "--- container states and the last log lines of each"
    podman ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}} {{.Status}}' || true
    for c in $(podman ps -a -q --filter "label=com.docker.compose.project=$project"); do
      echo "--- $(podman inspect -f '{{.Name}}: status {{.State.Status}}, exit code {{.State.ExitCode}}, OOM killed {{.State.OOMKilled}}, restarts {{.RestartCount}} {{.State.Error}}' "$c")"
      podman logs --tail 15 "$c" 2>&1 || true
    done
  fi
  if [ "${SYN_SMOKE_KEEP:-0}" = 1 ]; then echo "kept: $work (compose project $project)"; return; fi
  record_volumes
  compose down -v -t 10 >"$work/down.log" 2>&1 || true
  remove_anon_volumes
  rm -rf "$work"
}
trap cleanup EXIT
t0=$SECONDS

[ "$(leftovers)" = 0 ] || fail "a compose project '$project' is already there: podman-compose -p $project down -v first"
compose_workdir "$root" "$work"

up() { # SERVICE...
  echo "--- up -d $*"
  compose up -d --no-build "$@" >>"$work/up.log" 2>&1 || { tail -n 30 "$work/up.log" >&2; fail "podman-compose up -d $*"; }
}
healthy() { # SERVICE...: every one's health check passes now
  local s
  for s in "$@"; do podman healthcheck run "$(ctr "$s")" >/dev/null 2>&1 || return 1; done
}
# The order of the compose file's depends_on: brokers healthy, then topics (exit 0), then roles.
up kafka-1 kafka-2 kafka-3 postgres wechat
wait_until "the brokers, PostgreSQL and the WeChat API healthy" 300 healthy kafka-1 kafka-2 kafka-3 postgres wechat
up topics
topics_done() { [ "$(podman inspect -f '{{.State.Status}}' "$(ctr topics)")" = exited ]; }
wait_until "topics create to finish" 240 topics_done
expect "topics create: exit code" 0 "$(podman inspect -f '{{.State.ExitCode}}' "$(ctr topics)")"
up trigger feed archive translation translator
up feeds
services="kafka-1 kafka-2 kafka-3 postgres wechat trigger feed feeds archive translation translator"
all_healthy() { healthy $services; }
wait_until "every health check to pass" 300 all_healthy
for s in $services; do
  expect "$s: running, health check" "true 0" \
    "$(podman inspect -f '{{.State.Running}}' "$(ctr "$s")") $(podman healthcheck run "$(ctr "$s")" >/dev/null 2>&1; echo $?)"
done
echo "stack up and healthy after $((SECONDS - t0)) s"

TRIGGER_URL=http://127.0.0.1:$SYNDICATE_TRIGGER_PORT
PG_CTR=$(ctr postgres) WECHAT_CTR=$(ctr wechat) KAFKA_CTR=$(ctr kafka-1) KAFKA_BOOTSTRAP=kafka-1:9092
sigkill() { # SERVICE: SIGKILL its container, require that it died of it (exit status 137)
  podman kill "$(ctr "$1")" >/dev/null
  expect "$1 killed (exit status after SIGKILL)" 137 "$(podman wait "$(ctr "$1")")"
}
kill_kafka() { sigkill kafka-2; }
kill_archive() { sigkill archive; }
start_kafka() { podman start "$(ctr kafka-2)" >/dev/null; }
start_archive() { podman start "$(ctr archive)" >/dev/null; }
down_state() { echo "$(podman inspect -f '{{.State.Running}}' "$(ctr kafka-2)") $(podman inspect -f '{{.State.Running}}' "$(ctr archive)")"; }
DOWN_STATE=down_state
KILL_KAFKA=kill_kafka KILL_ARCHIVE=kill_archive START_KAFKA=start_kafka START_ARCHIVE=start_archive
smoke_flow "$root/tests/data/issues/changji-daily-2024-01-30-p1.txt" "$work"
wait_until "kafka-2 and the archive healthy again" 300 all_healthy
expect "feeds: the zh-Hans RSS served on the published port (HTTP status)" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SYNDICATE_FEEDS_PORT/feeds/cjrb")"
echo "smoke flow done after $((SECONDS - t0)) s"

if [ "${SYN_SMOKE_KEEP:-0}" != 1 ]; then
  record_volumes
  compose down -v -t 10 >"$work/down.log" 2>&1 || { tail -n 20 "$work/down.log" >&2; fail "podman-compose down"; }
  expect "containers, named volumes and networks of the project left after down -v" 0 \
    "$(anon_volumes='' leftovers)"
  echo "anonymous volumes (the images' VOLUMEs) left by podman-compose down -v, removed: $(leftovers)"
  remove_anon_volumes
  expect "anything of the project left" 0 "$(leftovers)"
  echo "compose smoke test passed in $((SECONDS - t0)) s"
fi
