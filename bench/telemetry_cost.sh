#!/usr/bin/env bash
# telemetry_cost.sh: what metrics plus a JSON access log cost canaryd, and what a JSON access
# log with the same fields costs nginx, measured side by side in one run.
#
# Why side by side: on a shared VM the CPU's speed drifts by tens of percent within seconds,
# more than the few percent telemetry costs, so "bare, then full" measures the drift. Here two
# instances of a gateway run at the same time on the same core, one with no telemetry and one
# with it, behind the same two backends, each loaded by its own wrk. Every round reads each
# process's CPU time (all threads, the log writer included, and child processes: nginx's
# workers) and the requests wrk completed: CPU time per request is the cost, and whatever the
# machine does at that moment it does to both. "Throughput kept" is bare's CPU per request over
# full's: what a gateway that has the core to itself keeps. Rounds alternate between subjects.
#
# Knobs (environment): ROUNDS [9] DURATION [5s] CONNS [50] WORKERS [1]
#   PIN [1]  1: every wrk on cpu0; the gateways and the backends on cpu1.
#   SUBJECTS ["canaryd nginx"]  canaryd: --no-telemetry against FULL_ARGS;
#            nginx: "access_log off" against a JSON access log with canaryd's keys, to a file,
#            buffered as nginx users do (buffer=64k flush=1s).
#   FULL_ARGS ["--access-log <tmp>/canaryd-access.log --access-log-format json"]  canaryd's
#            measured side's telemetry flags ("" for metrics and live statistics alone).
#   BARE_ARGS ["--no-telemetry"], BARE_BIN [$BIN]  canaryd's other side: with FULL_ARGS, any
#            two sets of flags or two builds (BIN is the measured side's) side by side.
#   OUT [bench/results/telemetry-<date>]  raw output and the table.
# Usage: bench/telemetry_cost.sh   (after a Release build: cmake --build build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
BARE_BIN=${BARE_BIN:-$BIN}
ROUNDS=${ROUNDS:-9}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-50}
WORKERS=${WORKERS:-1}
PIN=${PIN:-1}
read -r -a SUBJECTS <<< "${SUBJECTS:-canaryd nginx}"
OUT=${OUT:-$ROOT/bench/results/telemetry-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/canaryd-telemetry-cost.XXXXXX)

tools=(wrk taskset python3)
for s in "${SUBJECTS[@]}"; do
  case $s in
    canaryd) ;;
    nginx) tools+=(nginx) ;;
    *) echo "SUBJECTS: canaryd and/or nginx, not $s" >&2; exit 1 ;;
  esac
done
for tool in "${tools[@]}"; do
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
cpu_nanos() {  # PID: CPU time of the process, its threads and children so far
  echo $(($(cpu_ticks "$1") * 1000000000 / CLK_TCK))
}

v1=$(free_port); v2=$(free_port)
launch v1 "$v1" "$(cpus 1)" "$BIN/canary-demoapp" --version v1 --port "$v1"
launch v2 "$v2" "$(cpus 1)" "$BIN/canary-demoapp" --version v2 --port "$v2"

declare -A PORT LOGGED_TO
launch_canaryd() {
  walkthrough_conf "$TMP/conf" "$v1" "$v2"
  local common=(-f "$TMP/conf" --workers "$WORKERS" --listen-host 127.0.0.1 --admin 127.0.0.1:0)
  local bare_args full_args
  read -r -a bare_args <<< "${BARE_ARGS---no-telemetry}"
  launch canaryd_bare "${PORT[canaryd_bare]}" "$(cpus 1)" "$BARE_BIN/canaryd" "${common[@]}" \
    --port-map "80=${PORT[canaryd_bare]}" --data-dir "$TMP/canaryd-bare" "${bare_args[@]}"
  read -r -a full_args <<< "${FULL_ARGS---access-log $TMP/canaryd-access.log --access-log-format json}"
  [ -n "${FULL_ARGS+set}" ] || LOGGED_TO[canaryd]=$TMP/canaryd-access.log
  launch canaryd_full "${PORT[canaryd_full]}" "$(cpus 1)" "$BIN/canaryd" "${common[@]}" \
    --port-map "80=${PORT[canaryd_full]}" --data-dir "$TMP/canaryd-full" "${full_args[@]}"
}

# canaryd's JSON line, the same keys, from nginx's variables (the route and cluster as text).
NGINX_JSON_LOG=$(cat << 'FORMAT'
log_format canaryd escape=json '{"start_time":"$time_iso8601","method":"$request_method",'
    '"path":"$request_uri","protocol":"$server_protocol","response_code":$status,'
    '"response_flags":"-","bytes_received":$request_length,"bytes_sent":$body_bytes_sent,'
    '"duration":$request_time,"upstream_service_time":"$upstream_response_time",'
    '"x_forwarded_for":"$proxy_add_x_forwarded_for","user_agent":"$http_user_agent",'
    '"request_id":"$request_id","authority":"$host","upstream_host":"$upstream_addr",'
    '"upstream_cluster":"outbound|80||web-v1-service.default.svc.cluster.local",'
    '"route_name":"default/web-virtualservice#0",'
    '"downstream_remote_address":"$remote_addr:$remote_port",'
    '"destination_service":"web-v1-service.default.svc.cluster.local","destination_version":"v1"}';
FORMAT
)

