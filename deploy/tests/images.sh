#!/usr/bin/env bash
# deploy/tests/images.sh [--rebuild] [base|syndicate|wechat|postgres|kafka]... -- builds, with podman, every image that
# deploy/docker-compose.yml and deploy/k8s/ name, on a machine without a registry:
#   docker.io/library/debian:12, debian:12-slim  debootstrap (minbase) from the Debian mirror,
#                                 imported under the public names so the unchanged
#                                 `FROM debian:12` of deploy/docker/Dockerfile resolves locally
#   localhost/syndicate:VERSION   deploy/docker/Dockerfile, as a user builds it
#   docker.io/library/postgres:15 deploy/tests/images/postgres: Debian's postgresql-15 with the
#                                 official image's variables (POSTGRES_USER, _DB, _PASSWORD_FILE)
#   docker.io/apache/kafka:4.4.0  deploy/tests/images/kafka: the Maven Central jars that
#                                 deploy/kafka/kafka.sh fetches, with the official image's
#                                 KAFKA_* variables and /opt/kafka/bin tools
#   localhost/syndicate-wechat-testserver:VERSION  the local WeChat API (tests/wechat) for the
#                                 smoke tests, built from the Dockerfile's build stage
# An image that exists is kept (--rebuild builds again; podman's layer cache still applies).
# Names given: only those images (default: all, in the order above).
# Prints one line per image with its build time and size. Needs root, podman, runc, debootstrap.
# Environment: CONTAINERS_CONF (default deploy/tests/containers.conf: runc, cgroupfs, no ulimits),
#              SYN_IMAGES_CCACHE (a ccache directory for the build stage; default: ccache's own,
#              "" for none), SYN_DEBIAN_MIRROR (default: the first URIs of /etc/apt/sources.list.d/debian.sources).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/deploy/tests
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
rebuild=0
[ "${1:-}" = --rebuild ] && { rebuild=1; shift; }
wanted=${*:-base syndicate wechat postgres kafka}
want() { [[ " $wanted " == *" $1 "* ]]; }
version=$(sed -n 's/^project(syndicate VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -n "$version" ] || { echo "images.sh: no version in CMakeLists.txt" >&2; exit 1; }
work=$(mktemp -d /tmp/syn-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

have() { [ $rebuild = 0 ] && podman image exists "$1"; }
size_of() { podman image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }
report() { printf 'images.sh: %-48s %5ss  %s\n' "$1" "$2" "$(size_of "$1")"; }
build() { # TAG CONTEXT [podman build args...]
  local tag=$1 ctx=$2 t0=$SECONDS; shift 2
  if have "$tag"; then printf 'images.sh: %-48s kept   %s\n' "$tag" "$(size_of "$tag")"; return; fi
  podman build --isolation=chroot --layers -t "$tag" "$@" "$ctx" >"$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; echo "images.sh: building $tag failed" >&2; exit 1; }
  report "$tag" $((SECONDS - t0))
}

mirror=${SYN_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}

# Debian 12 base images. debian:12-slim is the same minbase tree without documentation, man
# pages and translations, and the dpkg excludes that keep them out (as Debian's slim images do).
base_images() {
  have docker.io/library/debian:12 && have docker.io/library/debian:12-slim && {
    printf 'images.sh: %-48s kept\n' "debian:12, debian:12-slim"; return; }
  local t0=$SECONDS rootfs=$work/rootfs
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; echo "images.sh: debootstrap failed" >&2; exit 1; }
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
  tar -C "$rootfs" --numeric-owner -cf - . |
    podman import --change 'CMD ["bash"]' - docker.io/library/debian:12 >/dev/null 2>&1
  report docker.io/library/debian:12 $((SECONDS - t0))
  t0=$SECONDS
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  # Files only: packages' maintainer scripts expect the directories (openjdk: man1).
  find "$rootfs"/usr/share/{man,groff,info,locale,lintian,linda} -not -type d -delete 2>/dev/null || true
  tar -C "$rootfs" --numeric-owner -cf - . |
    podman import --change 'CMD ["bash"]' - docker.io/library/debian:12-slim >/dev/null 2>&1
  report docker.io/library/debian:12-slim $((SECONDS - t0))
}

# The host's compiler cache, mounted into the build stage (the Dockerfile's optional CCACHE_DIR):
# the release objects the host already compiled are not compiled again.
ccache_dir=${SYN_IMAGES_CCACHE-$(ccache -k cache_dir 2>/dev/null || true)}
cache_args=()
[ -n "$ccache_dir" ] && [ -d "$ccache_dir" ] && cache_args=(--build-arg CCACHE_DIR=/ccache --build-arg "LANG=${LANG:-}" -v "$ccache_dir:/ccache")

want base && base_images
want syndicate && build "localhost/syndicate:$version" "$root" -f "$root/deploy/docker/Dockerfile" "${cache_args[@]}"
if want wechat; then
  # The build stage again (from podman's layer cache) for the WeChat test server.
  build "localhost/syndicate-build:$version" "$root" -f "$root/deploy/docker/Dockerfile" --target build "${cache_args[@]}"
  build "localhost/syndicate-wechat-testserver:$version" "$here/images/wechat" --build-arg "VERSION=$version" "${cache_args[@]}"
fi
want postgres && build docker.io/library/postgres:15 "$here/images/postgres"
if want kafka; then
  bash "$root/deploy/kafka/kafka.sh" fetch
  kctx=$work/kafka
  mkdir -p "$kctx"
  cp -r "$here/images/kafka/." "$kctx/"
  cp -r "$root/deploy/kafka/.cache/libs" "$kctx/libs"
  rm -f "$kctx/libs/.pom-sha256"
  cp "$root/deploy/kafka/conf/log4j2.properties" "$root/deploy/kafka/conf/tools-log4j2.properties" "$kctx/"
  build docker.io/apache/kafka:4.4.0 "$kctx"
fi
