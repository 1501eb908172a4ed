#!/usr/bin/env bash
# Sets up the machine (Debian 12, as root), builds canaryd and runs the main job: canaryd with
# the walkthrough's configuration (examples/walkthrough). Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"

build/bin/canaryctl validate -f examples/walkthrough
exec build/bin/canaryd -f examples/walkthrough
