#!/usr/bin/env bash
# proxy_bench.sh: canaryd against nginx and HAProxy on loopback, in one run.
#
# Two canary-demoapp backends (v1, v2) sit behind each proxy with the same 90/10 split and
# upstream keep-alive; wrk measures requests/s and latency against the backend directly (the
# one-hop limit), canaryd, nginx and HAProxy, in interleaved rounds. CPU time per request is
# read from each proxy's own /proc counters. Every process is started here and stopped by PID;
# every load run is bounded in time.
#
# Knobs (environment): DURATION [5s] ROUNDS [3] CONNS ["50 256"] WORKERS ["1 2"]
#   TARGETS ["direct canaryd canaryd-bare canaryd-full nginx haproxy"]  what to measure, e.g.
#            TARGETS="canaryd-bare canaryd-full" ROUNDS=9 for what telemetry costs, or
#            TARGETS="canaryd canaryd-prev" PREV_BIN=OTHER/build/bin for this build against
#            another (the same configuration and flags, interleaved), or
#            TARGETS="canaryd canaryd-mirror" for what mirroring every request costs the originals, or
#            TARGETS="canaryd canaryd-features" for what a route with header changes, a rewrite
#            and a retry policy costs against the plain route
#   PIN [1]  1: wrk on cpu0, proxies and backends on cpu1 for the 1-worker profile (the same
#            one-core budget for all); the 2-worker profile is unpinned (both cores shared).
#   OUT [bench/results/<date>]  where raw wrk output and the table go.
# Usage: bench/proxy_bench.sh   (after a Release build: cmake --build build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-"50 256"}
WORKERS_LIST=${WORKERS:-"1 2"}
# DELAY_MS: each connection waits this long between requests (a wrk script), so the load is
# below saturation and latency is the proxy's, not a queue's (for TARGETS="canaryd canaryd-mirror").
DELAY_MS=${DELAY_MS:-0}
PIN=${PIN:-1}
TARGETS=${TARGETS:-"direct canaryd canaryd-bare canaryd-full nginx haproxy"}
OUT=${OUT:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/canaryd-bench.XXXXXX)
WRK_ARGS=""
if [ "$DELAY_MS" != 0 ]; then
  printf 'function delay()\n  return %s\nend\n' "$DELAY_MS" > "$TMP/delay.lua"
  WRK_ARGS="-s $TMP/delay.lua"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
CLK_TCK=$(getconf CLK_TCK)

for tool in wrk nginx haproxy curl taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
done
for b in canaryd canary-demoapp; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: build first" >&2; exit 1; }
done

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE  # a closed pipe (| head) still stops every process

wrk_parse() {  # FILE -> "rps p50_us p99_us errors"
  awk 'function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000;
                        if (v ~ /s$/) return v * 1e6; return v }
       /^ +50%/ { p50 = us($2) } /^ +99%/ { p99 = us($2) } /^Requests\/sec:/ { rps = $2 }
       /Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
       /Non-2xx or 3xx responses:/ { e += $5 }
       END { printf "%.0f %.0f %.0f %d\n", rps, p50, p99, e }' "$1"
}

