#!/usr/bin/env bash
# The demo that `make demo` runs: start the event-store target on a free
# loopback port, run the scenario against it with throng, print the summary,
# and stop the target whatever happens, which prints how many requests it
# served (the summary's http_reqs is the same number).
#
# Needs bin/throng and bin/eventstore-target (make build). DEMO_VUS and
# DEMO_DURATION override the scenario's 10 VUs for 30s.
set -euo pipefail
cd "$(dirname "$0")/../.."

workdir=$(mktemp -d)
target_pid=""
stop_target() {
  if [[ -n "$target_pid" ]] && kill -0 "$target_pid" 2>/dev/null; then
    kill -TERM "$target_pid"
    wait "$target_pid" || true
  fi
  rm -rf "$workdir"
}
trap stop_target EXIT

bin/eventstore-target -addr 127.0.0.1:0 -addr-file "$workdir/addr" &
target_pid=$!
for _ in $(seq 100); do
  [[ -s "$workdir/addr" ]] && break
  kill -0 "$target_pid" 2>/dev/null || { echo "demo: the target did not start" >&2; exit 1; }
  sleep 0.05
done
[[ -s "$workdir/addr" ]] || { echo "demo: the target did not report its address" >&2; exit 1; }
addr=$(cat "$workdir/addr")

status=0
bin/throng run -u "${DEMO_VUS:-10}" -d "${DEMO_DURATION:-30s}" -e "ES_URL=http://$addr" \
  examples/eventstore/scenario.js || status=$?
stop_target
target_pid=""
exit "$status"
