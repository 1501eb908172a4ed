#!/usr/bin/env bash
# Sets up the machine (Debian 12, as root), builds canaryd and runs the main job: the
# walkthrough's two web versions (canary-demoapp v1 on :8081 and v2 on :8082) behind canaryd,
# which serves the walkthrough's configuration (examples/walkthrough) on Gateway port 80 mapped
# to :8080, with its resource API on 127.0.0.1:15000. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
build/bin/canaryctl validate -f examples/walkthrough

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
build/bin/canary-demoapp --version v1 --port 8081 &
pids+=($!)
build/bin/canary-demoapp --version v2 --port 8082 &
pids+=($!)

cat <<'TEXT'
canaryd is starting. Try, from another terminal:
  curl http://127.0.0.1:8080/                     # v1 (open it in a browser for the page)
  build/bin/canaryctl kubeconfig > /tmp/canaryd.kubeconfig
  KUBECONFIG=/tmp/canaryd.kubeconfig kubectl get vs
  KUBECONFIG=/tmp/canaryd.kubeconfig kubectl apply -f examples/walkthrough/steps/web-gateway-virtualservice-90-10.yaml
  curl http://127.0.0.1:15000/stats/destinations?window=30s
TEXT
build/bin/canaryd -f examples/walkthrough --port-map 80=8080 --data-dir "${CANARYD_DATA_DIR:-./canaryd-data}" &
pids+=($!)
wait "${pids[-1]}"