run_profile() {  # WORKERS
  local workers=$1 cpu_wrk="" cpu_proxy="" cpu_backend=""
  if [ "$PIN" = 1 ] && [ "$workers" = 1 ]; then cpu_wrk=0; cpu_proxy=1; cpu_backend=1; fi
  local v1 v2 pc pn ph
  v1=$(free_port); v2=$(free_port); pc=$(free_port); pn=$(free_port); ph=$(free_port)
  launch v1 "$v1" "$cpu_backend" "$BIN/canary-demoapp" --version v1 --port "$v1"
  launch v2 "$v2" "$cpu_backend" "$BIN/canary-demoapp" --version v2 --port "$v2"

  walkthrough_conf "$TMP/conf" "$v1" "$v2"
  launch canaryd "$pc" "$cpu_proxy" "$BIN/canaryd" -f "$TMP/conf" --workers "$workers" \
    --listen-host 127.0.0.1 --port-map "80=$pc" --admin 127.0.0.1:0 --data-dir "$TMP/data-$workers"
  # The same without any telemetry, and with metrics plus a JSON access log: what telemetry costs.
  local pb pf
  pb=$(free_port); pf=$(free_port)
  launch bare "$pb" "$cpu_proxy" "$BIN/canaryd" -f "$TMP/conf" --workers "$workers" \
    --listen-host 127.0.0.1 --port-map "80=$pb" --admin 127.0.0.1:0 --data-dir "$TMP/bare-$workers" \
    --no-telemetry
  launch full "$pf" "$cpu_proxy" "$BIN/canaryd" -f "$TMP/conf" --workers "$workers" \
    --listen-host 127.0.0.1 --port-map "80=$pf" --admin 127.0.0.1:0 --data-dir "$TMP/full-$workers" \
    --access-log "$TMP/access-$workers.log" --access-log-format json

  # The same route with request and response headers set, a path rewrite and a retry policy.
  local pr=""
  if [[ " $TARGETS " == *" canaryd-features "* ]]; then
    pr=$(free_port)
    mkdir -p "$TMP/conf-features"
    cp "$TMP/conf/"*.yaml "$TMP/conf-features/"
    sed -i 's|^        exact: /$|        exact: /\n    rewrite: {uri: /}\n    headers: {request: {set: {x-canary: "1"}}, response: {set: {x-served-by: canaryd}}}\n    retries: {attempts: 2, retryOn: "5xx,reset"}|' \
      "$TMP/conf-features/web-gateway-virtualservice-90-10.yaml"
    grep -q 'retries:' "$TMP/conf-features/web-gateway-virtualservice-90-10.yaml" ||
      { echo "could not add the route features to the bench configuration" >&2; exit 1; }
    launch features "$pr" "$cpu_proxy" "$BIN/canaryd" -f "$TMP/conf-features" --workers "$workers" \
      --listen-host 127.0.0.1 --port-map "80=$pr" --admin 127.0.0.1:0 --data-dir "$TMP/features-$workers"
  fi

  # The same route mirroring every request (fire-and-forget copies) to a third demo app, the
  # shadow. It runs on the load generator's core: a mirror is another deployment, and on the
  # proxy's core its work would be counted as the proxy's latency.
  local pm=""
  if [[ " $TARGETS " == *" canaryd-mirror "* ]]; then
    pm=$(free_port)
    local shadow
    shadow=$(free_port)
    launch shadow "$shadow" "$cpu_wrk" "$BIN/canary-demoapp" --version shadow --port "$shadow"
    mkdir -p "$TMP/conf-mirror"
    cp "$TMP/conf/"*.yaml "$TMP/conf-mirror/"
    cat > "$TMP/conf-mirror/shadow.yaml" << YAML
apiVersion: v1
kind: Service
metadata: {name: web-shadow}
spec: {ports: [{name: "80", port: 80}], selector: {app: web-shadow}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-shadow}
spec: {address: 127.0.0.1, ports: {"80": $shadow}, labels: {app: web-shadow}}
YAML
    sed -i 's|^        exact: /$|        exact: /\n    mirror: {host: web-shadow}\n    mirrorPercentage: {value: 100}|' \
      "$TMP/conf-mirror/web-gateway-virtualservice-90-10.yaml"
    grep -q 'mirror:' "$TMP/conf-mirror/web-gateway-virtualservice-90-10.yaml" ||
      { echo "could not add the mirror to the bench configuration" >&2; exit 1; }
    launch mirror "$pm" "$cpu_proxy" "$BIN/canaryd" -f "$TMP/conf-mirror" --workers "$workers" \
      --listen-host 127.0.0.1 --port-map "80=$pm" --admin 127.0.0.1:0 --data-dir "$TMP/mirror-$workers"
  fi

  local pp=""
  if [[ " $TARGETS " == *" canaryd-prev "* ]]; then
    [ -x "${PREV_BIN:-}/canaryd" ] || { echo "canaryd-prev needs PREV_BIN (a bin directory)" >&2; exit 1; }
    pp=$(free_port)
    launch prev "$pp" "$cpu_proxy" "$PREV_BIN/canaryd" -f "$TMP/conf" --workers "$workers" \
      --listen-host 127.0.0.1 --port-map "80=$pp" --admin 127.0.0.1:0 --data-dir "$TMP/prev-$workers"
  fi

  nginx_conf "$TMP/nginx" "$pn" "$workers" "$v1" "$v2"
  launch nginx "$pn" "$cpu_proxy" nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" \
    -c "$TMP/nginx/nginx.conf" -g 'daemon off;'

  cat > "$TMP/haproxy.cfg" <<CONF
global
  nbthread $workers
  maxconn 8000
defaults
  mode http
  option http-keep-alive
  http-reuse always
  maxconn 8000
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 75s
frontend fe
  bind 127.0.0.1:$ph
  default_backend be
backend be
  balance roundrobin
  server v1 127.0.0.1:$v1 weight 90
  server v2 127.0.0.1:$v2 weight 10
CONF
  launch haproxy "$ph" "$cpu_proxy" haproxy -db -f "$TMP/haproxy.cfg"

  # Every proxy must split 90/10 before it is measured.
  local name port
  for name in canaryd nginx haproxy; do
    eval "port=\$p${name:0:1}"
    [ "$name" = haproxy ] && port=$ph
    local counts
    counts=$(for _ in $(seq 200); do echo "url = \"http://127.0.0.1:$port/\""; done |
             timeout 60 curl -s --max-time 5 -K - | grep -o 'v[12]' | sort | uniq -c | tr '\n' ' ')
    echo "profile workers=$workers $name split over 200 requests: $counts" | tee -a "$OUT/split.txt"
  done

  local targets=() ports=() t
  for t in $TARGETS; do
    targets+=("$t")
    case $t in
      direct) ports+=("$v1") ;; canaryd) ports+=("$pc") ;; canaryd-bare) ports+=("$pb") ;;
      canaryd-full) ports+=("$pf") ;; canaryd-prev) ports+=("$pp") ;;
      canaryd-features) ports+=("$pr") ;; canaryd-mirror) ports+=("$pm") ;;
      nginx) ports+=("$pn") ;; haproxy) ports+=("$ph") ;;
      *) echo "unknown target $t" >&2; exit 1 ;;
    esac
  done
  for conns in $CONNS; do
    for ((round = 0; round < ROUNDS; round++)); do
      for ((k = 0; k < ${#targets[@]}; k++)); do
        local i=$(((k + round) % ${#targets[@]}))
        local t=${targets[i]} pid=""
        case $t in
          canaryd) pid=$PID_canaryd ;; canaryd-bare) pid=$PID_bare ;; canaryd-full) pid=$PID_full ;;
          canaryd-prev) pid=$PID_prev ;; canaryd-features) pid=$PID_features ;;
          canaryd-mirror) pid=$PID_mirror ;;
          nginx) pid=$PID_nginx ;; haproxy) pid=$PID_haproxy ;;
          direct) pid=$PID_v1 ;;
        esac
        local before after file="$OUT/w$workers-c$conns-r$round-$t.txt"
        before=$(cpu_ticks "$pid")
        if [ -n "$cpu_wrk" ]; then
          timeout 120 taskset -c "$cpu_wrk" wrk -t1 -c"$conns" -d"$DURATION" --latency $WRK_ARGS \
            "http://127.0.0.1:${ports[i]}/" > "$file" 2>&1 || true
        else
          timeout 120 wrk -t1 -c"$conns" -d"$DURATION" --latency $WRK_ARGS "http://127.0.0.1:${ports[i]}/" \
            > "$file" 2>&1 || true
        fi
        after=$(cpu_ticks "$pid")
        read -r rps p50 p99 errs < <(wrk_parse "$file")
        local secs=${DURATION%s}
        local us_per_req
        us_per_req=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v r="$rps" -v s="$secs" \
                     'BEGIN { n = r * s; printf "%.1f", (n > 0 ? d * 1e6 / hz / n : 0) }')
        echo "$workers $conns $round $t $rps $p50 $p99 $us_per_req $errs" >> "$OUT/results.tsv"
      done
    done
  done
  stop_all
}

