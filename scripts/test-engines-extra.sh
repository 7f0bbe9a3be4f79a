#!/usr/bin/env bash
# Brings up four more Docker engines for berth's several-hosts and Swarm tests, each a dockerd in a
# network namespace of its own, with the fixture images of the main engine loaded:
#   e2, e3  plain engines joined by a veth pair (several hosts; a test stops e3 for a while);
#   e4, e5  a 2-node Swarm joined by their own veth pair: e4 the manager, e5 a worker. Their nodes
#           carry the label `berth.test.node=e4|e5`, since both report this machine's hostname.
# Idempotent: engines that answer with the fixture images, and a swarm that is already formed, are
# left as they are. `--down` stops them and removes what this script made (namespaces, veth,
# folders), nothing else.
#
# Why namespaces: a second dockerd in the host's namespace would take the default bridge (docker0)
# and its address away from the main engine. Inside its own namespace each engine has its own
# bridge, and nothing it does is seen by the host's network.
#
# Sockets: unix:///run/berth-eN.sock. Names (berth-eN, bertheNv, …) and addresses (10.232.18.0/24
# between e2 and e3, 10.232.45.0/24 between e4 and e5, bridges 10.218.N.0/24 inside them, swarm
# networks from 10.240.0.0/16) are this script's own.
set -euo pipefail

log() { printf 'test-engines-extra: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT=${BERTH_EXTRA_ENGINES_DIR:-/run/berth-engines}
WAIT_SECONDS=${BERTH_ENGINE_WAIT_SECONDS:-60}
ENGINES=(2 3 4 5)
# Each pair shares a veth link: "first second subnet-prefix".
PAIRS=("2 3 10.232.18" "4 5 10.232.45")
SWARM_MANAGER=4
SWARM_WORKER=5
IMAGES=(berth-test/base:1 berth-test/base:2 berth-test/oneshot:1 berth-test/healthy:1)

docker_cli() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}
netns() { echo "berth-e$1"; }
veth() { echo "berthe$1v"; }
socket() { echo "/run/berth-e$1.sock"; }
answers() { docker_cli -H "unix://$(socket "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_link() {
  local i pair a b prefix
  for i in "${ENGINES[@]}"; do
    has_netns "$(netns "$i")" || ip netns add "$(netns "$i")"
  done
  for pair in "${PAIRS[@]}"; do
    read -r a b prefix <<<"$pair"
    if ! ip -n "$(netns "$a")" link show "$(veth "$a")" >/dev/null 2>&1; then
      ip link add "$(veth "$a")" type veth peer name "$(veth "$b")"
      ip link set "$(veth "$a")" netns "$(netns "$a")"
      ip link set "$(veth "$b")" netns "$(netns "$b")"
      ip -n "$(netns "$a")" addr add "$prefix.$a/24" dev "$(veth "$a")"
      ip -n "$(netns "$b")" addr add "$prefix.$b/24" dev "$(veth "$b")"
    fi
  done
  for i in "${ENGINES[@]}"; do
    ip -n "$(netns "$i")" link set lo up
    ip -n "$(netns "$i")" link set "$(veth "$i")" up
  done
}

swarm_state() {
  docker_cli -H "unix://$(socket "$1")" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true
}

# The worker's node, as the manager knows it, labelled so that placement can tell the two apart.
label_node() {
  local i=$1 id
  id=$(docker_cli -H "unix://$(socket "$i")" info --format '{{.Swarm.NodeID}}')
  docker_cli -H "unix://$(socket "$SWARM_MANAGER")" node update --label-add "berth.test.node=e$i" "$id" >/dev/null
}

ensure_swarm() {
  local m=$SWARM_MANAGER w=$SWARM_WORKER addr="10.232.45"
  if [ "$(swarm_state "$m")" != active ]; then
    log "forming a swarm: e$m manager"
    docker_cli -H "unix://$(socket "$m")" swarm init --advertise-addr "$addr.$m" \
      --listen-addr "$addr.$m:2377" --default-addr-pool 10.240.0.0/16 >/dev/null
  fi
  if [ "$(swarm_state "$w")" != active ]; then
    log "e$w joins the swarm as a worker"
    docker_cli -H "unix://$(socket "$w")" swarm join --advertise-addr "$addr.$w" --listen-addr "$addr.$w:2377" \
      --token "$(docker_cli -H "unix://$(socket "$m")" swarm join-token -q worker)" "$addr.$m:2377" >/dev/null
  fi
  label_node "$m"
  label_node "$w"
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
  ensure_swarm
  log "engines ready: e2, e3 (plain), e4 (swarm manager), e5 (swarm worker) at unix:///run/berth-eN.sock"
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
