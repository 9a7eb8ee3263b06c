#!/usr/bin/env bash
# deploy/tests/k8s_validate.sh -- validates every manifest of deploy/k8s/ against the Kubernetes
# OpenAPI schemas (kubernetes-validate from PyPI: the schemas ship in the package, no cluster or
# network needed; --strict rejects unknown fields), then checks that the validator does reject a
# Deployment with a misspelt field. kustomization.yaml is no Kubernetes resource (no schema).
set -euo pipefail
k8s=$(cd "$(dirname "${BASH_SOURCE[0]}")/../k8s" && pwd)
command -v kubernetes-validate >/dev/null ||
  { echo "k8s_validate: kubernetes-validate not installed (scripts/install-deps.sh)" >&2; exit 1; }
files=()
for f in "$k8s"/*.yaml; do [ "${f##*/}" = kustomization.yaml ] || files+=("$f"); done
kubernetes-validate --strict --quiet "${files[@]}" || { echo "k8s_validate: FAILED" >&2; exit 1; }
echo "k8s_validate: ${#files[@]} manifests valid"
bad=$(mktemp --suffix=.yaml)
trap 'rm -f "$bad"' EXIT
sed 's/^  replicas: /  replica: /' "$k8s/trigger.yaml" >"$bad"
grep -q '^  replica: ' "$bad" || { echo "k8s_validate: the control case found no replicas: in trigger.yaml" >&2; exit 1; }
if out=$(kubernetes-validate --strict --quiet "$bad" 2>&1); then
  echo "k8s_validate: a Deployment with 'replica:' passed validation: $out" >&2; exit 1
fi
echo "k8s_validate: a misspelt field is rejected ($(echo "$out" | grep -o "replica[^ ]*" | head -1))"