: > "$OUT/results.tsv"
for w in $WORKERS_LIST; do run_profile "$w"; done

# Medians per (workers, conns, target), then ratios against the better peer.
awk '
  { key = $1 " " $2 " " $4; n[key]++; round_rps[$1 " " $2, $3, $4] = $5; rounds[$1 " " $2] = $3 + 1; rps[key, n[key]] = $5; p50[key, n[key]] = $6;
    p99[key, n[key]] = $7; cpu[key, n[key]] = $8; err[key] += $9; profiles[$1 " " $2] = 1 }
  function median(arr, key, cnt,   i, j, t, v) {
    for (i = 1; i <= cnt; i++) v[i] = arr[key, i]
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
  }
  # The median over the rounds of the req/s of a over that of b, each pair measured back to back: steadier
  # than the ratio of the medians.
  function round_ratio(p, a, b,   k, m, x, r) {
    m = 0
    for (k = 0; k < rounds[p]; k++) {
      x = round_rps[p, k, b]
      if (x > 0) { m++; r[p, m] = round_rps[p, k, a] / x }
    }
    rounds_used = m
    return median(r, p, m)
  }
  END {
    print "| workers | conns | target | req/s | p50 us | p99 us | CPU us/req | errors |"
    print "|---|---|---|---|---|---|---|---|"
    for (p in profiles) {
      split(p, pw, " ")
      delete r; delete c; delete q
      split("direct canaryd canaryd-prev canaryd-features canaryd-mirror canaryd-bare canaryd-full nginx haproxy", names, " ")
      for (ti = 1; ti <= 9; ti++) {
        t = names[ti]
        key = p " " t
        if (!(key in n)) continue
        r[t] = median(rps, key, n[key]); c[t] = median(cpu, key, n[key]); q[t] = median(p99, key, n[key])
        printf "| %s | %s | %s | %.0f | %.0f | %.0f | %.1f | %d |\n", pw[1], pw[2], t, r[t],
               median(p50, key, n[key]), q[t], c[t], err[key]
      }
      if (r["nginx"] > 0 && r["haproxy"] > 0 && r["canaryd"] > 0) {
        best = r["nginx"] > r["haproxy"] ? "nginx" : "haproxy"
        printf "| %s | %s | canaryd/nginx %.2fx, canaryd/haproxy %.2fx req/s; CPU/req vs %s %.2fx; p99 vs %s %.2fx | | | | | |\n",
               pw[1], pw[2], r["canaryd"] / r["nginx"], r["canaryd"] / r["haproxy"], best,
               c["canaryd"] / c[best], best, q["canaryd"] / q[best]
      }
      if (r["canaryd-prev"] > 0 && r["canaryd"] > 0) {
        x = round_ratio(p, "canaryd", "canaryd-prev")
        printf "| %s | %s | this build / PREV_BIN: %.3fx req/s (median of %d per-round ratios), CPU per request %.1f -> %.1f us | | | | | |\n",
               pw[1], pw[2], x, rounds_used, c["canaryd-prev"], c["canaryd"]
      }
      if (r["canaryd-features"] > 0 && r["canaryd"] > 0) {
        x = round_ratio(p, "canaryd-features", "canaryd")
        printf "| %s | %s | headers+rewrite+retries route / plain route: %.3fx req/s (median of %d per-round ratios), CPU per request %.1f -> %.1f us (%+.1f%%) | | | | | |\n",
               pw[1], pw[2], x, rounds_used, c["canaryd"], c["canaryd-features"],
               100 * (c["canaryd-features"] / c["canaryd"] - 1)
      }
      if (r["canaryd-mirror"] > 0 && r["canaryd"] > 0) {
        x = round_ratio(p, "canaryd-mirror", "canaryd")
        printf "| %s | %s | mirror 100%% route / plain route: %.3fx req/s (median of %d per-round ratios), p99 %.0f -> %.0f us (%.2fx), CPU per request %.1f -> %.1f us (copies included) | | | | | |\n",
               pw[1], pw[2], x, rounds_used, q["canaryd"], q["canaryd-mirror"],
               q["canaryd-mirror"] / q["canaryd"], c["canaryd"], c["canaryd-mirror"]
      }
      if (r["canaryd-full"] > 0 && r["canaryd-bare"] > 0) {
        x = round_ratio(p, "canaryd-full", "canaryd-bare")
        printf "| %s | %s | metrics+JSON access log keep %.1f%% of bare (median of %d per-round ratios; ratio of medians %.1f%%; CPU per request %.1f -> %.1f us) | | | | | |\n",
               pw[1], pw[2], 100 * x, rounds_used, 100 * r["canaryd-full"] / r["canaryd-bare"],
               c["canaryd-bare"], c["canaryd-full"]
      }
    }
  }' "$OUT/results.tsv" | tee "$OUT/table.md"
echo "raw results: $OUT" >&2
