#!/usr/bin/env bash
# The main job: sets up the machine (Debian 12, as root), builds only the binaries (canaryd, the
# demo app, canaryctl; no tests) and runs `canaryd demo`: the walkthrough of canary releases in
# three acts on loopback, with the site at http://127.0.0.1:8080/ and the dashboard at
# http://127.0.0.1:15000/ui/. Flags go to the demo (e.g. --non-interactive, --no-traffic,
# --rate 100, --interval 10s); Ctrl-C stops it and everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build-main -DCMAKE_BUILD_TYPE=Release -DCANARYD_TESTS=OFF -DCANARYD_BENCH=OFF
cmake --build build-main -j"$(nproc)" --target canaryd canary-demoapp canaryctl
exec build-main/bin/canaryd demo "$@"
