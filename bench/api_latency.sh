#!/usr/bin/env bash
# Latency of canaryd's resource API: starts canaryd (temporary data directory, free port), runs
# bench/api_latency (HTTP level: 1,000 sequential applies, then a list with 10,000
# VirtualServices stored), then times the real kubectl: sequential `kubectl apply` runs and
# `kubectl get vs` with the 10,000 VirtualServices. Stops canaryd by its PID.
#
#   bash bench/api_latency.sh [build-dir] [kubectl-applies]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kubectl_applies=${2:-1000}
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$build/bin/canaryd" --admin 127.0.0.1:0 --admin-port-file "$tmp/port" --data-dir "$tmp/data" \
  --log-level warn &
pid=$!
for _ in $(seq 200); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
port=$(cat "$tmp/port")
server="http://127.0.0.1:$port"
echo "canaryd pid $pid on $server, data in $tmp/data"
echo
"$build/bench/api_latency" --server "$server" --applies 1000 --objects 10000 --lists 20

percentiles() {  # stdin: one number (ms) per line
  sort -n | awk '{v[NR]=$1} END {
    p50=v[int(0.50*(NR-1)+1.5)]; p90=v[int(0.90*(NR-1)+1.5)]; p99=v[int(0.99*(NR-1)+1.5)];
    printf "n=%d p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms\n", NR, p50, p90, p99, v[NR] }'
}

if ! command -v kubectl >/dev/null; then
  echo "kubectl not found: skipping the kubectl measurements"
  exit 0
fi
export KUBECONFIG="$tmp/kubeconfig" HOME="$tmp"
"$build/bin/canaryctl" --server "$server" kubeconfig > "$KUBECONFIG"
kubectl get vs vs-00000 > /dev/null  # warm kubectl's discovery cache

echo
echo "kubectl apply -f (a new process each time), the weight changing every time:"
for i in $(seq "$kubectl_applies"); do
  w=$(( i % 2 == 0 ? 90 : 80 ))
  sed "s/weight: 90/weight: $w/; s/weight: 10/weight: $((100 - w))/" \
    examples/walkthrough/steps/web-gateway-virtualservice-90-10.yaml > "$tmp/vs.yaml"
  t0=$(date +%s%N)
  kubectl apply -f "$tmp/vs.yaml" > /dev/null 2>&1
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
done | percentiles

echo "kubectl get vs (Table), 10,001 VirtualServices stored:"
for _ in $(seq 10); do
  t0=$(date +%s%N); kubectl get vs > /dev/null; t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
done | percentiles
echo "kubectl get vs -o json, 10,001 VirtualServices stored:"
for _ in $(seq 5); do
  t0=$(date +%s%N); kubectl get vs -o json > /dev/null; t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
done | percentiles
