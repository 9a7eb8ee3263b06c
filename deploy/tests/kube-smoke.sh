#!/usr/bin/env bash
# deploy/tests/kube-smoke.sh -- runs the Kubernetes manifests of deploy/k8s/ under
# `podman kube play` (one host, no cluster) and carries the fixture issue through every role:
#   - Kafka (3 KRaft brokers), PostgreSQL and the local WeChat API come from the compose file
#     (deploy/k8s/ leaves them to an operator or a managed service); the pods join its network;
#   - the ConfigMap is deploy/k8s/configmap.yaml with deploy/tests/smoke_config.py applied
#     (brokers kafka-1..3, the accounts pointed at the local WeChat API, a cover image);
#   - the Secret `syndicate-secrets` is made with `podman secret create` from a Secret manifest
#     with the keys of deploy/k8s/secret.example.yaml (podman reads secretKeyRef from there);
#   - topics-job.yaml: podman 4.3 plays no Job, so its pod template runs as a Pod (restartPolicy
#     Never) and must exit 0;
#   - every Deployment file as it is (podman plays each replica as a pod, starts liveness probes
#     as health checks, and ignores Services, PodDisruptionBudgets and the Namespace).
#     The copies have replicas: 1 and no ports: podman 4.3 publishes each containerPort on the
#     host, so a second trigger replica fails on :8080 (docs/DEPLOYMENT.md);
#   - every liveness probe must pass, then the smoke flow of deploy/tests/smoke_lib.sh (one
#     broker and the archive pod's container killed meanwhile), then `podman kube down` and
#     `podman-compose down -v` leave nothing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/deploy/tests
k8s=$root/deploy/k8s
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
source "$here/smoke_lib.sh"
project=syndicate
work=$(mktemp -d /tmp/syn-kube.XXXXXX)
export SYNDICATE_TRIGGER_PORT=${SYN_SMOKE_TRIGGER_PORT:-21180} SYNDICATE_FEEDS_PORT=${SYN_SMOKE_FEEDS_PORT:-21181}
compose() { (cd "$work" && podman-compose -p "$project" -f docker-compose.yml -f compose.smoke.yml "$@"); }
ctr() { podman ps -a --filter "label=com.docker.compose.project=$project" \
          --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1; }
