#!/usr/bin/env bash
# Lints the .proto contract and checks it for breaking changes against the previous commit.
# `buf breaking` compares against HEAD~1's proto/ (the previous commit on main), so renumbering,
# removing or retyping a field fails CI. Usage: scripts/check-proto.sh [AGAINST_REF]
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
[ -x "$buf" ] || { echo "check-proto: $buf missing; run scripts/install-deps.sh" >&2; exit 1; }

"$buf" lint proto
echo "buf lint: ok"

against=${1:-HEAD~1}
if ! git rev-parse --verify -q "$against^{commit}" >/dev/null; then
  echo "buf breaking: no commit $against to compare against (first commit or shallow clone); skipped"
  exit 0
fi
if ! git cat-file -e "$against:proto/buf.yaml" 2>/dev/null; then
  echo "buf breaking: $against has no proto/buf.yaml; nothing to compare against"
  exit 0
fi
prev=$(mktemp -d)
trap 'rm -rf "$prev"' EXIT
git archive "$against" proto | tar -x -C "$prev"
"$buf" breaking proto --against "$prev/proto"
echo "buf breaking against $against ($(git rev-parse --short "$against")): ok"
