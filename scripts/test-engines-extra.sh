#!/usr/bin/env bash
# Brings up two more Docker engines for berth's several-hosts tests, `e2` and `e3`, each a dockerd
# in a network namespace of its own, the two joined by a veth pair, with the fixture images of the
# main engine loaded. Idempotent: engines that answer with the fixture images are left as they are.
# `--down` stops them and removes what this script made (namespaces, veth, folders), nothing else.
#
# Why namespaces: a second dockerd in the host's namespace would take the default bridge (docker0)
# and its address away from the main engine. Inside its own namespace each engine has its own
# bridge, and nothing it does is seen by the host's network.
#
# Sockets: unix:///run/berth-e2.sock and unix:///run/berth-e3.sock (BERTH_E2_HOST / BERTH_E3_HOST in
# the tests). Names (berth-e2, berthe2v, …) and addresses (10.232.18.0/24 between the namespaces,
# bridges 10.218.2.0/24 and 10.218.3.0/24 inside them) are this script's own.
set -euo pipefail

log() { printf 'test-engines-extra: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT=${BERTH_EXTRA_ENGINES_DIR:-/run/berth-engines}
WAIT_SECONDS=${BERTH_ENGINE_WAIT_SECONDS:-60}
ENGINES=(2 3)
IMAGES=(berth-test/base:1 berth-test/base:2 berth-test/oneshot:1 berth-test/healthy:1)

docker_cli() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}
netns() { echo "berth-e$1"; }
veth() { echo "berthe$1v"; }
socket() { echo "/run/berth-e$1.sock"; }
answers() { docker_cli -H "unix://$(socket "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_link() {
  local i
  for i in "${ENGINES[@]}"; do
    has_netns "$(netns "$i")" || ip netns add "$(netns "$i")"
  done
  if ! ip -n "$(netns 2)" link show "$(veth 2)" >/dev/null 2>&1; then
    ip link add "$(veth 2)" type veth peer name "$(veth 3)"
    ip link set "$(veth 2)" netns "$(netns 2)"
    ip link set "$(veth 3)" netns "$(netns 3)"
    ip -n "$(netns 2)" addr add 10.232.18.2/24 dev "$(veth 2)"
    ip -n "$(netns 3)" addr add 10.232.18.3/24 dev "$(veth 3)"
  fi
  for i in "${ENGINES[@]}"; do
    ip -n "$(netns "$i")" link set lo up
    ip -n "$(netns "$i")" link set "$(veth "$i")" up
  done
}

start_engine() {
  local i=$1 dir="$ROOT/e$1"
  mkdir -p "$dir/data" "$dir/exec"
  rm -f "$(socket "$i")" "$dir/dockerd.pid"
  log "starting engine e$i (socket $(socket "$i"), log $dir/dockerd.log)"
  # setsid + nohup: the engine outlives this script; nsenter (not `ip netns exec`, which remounts
  # /sys and hides the cgroup devices controller from dockerd).
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nohup nsenter --net="/var/run/netns/$(netns "$i")" \
    dockerd --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$(socket "$i")" \
    --pidfile "$dir/dockerd.pid" --bip "10.218.$i.1/24" --iptables=false \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
}

wait_engine() {
  local i=$1 waited=0
  until answers "$i"; do
    sleep 0.5
    waited=$((waited + 1))
    if [ "$waited" -ge $((WAIT_SECONDS * 2)) ]; then
      tail -n 30 "$ROOT/e$i/dockerd.log" >&2 || true
      die "engine e$i did not answer within ${WAIT_SECONDS}s"
    fi
  done
}

# Loads the fixture images whose id differs from the main engine's (a rebuild changes them).
load_images() {
  local i=$1 image want have missing=()
  for image in "${IMAGES[@]}"; do
    want=$(docker_cli image inspect --format '{{.Id}}' "$image")
    have=$(docker_cli -H "unix://$(socket "$i")" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
    [ "$want" = "$have" ] || missing+=("$image")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "loading ${missing[*]} into e$i"
  docker_cli save "${missing[@]}" | docker_cli -H "unix://$(socket "$i")" load -q >/dev/null
}

up() {
  [ "$(id -u)" -eq 0 ] || die "the extra engines need root (network namespaces)"
  command -v nsenter >/dev/null 2>&1 || die "nsenter is missing (package util-linux)"
  ensure_link
  local i
  for i in "${ENGINES[@]}"; do answers "$i" || start_engine "$i"; done
  for i in "${ENGINES[@]}"; do
    wait_engine "$i"
    load_images "$i"
  done
  log "engines ready: e2 at unix://$(socket 2), e3 at unix://$(socket 3)"
}

# Not `ip netns list | grep -q`: with pipefail, grep -q closing the pipe early fails the test.
has_netns() {
  [ -e "/var/run/netns/$1" ]
}

stop_engine() {
  local i=$1 dir="$ROOT/e$1" pid waited=0
  [ -f "$dir/dockerd.pid" ] || return 0
  pid=$(cat "$dir/dockerd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping engine e$i (pid $pid)"
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 60 ]; do
      sleep 0.5
      waited=$((waited + 1))
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$dir/dockerd.pid" "$(socket "$i")"
}

down() {
  local i mount
  for i in "${ENGINES[@]}"; do stop_engine "$i"; done
  for i in "${ENGINES[@]}"; do
    if has_netns "$(netns "$i")"; then ip netns del "$(netns "$i")"; fi
    # A dockerd that had to be killed may leave mounts under its folders.
    { grep -o " $ROOT/e$i/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mount; do
      umount -l "$mount" || true
    done
  done
  rm -rf "$ROOT"
  log "extra engines are down"
}

case "${1:-up}" in
  up) up ;;
  --down | down) down ;;
  *) die "usage: $0 [--down]" ;;
esac
