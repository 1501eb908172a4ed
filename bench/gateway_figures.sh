#!/usr/bin/env bash
# gateway_figures.sh: two figures of the data plane that wrk does not give:
#  - canaryd's resident memory holding 10,000 idle kept-alive client connections;
#  - the time from an API write of new weights to the first request that follows them, with
#    10,000 VirtualServices stored.
# Starts two canary-demoapp backends and canaryd (walkthrough configuration) on loopback, runs
# build/bench/idle_connections and build/bench/route_update_latency, stops everything by PID.
# Knobs: WORKERS [2] CONNECTIONS [10000] STORED [10000] FLIPS [1000]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
WORKERS=${WORKERS:-2}
CONNECTIONS=${CONNECTIONS:-10000}
STORED=${STORED:-10000}
FLIPS=${FLIPS:-1000}
TMP=$(mktemp -d /tmp/canaryd-figures.XXXXXX)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE  # a closed pipe (| head) still stops every process

v1=$(free_port); v2=$(free_port); gw=$(free_port)
launch v1 "$v1" "" "$BIN/canary-demoapp" --version v1 --port "$v1"
launch v2 "$v2" "" "$BIN/canary-demoapp" --version v2 --port "$v2"
mkdir -p "$TMP/conf"
sed -e "s/\"80\": 8081/\"80\": $v1/" -e "s/\"80\": 8082/\"80\": $v2/" \
  "$ROOT/examples/walkthrough/workloads.yaml" > "$TMP/conf/workloads.yaml"
cp "$ROOT/examples/walkthrough/"web-*.yaml "$TMP/conf/"
launch canaryd "$gw" "" "$BIN/canaryd" -f "$TMP/conf" --workers "$WORKERS" --listen-host 127.0.0.1 \
  --port-map "80=$gw" --admin 127.0.0.1:0 --admin-port-file "$TMP/admin.port" \
  --data-dir "$TMP/data" --max-connections 20000
for _ in $(seq 100); do [ -s "$TMP/admin.port" ] && break; sleep 0.1; done
admin=$(cat "$TMP/admin.port")

"$ROOT/build/bench/idle_connections" "$gw" "$PID_canaryd" "$CONNECTIONS"
"$ROOT/build/bench/route_update_latency" "$admin" "$gw" "$STORED" "$FLIPS"