launch_nginx() {
  nginx_conf "$TMP/nginx-bare" "${PORT[nginx_bare]}" "$WORKERS" "$v1" "$v2"
  nginx_conf "$TMP/nginx-full" "${PORT[nginx_full]}" "$WORKERS" "$v1" "$v2" "$NGINX_JSON_LOG
  access_log $TMP/nginx-access.log canaryd buffer=64k flush=1s;"
  LOGGED_TO[nginx]=$TMP/nginx-access.log
  local side
  for side in bare full; do
    launch "nginx_$side" "${PORT[nginx_$side]}" "$(cpus 1)" nginx -p "$TMP/nginx-$side" \
      -e "$TMP/nginx-$side/error.log" -c "$TMP/nginx-$side/nginx.conf" -g 'daemon off;'
  done
}

for s in "${SUBJECTS[@]}"; do
  PORT[${s}_bare]=$(free_port)
  PORT[${s}_full]=$(free_port)
  "launch_$s"
done

echo "subject round bare_rps full_rps bare_us_per_req full_us_per_req" > "$OUT/rounds.txt"
for ((round = 0; round < ROUNDS; round++)); do
  for ((k = 0; k < ${#SUBJECTS[@]}; k++)); do
    s=${SUBJECTS[(k + round) % ${#SUBJECTS[@]}]}  # the order alternates from round to round
    eval "pid_bare=\$PID_${s}_bare pid_full=\$PID_${s}_full"
    b0=$(cpu_nanos "$pid_bare"); f0=$(cpu_nanos "$pid_full")
    pin 0 timeout 120 wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:${PORT[${s}_bare]}/" \
      > "$OUT/$s-bare-$round.txt" 2>&1 &
    wb=$!
    pin 0 timeout 120 wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:${PORT[${s}_full]}/" \
      > "$OUT/$s-full-$round.txt" 2>&1 &
    wf=$!
    wait "$wb" "$wf" || true
    b1=$(cpu_nanos "$pid_bare"); f1=$(cpu_nanos "$pid_full")
    nb=$(awk '/requests in/ { print $1 }' "$OUT/$s-bare-$round.txt")
    nf=$(awk '/requests in/ { print $1 }' "$OUT/$s-full-$round.txt")
    rb=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/$s-bare-$round.txt")
    rf=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/$s-full-$round.txt")
    awk -v s="$s" -v r="$round" -v rb="$rb" -v rf="$rf" -v nb="$nb" -v nf="$nf" -v cb=$((b1 - b0)) \
      -v cf=$((f1 - f0)) 'BEGIN { printf "%s %d %.0f %.0f %.3f %.3f\n", s, r, rb, rf, cb / nb / 1000, cf / nf / 1000 }' \
      >> "$OUT/rounds.txt"
  done
done

# Every measured side must have logged every request: a log that silently wrote nothing would
# look free. Stopping the gateways flushes what they buffer.
stop_all
for s in "${!LOGGED_TO[@]}"; do
  log=${LOGGED_TO[$s]}
  served=$(cat "$OUT"/"$s"-full-*.txt | awk '/requests in/ { n += $1 } END { print n + 0 }')
  logged=$(wc -l < "$log")
  head -n 1 "$log" > "$OUT/$s-access-log-sample.txt"
  python3 -c 'import json, sys; json.loads(open(sys.argv[1]).readline())' "$log" ||
    { echo "$s: the access log's first line is not JSON" >&2; exit 1; }
  echo "$s access log: $logged lines for the $served requests wrk completed" | tee -a "$OUT/access-log.txt"
  [ "$logged" -ge "$served" ] || { echo "$s: the access log is missing lines" >&2; exit 1; }
done

awk '
  NR == 1 { next }
  { s = $1; i = ++n[s]; kept[s, i] = $5 / $6; cost[s, i] = $6 - $5; bus[s, i] = $5; fus[s, i] = $6 }
  function median(a, s, cnt,   i, j, t, v) {
    for (i = 1; i <= cnt; i++) v[i] = a[s, i]
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
  }
  function extreme(a, s, cnt, sign,   i, m) {
    m = a[s, 1]; for (i = 2; i <= cnt; i++) if (sign * a[s, i] > sign * m) m = a[s, i]; return m
  }
  END {
    for (s in n) {
      printf "%s CPU per request, median of %d side-by-side rounds: bare %.2f us, full %.2f us\n", s, n[s], median(bus, s, n[s]), median(fus, s, n[s])
      printf "%s telemetry costs %.2f us per request; a CPU-bound gateway keeps %.1f%% of its throughput (rounds: %.1f%% .. %.1f%%)\n",
        s, median(cost, s, n[s]), 100 * median(kept, s, n[s]), 100 * extreme(kept, s, n[s], -1), 100 * extreme(kept, s, n[s], 1)
    }
  }' "$OUT/rounds.txt" | tee "$OUT/summary.txt"
echo "raw results: $OUT"
