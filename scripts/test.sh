#!/usr/bin/env bash
# Sets up the machine (Debian 12, as root), builds canaryd and runs the whole test suite twice:
# a release build, then an AddressSanitizer + UndefinedBehaviorSanitizer build. Also checks that
# the code is clang-formatted. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/check-format.sh

jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCANARYD_SANITIZE=ON -DCANARYD_BENCH=OFF
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900
echo "test.sh: all tests passed (release and asan+ubsan)"
