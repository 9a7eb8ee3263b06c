#!/usr/bin/env bash
# The deployment tests, in containers (docs/DEPLOYMENT.md, "Tested here"): installs podman and
# the tools, builds the images (deploy/tests/images.sh), runs the compose stack with the smoke
# test (deploy/tests/compose-smoke.sh), then the Kubernetes manifests under `podman kube play` with the
# same smoke test (deploy/tests/kube-smoke.sh). Each leaves nothing running. Separate
# from scripts/test.sh (which runs the cheap deployment checks in its unit tests): this one takes
# several minutes and needs root. Exits non-zero if anything failed.
#
# Environment: SYN_SKIP_INSTALL=1 (skip the installs), SYN_DEPLOY_STAGES (default
# "images compose kube"), SYN_SMOKE_TRIGGER_PORT / SYN_SMOKE_FEEDS_PORT (21180 / 21181, host
# ports the compose stack publishes), CONTAINERS_CONF (default deploy/tests/containers.conf).
set -euo pipefail
cd "$(dirname "$0")/.."
stages=${SYN_DEPLOY_STAGES:-images compose kube}
failures=()
stage() { printf '\n=== %s [%s]\n' "$*" "$(date +%T)"; }
run_stage() {
  local name=$1 t0=$SECONDS; shift
  stage "$name"
  if "$@"; then echo "=== $name: passed in $((SECONDS - t0)) s"; else failures+=("$name"); echo "!!! $name failed"; fi
}

if [ "${SYN_SKIP_INSTALL:-0}" != 1 ]; then
  stage "install podman, runc, debootstrap, podman-compose"
  missing=()
  for p in podman runc debootstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" netavark aardvark-dns >/dev/null
  fi
  if ! command -v podman-compose >/dev/null; then
    pip_flags=()
    python3 -m pip install --help | grep -q -- --break-system-packages && pip_flags=(--break-system-packages)
    python3 -m pip install -q --disable-pip-version-check "${pip_flags[@]}" podman-compose==1.6.0
  fi
  bash scripts/install-deps.sh >/dev/null
fi

for s in $stages; do
  case $s in
    images) run_stage "images (deploy/tests/images.sh)" bash deploy/tests/images.sh ;;
    compose) run_stage "compose stack smoke test (deploy/tests/compose-smoke.sh)" bash deploy/tests/compose-smoke.sh ;;
    kube) run_stage "podman kube play smoke test (deploy/tests/kube-smoke.sh)" bash deploy/tests/kube-smoke.sh ;;
    *) echo "test-deploy.sh: unknown stage '$s' (images compose kube)" >&2; exit 2 ;;
  esac
  # Later stages need the images.
  if [ "$s" = images ] && ((${#failures[@]})); then break; fi
done

stage "summary"
if ((${#failures[@]})); then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "all deployment stages passed"
