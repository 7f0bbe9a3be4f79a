#!/usr/bin/env bash
# Runs berth on an example map against the test engine: validate, plan, startup, status, a
# second plan (empty), the app's output, then shutdown --volumes so the demo can run again.
set -euo pipefail
cd "$(dirname "$0")/.."
map=examples/web-app/berth.yaml
run() {
  printf '\n$ berth %s\n' "$*"
  node bin/berth.js "$@"
}
run -f "$map" validate
run -f "$map" plan
run -f "$map" startup --progress plain
run -f "$map" status
run -f "$map" plan --detailed-exitcode
sleep 3
run -f "$map" logs app --tail 2
run -f "$map" shutdown --volumes --progress plain
