#!/usr/bin/env bash
# Set-up of `npm run bench`: the test engine and fixture images (scripts/test-engine.sh), plus
# docker-compose (the Python one, 1.29.x, from Debian) for the comparison scenarios.
# Idempotent: installs only what is missing; needs root and apt-get only when something is missing.
set -euo pipefail

log() { printf 'bench-setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bash "$here/test-engine.sh"

if command -v docker-compose >/dev/null 2>&1; then
  log "docker-compose present: $(docker-compose version --short 2>/dev/null || echo unknown)"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "docker-compose is missing and this is not root: install it (apt-get install docker-compose)"
command -v apt-get >/dev/null 2>&1 || die "docker-compose is missing and there is no apt-get on this machine"
log "installing docker-compose"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi
command -v docker-compose >/dev/null 2>&1 || die "docker-compose is still missing after apt-get install"
log "docker-compose installed: $(docker-compose version --short 2>/dev/null || echo unknown)"