pod_ctr() { podman ps -a --filter "pod=$1" --format '{{.Names}}' | grep -- "-$2\$" | head -1; }
plays=(topics trigger feed archive translation translator)
leftovers() {
  { podman ps -a -q --filter "label=com.docker.compose.project=$project"
    podman volume ls -q --filter "label=com.docker.compose.project=$project"
    podman pod ps -q --filter name=syndicate-
    podman volume ls -q --filter name=syndicate-feed-state
    podman secret ls --format '{{.Name}}' | grep -x syndicate-secrets; } | wc -l
}
cleanup() {
  local rc=$? f
  if [ $rc != 0 ]; then
    podman pod ps || true
    for c in $(podman ps -a --filter name=syndicate- --format '{{.Names}}'); do
      echo "--- $c ($(podman inspect -f 'status {{.State.Status}}, exit code {{.State.ExitCode}}, OOM killed {{.State.OOMKilled}}, restarts {{.RestartCount}} {{.State.Error}}' "$c" 2>&1))"
      podman logs --tail 15 "$c" 2>&1 || true
    done
  fi
  if [ "${SYN_SMOKE_KEEP:-0}" = 1 ]; then echo "kept: $work"; return; fi
  # Best effort, and never the script's status (under set -e a failing step here turned a passed
  # run into exit 1): the run's own checks above counted what was left.
  for f in "${plays[@]}"; do
    if [ -f "$work/$f.yaml" ]; then podman kube down "$work/$f.yaml" >/dev/null 2>&1 || true; fi
  done
  podman volume rm -f syndicate-feed-state >/dev/null 2>&1 || true
  podman secret rm syndicate-secrets >/dev/null 2>&1 || true
  compose down -v -t 10 >/dev/null 2>&1 || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
t0=$SECONDS
[ "$(leftovers)" = 0 ] || fail "syndicate containers, pods, volumes or secrets are already there"

# Kafka, PostgreSQL and the WeChat API from the compose file (same secrets as compose-smoke.sh).
compose_workdir "$root" "$work"
echo "--- infrastructure: podman-compose up -d kafka-1 kafka-2 kafka-3 postgres wechat"
compose up -d --no-build kafka-1 kafka-2 kafka-3 postgres wechat >"$work/up.log" 2>&1 ||
  { tail -n 30 "$work/up.log" >&2; fail "podman-compose up"; }
infra_healthy() {
  local s
  for s in kafka-1 kafka-2 kafka-3 postgres wechat; do podman healthcheck run "$(ctr "$s")" >/dev/null 2>&1 || return 1; done
}
wait_until "Kafka, PostgreSQL and the WeChat API healthy" 300 infra_healthy
network=$(podman inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$(ctr kafka-1)")

# The ConfigMap, the Secret, the topics Job as a Pod.
python3 - "$k8s" "$work" "$here/smoke_config.py" "$TOKEN" "$PG_PASSWORD" <<'EOF'
import base64, json, subprocess, sys, yaml
k8s, work, smoke_config, token, pg_password = sys.argv[1:]
cm = yaml.safe_load(open(f"{k8s}/configmap.yaml"))
open(f"{work}/cm-in.yaml", "w").write(cm["data"]["syndication.yaml"])
subprocess.run([sys.executable, smoke_config, f"{work}/cm-in.yaml", f"{work}/cm-out.yaml",
                "--bootstrap", "kafka-1:9092,kafka-2:9092,kafka-3:9092"], check=True)
cm["data"]["syndication.yaml"] = open(f"{work}/cm-out.yaml").read()
# The same real JPEG as the compose smoke (the WeChat test server decodes every cover).
cm["binaryData"] = {"cover.jpg": base64.b64encode(open(f"{work}/cover.jpg", "rb").read()).decode()}
yaml.safe_dump(cm, open(f"{work}/configmap.yaml", "w"), allow_unicode=True, sort_keys=False)
secret = yaml.safe_load(open(f"{k8s}/secret.example.yaml"))
values = {"trigger-token": token,
          "archive-pg-conninfo": f"host=postgres port=5432 dbname=syndicate user=syndicate password={pg_password}",
          "feed-pg-conninfo": f"host=postgres port=5432 dbname=syndicate user=syndicate password={pg_password}",
          "wechat-cjrb-secret": "smoke-hans-secret", "wechat-cjrb-hant-secret": "smoke-hant-secret"}
keys = set(secret.get("stringData") or {}) | set(secret.get("data") or {})
missing = keys - set(values)
if missing:
    sys.exit(f"secret.example.yaml has keys the smoke test does not fill: {sorted(missing)}")
# podman 4.3 reads secretKeyRef from a podman secret holding a JSON object: key -> base64 value.
json.dump({k: base64.b64encode(values[k].encode()).decode() for k in sorted(keys)}, open(f"{work}/secret.json", "w"))
job = yaml.safe_load(open(f"{k8s}/topics-job.yaml"))
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": job["metadata"]["name"], "labels": {"app": "syndicate-topics"}},
       "spec": dict(job["spec"]["template"]["spec"], restartPolicy="Never")}
yaml.safe_dump(pod, open(f"{work}/topics.yaml", "w"), sort_keys=False)
EOF
# podman 4.3 plays every replica as a pod and publishes each containerPort on the host (two
# trigger pods collide on :8080): the copies run 1 replica without ports (probes use numbers).
for f in trigger feed archive translation translator; do
  python3 -c 'import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
for d in docs:
    if d and d.get("kind") == "Deployment":
        d["spec"]["replicas"] = 1
        for c in d["spec"]["template"]["spec"]["containers"]: c.pop("ports", None)
yaml.safe_dump_all(docs, open(sys.argv[2], "w"), sort_keys=False)' "$k8s/$f.yaml" "$work/$f.yaml"
done
podman secret create syndicate-secrets "$work/secret.json" >/dev/null

play() { # NAME: podman kube play of work/NAME.yaml with the ConfigMap, on the compose network
  podman kube play --network "$network" --configmap "$work/configmap.yaml" "$work/$1.yaml" >"$work/play-$1.log" 2>&1 ||
    { cat "$work/play-$1.log" >&2; fail "podman kube play $1.yaml"; }
}
echo "--- kube play topics (the Job's pod template)"
play topics
topics_done() { [ "$(podman inspect -f '{{.State.Status}}' "$(pod_ctr syndicate-topics topics)")" = exited ]; }
wait_until "the topics pod to finish" 240 topics_done
expect "topics pod: exit code" 0 "$(podman inspect -f '{{.State.ExitCode}}' "$(pod_ctr syndicate-topics topics)")"
for f in trigger feed archive translation translator; do echo "--- kube play $f.yaml"; play "$f"; done
grep -h -i "ignor\|not supported\|unsupported" "$work"/play-*.log | sort -u | sed 's/^/podman kube play says: /' || true

role_ctrs() { podman ps -a --format '{{.Names}}' | grep -E '^syndicate-(trigger|feed|feeds|archive|translation|translator)-pod-' || true; }
all_live() {
  local c
  for c in $(role_ctrs); do podman healthcheck run "$c" >/dev/null 2>&1 || return 1; done
}
expect "role containers (trigger, feed, feeds, archive, translation, translator)" 6 "$(role_ctrs | wc -l)"
wait_until "every liveness probe to pass" 300 all_live
echo "pods up and live after $((SECONDS - t0)) s"

trigger_ip=$(podman inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$(role_ctrs | grep trigger)")
TRIGGER_URL=http://$trigger_ip:8080
PG_CTR=$(ctr postgres) WECHAT_CTR=$(ctr wechat) KAFKA_CTR=$(ctr kafka-1) KAFKA_BOOTSTRAP=kafka-1:9092
archive_ctr=$(role_ctrs | grep archive)
kill_kafka() { podman kill "$(ctr kafka-2)" >/dev/null; }
kill_archive() { podman kill "$archive_ctr" >/dev/null; }
start_kafka() { podman start "$(ctr kafka-2)" >/dev/null; }
start_archive() { [ "$(podman inspect -f '{{.State.Running}}' "$archive_ctr")" = true ] || podman start "$archive_ctr" >/dev/null; }
KILL_KAFKA=kill_kafka KILL_ARCHIVE=kill_archive START_KAFKA=start_kafka START_ARCHIVE=start_archive
smoke_flow "$root/tests/data/issues/changji-daily-2024-01-30-p1.txt" "$work"
echo "smoke flow done after $((SECONDS - t0)) s"

if [ "${SYN_SMOKE_KEEP:-0}" != 1 ]; then
  # Volumes of every container (the images' anonymous VOLUMEs too), removed after the teardown.
  vols=$(podman ps -a -q | xargs -r podman inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' | tr ' ' '\n' | sort -u)
  for f in "${plays[@]}"; do podman kube down "$work/$f.yaml" >/dev/null; done
  podman volume rm -f syndicate-feed-state >/dev/null 2>&1 || true
  podman secret rm syndicate-secrets >/dev/null
  compose down -v -t 10 >/dev/null 2>&1
  expect "containers, pods, named volumes, secrets left after kube down and compose down -v" 0 "$(leftovers)"
  n=0
  for v in $vols; do podman volume exists "$v" && { n=$((n + 1)); podman volume rm "$v" >/dev/null; }; done
  echo "anonymous volumes left by the teardown, removed: $n"
  left=0
  for v in $vols; do podman volume exists "$v" && left=$((left + 1)); done
  expect "volumes of the run left" 0 "$left"
  echo "kube smoke test passed in $((SECONDS - t0)) s"
fi
