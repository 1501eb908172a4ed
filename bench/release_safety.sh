#!/usr/bin/env bash
# Runs bench/release_safety (canaryd's canary analysis against Flagger's policy on the same
# simulated traffic) on one core, pinned like the other benchmarks, and keeps its tables. The
# program is single-threaded and deterministic: the tables depend only on the seeds and the
# flags, the pinning only keeps the run from disturbing (and being slowed by) the rest.
#
#   bash bench/release_safety.sh [build-dir] [release_safety flags...]
#   e.g. bash bench/release_safety.sh build --healthy-seeds 5000
# Knobs (environment): CPU [1] the core to pin to; OUT [$TMPDIR/release-safety-<date>.md].
# Build first: cmake --build build -j2 --target release_safety
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
bin="$build/bench/release_safety"
if [[ ! -x "$bin" ]]; then
  echo "release_safety.sh: no $bin; build it with: cmake --build $build -j2 --target release_safety" >&2
  exit 1
fi
out=${OUT:-${TMPDIR:-/tmp}/release-safety-$(date +%Y%m%d-%H%M%S).md}
mkdir -p "$(dirname "$out")"
taskset -c "${CPU:-1}" "$bin" "$@" | tee "$out"
echo "release_safety.sh: tables in $out" >&2
