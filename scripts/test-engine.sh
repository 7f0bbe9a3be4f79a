#!/usr/bin/env bash
# Brings up the Docker engine that berth's tests, demo and benchmarks run against, and builds the
# fixture images they use. Idempotent: safe to run before every test run.
#
# - Uses the engine that already answers (DOCKER_HOST, else the default socket) when there is one.
# - Installs what is missing, as root on Debian (docker.io, busybox-static, and for registry tests
#   docker-registry + apache2-utils); starts dockerd in the background when no engine answers.
# - Builds the fixture images (FROM scratch + a static busybox; no registry is needed).
# - Brings up four more engines in network namespaces for the several-hosts and Swarm tests
#   (scripts/test-engines-extra.sh); `--down` stops those four (never the main engine).
# It never removes anything it did not create.
set -euo pipefail

if [ "${1:-}" = "--down" ]; then
  exec bash "$(dirname "$0")/test-engines-extra.sh" --down
fi

log() { printf 'test-engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

STATE_DIR=${BERTH_ENGINE_STATE_DIR:-/var/lib/berth-test-engine}
DOCKERD_LOG=${BERTH_DOCKERD_LOG:-/var/log/berth-dockerd.log}
WAIT_SECONDS=${BERTH_ENGINE_WAIT_SECONDS:-60}

docker_cli() {
  # Prefer Debian's client (matches the engine); any docker client negotiates the API version.
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

engine_answers() {
  command -v docker >/dev/null 2>&1 || [ -x /usr/bin/docker ] || return 1
  docker_cli info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

apt_install_missing() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    # Installed, not merely known: a removed package keeps its config files and a dpkg entry.
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}) and not root: install them, or start an engine and set DOCKER_HOST"
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get on this machine"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_dockerd() {
  command -v dockerd >/dev/null 2>&1 || die "no engine answers and dockerd is not installed (Debian: apt-get install docker.io, as root)"
  mkdir -p "$STATE_DIR" "$(dirname "$DOCKERD_LOG")"
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid + nohup: the engine outlives this script and the test run that called it.
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  echo $! >"$STATE_DIR/dockerd.pid"
  local waited=0
  until engine_answers; do
    sleep 0.5
    waited=$((waited + 1))
    if [ "$waited" -ge $((WAIT_SECONDS * 2)) ]; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within ${WAIT_SECONDS}s"
    fi
  done
}

ensure_engine() {
  if engine_answers; then
    log "using the engine that answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}"
    return 0
  fi
  if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
    die "DOCKER_HOST=${DOCKER_HOST} does not answer; unset it to let this script start a local engine"
  fi
  start_dockerd
}

busybox_path() {
  # Only busybox-static's binary runs FROM scratch (a dynamic one needs a loader and libc).
  dpkg -L busybox-static 2>/dev/null | grep -E '/busybox$' | while read -r f; do
    [ -x "$f" ] && echo "$f" && break
  done | grep .
}

# Builds one fixture image from a scratch context; the legacy builder's cache makes a rebuild of
# unchanged content a no-op that keeps the same image id.
build_image() {
  local tag=$1 dockerfile=$2 ctx=$3
  printf '%s\n' "$dockerfile" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker_cli build -q -t "$tag" "$ctx" >/dev/null
}

build_fixture_images() {
  local bb
  bb=$(busybox_path) || die "no static busybox found (package busybox-static)"
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp"
  cp "$bb" "$ctx/rootfs/bin/busybox"
  local applet
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$ctx/rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:2000:2000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/rootfs/etc/passwd"
  printf 'root:x:0:\napp:x:2000:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"
  chmod 1777 "$ctx/rootfs/tmp"

  local serve='CMD ["sh", "-c", "trap \"exit 0\" TERM INT; sleep 2147483647 & wait"]'
  # base:1 and base:2 differ only in /VERSION, so tests can switch or retag an image.
  echo 1 >"$ctx/rootfs/VERSION"
  build_image berth-test/base:1 "FROM scratch
COPY rootfs /
$serve" "$ctx"
  echo 2 >"$ctx/rootfs/VERSION"
  build_image berth-test/base:2 "FROM scratch
COPY rootfs /
$serve" "$ctx"
  echo 1 >"$ctx/rootfs/VERSION"
  # A default command that exits at once, with code 0.
  build_image berth-test/oneshot:1 'FROM scratch
COPY rootfs /
CMD ["sh", "-c", "echo done"]' "$ctx"
  # Reports healthy once /tmp/ready exists; the default command creates it after BERTH_READY_AFTER s.
  build_image berth-test/healthy:1 'FROM scratch
COPY rootfs /
HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD ["test", "-f", "/tmp/ready"]
CMD ["sh", "-c", "trap \"exit 0\" TERM INT; sleep ${BERTH_READY_AFTER:-1}; touch /tmp/ready; sleep 2147483647 & wait"]' "$ctx"
  log "fixture images ready: berth-test/base:1, berth-test/base:2, berth-test/oneshot:1, berth-test/healthy:1"
}

# Everything the tests need, in one apt run on a fresh machine: the engine, busybox for the fixture
# images, a registry with htpasswd for the registry-credential tests, Graphviz for
# `graph --format svg|png`, and tmux, the terminal the live display is tested in. (As root on
# Debian; elsewhere they must be there already.)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt_install_missing docker.io busybox-static docker-registry apache2-utils graphviz tmux
fi
ensure_engine
build_fixture_images
bash "$(dirname "$0")/test-engines-extra.sh"
