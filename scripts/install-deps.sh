#!/usr/bin/env bash
# Installs everything syndicate needs on Debian 12, idempotently: Debian packages, the npm
# tooling (buf, kafkajs, protobufjs) and the Kafka broker jars from Maven Central.
# Safe to run again: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

# Why each package is here: README.md, "Dependencies".
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  librdkafka-dev libprotobuf-dev protobuf-compiler libboost1.74-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libsqlite3-dev libpq-dev libssl-dev libexpat1-dev
  libcurl4-openssl-dev libopencc-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libjpeg62-turbo-dev libpng-dev
  libvips-dev libexiv2-dev
  kcat clang libclang-rt-14-dev clang-format clang-tidy postgresql chromium
  time sqlite3 curl procps python3 python3-yaml python3-pip systemd
  openjdk-17-jdk-headless maven nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  # nodejs/npm/java/maven may come from outside Debian on some machines: accept the binary.
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
    openjdk-17-jdk-headless) command -v javac >/dev/null && continue ;;
    maven) command -v mvn >/dev/null && continue ;;
    python3) command -v python3 >/dev/null && continue ;;
    python3-yaml) python3 -c 'import yaml' 2>/dev/null && continue ;;  # deploy/check.py
    python3-pip) python3 -m pip --version >/dev/null 2>&1 && continue ;;
    systemd) command -v systemd-analyze >/dev/null && continue ;;       # deploy/check.py
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: Debian packages present"
fi

# npm tooling, pinned by package-lock.json.
if [ ! -x node_modules/.bin/buf ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "install-deps: npm packages present"
fi

# Kafka broker + tools jars (cached in deploy/kafka/.cache, fetched once).
bash deploy/kafka/kafka.sh fetch

# kubernetes-validate (PyPI; the Kubernetes schemas ship in the package, so it works offline):
# deploy/tests/k8s_validate.sh, a unit test.
if ! command -v kubernetes-validate >/dev/null; then
  echo "install-deps: pip install kubernetes-validate"
  pip_flags=()
  python3 -m pip install --help | grep -q -- --break-system-packages && pip_flags=(--break-system-packages)
  python3 -m pip install -q --disable-pip-version-check "${pip_flags[@]}" kubernetes-validate==1.37.0
fi

# moto (PyPI) in server mode: the S3-protocol server the blob store's S3 backend is tested
# against (tests/s3/s3.sh, with its IAM signature checks on).
if ! command -v moto_server >/dev/null || ! python3 -c 'import moto, boto3' 2>/dev/null; then
  echo "install-deps: pip install moto[server]"
  pip_flags=()
  python3 -m pip install --help | grep -q -- --break-system-packages && pip_flags=(--break-system-packages)
  python3 -m pip install -q --disable-pip-version-check "${pip_flags[@]}" "moto[server]==5.0.28"
fi
