#!/usr/bin/env bash
# paired_ab.sh: this build's gateway against another build's, loaded at the same time.
#
# proxy_bench.sh measures targets one after the other; on a VM whose speed drifts by tens of
# percent within seconds, the ratio of two such runs is mostly the drift. Here both gateways
# share one core (cpu1, with the backends) and are loaded together, each by its own wrk on cpu0
# with the same connections: the core's scheduler shares it fairly, so both see the same drift,
# and each round's ratio of their requests/s is the ratio of what a request costs them. The
# configuration is the walkthrough's 90/10 route, 1 worker each. Every process is started here
# and stopped by PID; every load run is bounded in time.
#
# Knobs (environment): PREV_BIN (required: the other build's bin directory) ROUNDS [9]
#   DURATION [5s] CONNS [25, per gateway] OUT [bench/results/paired-<date>]
# Usage: PREV_BIN=OTHER/build/bin bench/paired_ab.sh   (after a Release build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
ROUNDS=${ROUNDS:-9}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-25}
OUT=${OUT:-$ROOT/bench/results/paired-$(date +%Y%m%d-%H%M%S)}
[ -x "${PREV_BIN:-}/canaryd" ] || { echo "PREV_BIN must be a bin directory with canaryd" >&2; exit 1; }
for tool in wrk taskset curl; do
  command -v "$tool" > /dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
done
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/canaryd-paired.XXXXXX)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

v1=$(free_port); v2=$(free_port); pa=$(free_port); pb=$(free_port)
launch v1 "$v1" 1 "$BIN/canary-demoapp" --version v1 --port "$v1"
launch v2 "$v2" 1 "$BIN/canary-demoapp" --version v2 --port "$v2"
walkthrough_conf "$TMP/conf" "$v1" "$v2"
launch this "$pa" 1 "$BIN/canaryd" -f "$TMP/conf" --workers 1 --listen-host 127.0.0.1 \
  --port-map "80=$pa" --admin 127.0.0.1:0 --data-dir "$TMP/this"
launch prev "$pb" 1 "$PREV_BIN/canaryd" -f "$TMP/conf" --workers 1 --listen-host 127.0.0.1 \
  --port-map "80=$pb" --admin 127.0.0.1:0 --data-dir "$TMP/prev"
for p in "$pa" "$pb"; do  # both route before they are measured
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
done

rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
: > "$OUT/ratios.txt"
for r in $(seq "$ROUNDS"); do
  ta=$(cpu_ticks "$PID_this"); tb=$(cpu_ticks "$PID_prev")
  timeout 120 taskset -c 0 wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$pa/" > "$OUT/r$r-this.txt" &
  wa=$!
  timeout 120 taskset -c 0 wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$pb/" > "$OUT/r$r-prev.txt" &
  wb=$!
  wait "$wa" "$wb"
  ta=$(($(cpu_ticks "$PID_this") - ta)); tb=$(($(cpu_ticks "$PID_prev") - tb))
  a=$(rps "$OUT/r$r-this.txt"); b=$(rps "$OUT/r$r-prev.txt")
  echo "$a $b $ta $tb" | awk -v d="${DURATION%s}" -v tick="$(getconf CLK_TCK)" \
    '{ printf "%.4f %.0f %.0f %.2f %.2f\n", $1 / $2, $1, $2, $3 * 1e6 / tick / ($1 * d), $4 * 1e6 / tick / ($2 * d) }' \
    >> "$OUT/ratios.txt"
done
# Columns: ratio (this / prev req/s), this req/s, prev req/s, CPU us per request this, prev.
sort -n "$OUT/ratios.txt" | awk '{ r[NR] = $1; ca += $4; cb += $5 }
  END { printf "this build / PREV_BIN, loaded together on one core: %.3fx req/s (median of %d rounds, range %.3f-%.3f), CPU per request %.1f -> %.1f us\n",
        r[int((NR + 1) / 2)], NR, r[1], r[NR], cb / NR, ca / NR }' | tee "$OUT/summary.txt"
