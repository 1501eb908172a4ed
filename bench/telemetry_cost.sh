#!/usr/bin/env bash
# telemetry_cost.sh: what metrics plus a JSON access log cost canaryd, measured side by side.
#
# Why side by side: on a shared VM the CPU's speed drifts by tens of percent within seconds,
# more than the few percent telemetry costs, so "bare, then full" measures the drift. Here two
# canaryd processes run at the same time on the same core, one with --no-telemetry and one with
# metrics and a JSON access log to a file, behind the same two backends, each loaded by its own
# wrk. Every round reads each process's CPU time (all threads, the log writer included, from
# /proc/<pid>/stat) and the requests wrk completed: CPU time per
# request is the cost, and whatever the machine does at that moment it does to both.
# "Throughput kept" is bare's CPU per request over full's: what a CPU-bound gateway keeps.
#
# Knobs (environment): ROUNDS [9] DURATION [5s] CONNS [50] WORKERS [1]
#   PIN [1]  1: both wrk on cpu0; both canaryd and the backends on cpu1.
#   FULL_ARGS ["--access-log <tmp>/access.log --access-log-format json"]  the measured side's
#            telemetry flags ("" for metrics and live statistics without an access log).
#   OUT [bench/results/telemetry-<date>]  raw output and the table.
# Usage: bench/telemetry_cost.sh   (after a Release build: cmake --build build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
ROUNDS=${ROUNDS:-9}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-50}
WORKERS=${WORKERS:-1}
PIN=${PIN:-1}
OUT=${OUT:-$ROOT/bench/results/telemetry-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/canaryd-telemetry-cost.XXXXXX)

for tool in wrk taskset python3; do
  command -v "$tool" > /dev/null || { echo "$tool not found (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -x "$BIN/canaryd" ] || { echo "build first: $BIN/canaryd missing" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE  # a closed pipe (| head) still stops every process

cpus() {  # CPU: the pinning for launch(), none when PIN=0
  if [ "$PIN" = 1 ]; then echo "$1"; fi
}
pin() {  # CPU cmd...: the command, pinned when PIN=1
  if [ "$PIN" = 1 ]; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi
}
CLK_TCK=$(getconf CLK_TCK)
cpu_nanos() {  # PID: CPU time of all its threads so far (utime + stime, in clock ticks)
  awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
}

v1=$(free_port); v2=$(free_port); pb=$(free_port); pf=$(free_port)
launch v1 "$v1" "$(cpus 1)" "$BIN/canary-demoapp" --version v1 --port "$v1"
launch v2 "$v2" "$(cpus 1)" "$BIN/canary-demoapp" --version v2 --port "$v2"
mkdir -p "$TMP/conf"
sed -e "s/\"80\": 8081/\"80\": $v1/" -e "s/\"80\": 8082/\"80\": $v2/" \
  "$ROOT/examples/walkthrough/workloads.yaml" > "$TMP/conf/workloads.yaml"
cp "$ROOT/examples/walkthrough/web-v1-service.yaml" "$ROOT/examples/walkthrough/web-v2-service.yaml" \
  "$ROOT/examples/walkthrough/steps/web-gateway-virtualservice-90-10.yaml" "$TMP/conf/"
common=(-f "$TMP/conf" --workers "$WORKERS" --listen-host 127.0.0.1 --admin 127.0.0.1:0)
launch bare "$pb" "$(cpus 1)" "$BIN/canaryd" "${common[@]}" --port-map "80=$pb" --data-dir "$TMP/bare" \
  --no-telemetry
# FULL_ARGS replaces the telemetry flags of the measured process, e.g. FULL_ARGS="" for metrics
# and live statistics alone, or an access log to /dev/null to leave out the file system.
read -r -a full_args <<< "${FULL_ARGS---access-log $TMP/access.log --access-log-format json}"
launch full "$pf" "$(cpus 1)" "$BIN/canaryd" "${common[@]}" --port-map "80=$pf" --data-dir "$TMP/full" \
  "${full_args[@]}"

echo "round bare_rps full_rps bare_us_per_req full_us_per_req" > "$OUT/rounds.txt"
for ((round = 0; round < ROUNDS; round++)); do
  b0=$(cpu_nanos "$PID_bare"); f0=$(cpu_nanos "$PID_full")
  pin 0 timeout 120 wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$pb/" > "$OUT/bare-$round.txt" 2>&1 &
  wb=$!
  pin 0 timeout 120 wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$pf/" > "$OUT/full-$round.txt" 2>&1 &
  wf=$!
  wait "$wb" "$wf" || true
  b1=$(cpu_nanos "$PID_bare"); f1=$(cpu_nanos "$PID_full")
  nb=$(awk '/requests in/ { print $1 }' "$OUT/bare-$round.txt")
  nf=$(awk '/requests in/ { print $1 }' "$OUT/full-$round.txt")
  rb=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/bare-$round.txt")
  rf=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/full-$round.txt")
  awk -v r="$round" -v rb="$rb" -v rf="$rf" -v nb="$nb" -v nf="$nf" -v cb=$((b1 - b0)) \
    -v cf=$((f1 - f0)) 'BEGIN { printf "%d %.0f %.0f %.3f %.3f\n", r, rb, rf, cb / nb / 1000, cf / nf / 1000 }' \
    >> "$OUT/rounds.txt"
done

awk '
  NR == 1 { next }
  { n++; kept[n] = $4 / $5; cost[n] = $5 - $4; bus[n] = $4; fus[n] = $5 }
  function median(a, cnt,   i, j, t, v) {
    for (i = 1; i <= cnt; i++) v[i] = a[i]
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
  }
  function minimum(a, cnt,   i, m) { m = a[1]; for (i = 2; i <= cnt; i++) if (a[i] < m) m = a[i]; return m }
  function maximum(a, cnt,   i, m) { m = a[1]; for (i = 2; i <= cnt; i++) if (a[i] > m) m = a[i]; return m }
  END {
    printf "canaryd CPU per request, median of %d side-by-side rounds: bare %.2f us, full %.2f us\n", n, median(bus, n), median(fus, n)
    printf "telemetry costs %.2f us per request; a CPU-bound gateway keeps %.1f%% of its throughput (rounds: %.1f%% .. %.1f%%)\n",
      median(cost, n), 100 * median(kept, n), 100 * minimum(kept, n), 100 * maximum(kept, n)
  }' "$OUT/rounds.txt" | tee "$OUT/summary.txt"
echo "raw results: $OUT"
