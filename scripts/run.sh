#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, then publish the
# fixture issue (its text and its photo) end to end, print where each article went, and serve the
# feed pages it links to until Ctrl-C (`syndicate run --exit-when-done` exits instead).
#
# Without a configured broker it runs every role in one process on librdkafka's embedded mock
# cluster (`syndicate run`). With SYNDICATE_CONFIG pointing at a config whose
# kafka.bootstrap_servers is a real cluster, it runs against that cluster.
# Usage: scripts/run.sh [ISSUE_FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SYN_SKIP_INSTALL:-0}" = 1 ] || bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" >/dev/null
echo "built build/app/syndicate"
if [ $# -eq 0 ]; then
  set -- tests/data/issues/changji-daily-2024-01-30-p1.txt
fi
exec build/app/syndicate run "$@"
