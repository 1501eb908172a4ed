#!/usr/bin/env bash
# route_update_latency.sh: decision -> first request on the new weights, and the cost of each
# write through the API, with 10,000 VirtualServices and 5,000 Services stored (sqlite store,
# real gateway workers, two canary-demoapp backends, everything on 127.0.0.1 at free ports).
# For each canaryd given (this build's, then optionally others, e.g. a build of main), starts
# canaryd with a fresh data directory, runs build/bench/route_update_latency, and stops it;
# every process it starts is stopped by PID, and the whole run is bounded by TIMEOUT.
#
#   bash bench/route_update_latency.sh [CANARYD...]    (default: build/bin/canaryd)
#
# Knobs: STORED [10000] SERVICES [5000] FLIPS [200] WRITES [patch,put,json-patch,pod-ready]
#        WORKERS [2]
#        TIMEOUT [1800] (seconds, per canaryd)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
STORED=${STORED:-10000}
SERVICES=${SERVICES:-5000}
FLIPS=${FLIPS:-200}
WRITES=${WRITES:-patch,put,json-patch,pod-ready}
WORKERS=${WORKERS:-2}
TIMEOUT=${TIMEOUT:-1800}
TMP=$(mktemp -d /tmp/canaryd-route-update.XXXXXX)
subjects=("$@")
[ ${#subjects[@]} -gt 0 ] || subjects=("$BIN/canaryd")

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

v1=$(free_port); v2=$(free_port)
launch v1 "$v1" "" "$BIN/canary-demoapp" --version v1 --port "$v1"
launch v2 "$v2" "" "$BIN/canary-demoapp" --version v2 --port "$v2"
mkdir -p "$TMP/conf"
sed -e "s/\"80\": 8081/\"80\": $v1/" -e "s/\"80\": 8082/\"80\": $v2/" \
  "$ROOT/examples/walkthrough/workloads.yaml" > "$TMP/conf/workloads.yaml"
cp "$ROOT/examples/walkthrough/"web-*.yaml "$TMP/conf/"

for subject in "${subjects[@]}"; do
  echo "== $subject ($(cd "$(dirname "$subject")/.." && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  gw=$(free_port)
  rm -rf "$TMP/data" "$TMP/admin.port"
  # The benchmark plays the kubelet for pod-ready; builds from before workloads have no flag.
  no_workloads=()
  if "$subject" --help 2>&1 | grep -q -- --no-workloads; then no_workloads=(--no-workloads); fi
  launch canaryd "$gw" "" "$subject" -f "$TMP/conf" --workers "$WORKERS" --listen-host 127.0.0.1 \
    --port-map "80=$gw" --admin 127.0.0.1:0 --admin-port-file "$TMP/admin.port" \
    --data-dir "$TMP/data" --log-level warn "${no_workloads[@]}"
  for _ in $(seq 100); do [ -s "$TMP/admin.port" ] && break; sleep 0.1; done
  admin=$(cat "$TMP/admin.port")
  timeout "$TIMEOUT" "$ROOT/build/bench/route_update_latency" "$admin" "$gw" "$STORED" "$FLIPS" \
    "$SERVICES" "$WRITES" "$v1" "$v2"
  # This canaryd only (the backends serve the next one).
  kill -TERM "$PID_canaryd"; wait "$PID_canaryd" 2> /dev/null || true
  unset 'PIDS[${#PIDS[@]}-1]'
done
