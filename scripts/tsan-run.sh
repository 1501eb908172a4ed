#!/usr/bin/env bash
# Runs a command (normally ctest on the ThreadSanitizer build) the way TSan needs it here:
#
# - GCC 12's TSan (Debian 12) maps its shadow memory at fixed addresses and aborts at start with
#   "FATAL: ThreadSanitizer: unexpected memory mapping" when the kernel randomizes mmap over more
#   than 28 bits (vm.mmap_rnd_bits = 32 on newer kernels), at random. So the command runs with
#   address-space randomization off (setarch -R, inherited by every process it starts). Where
#   that is refused (a container's seccomp profile may forbid personality()), and only then,
#   vm.mmap_rnd_bits is lowered to 28 for the run (as root) and restored afterwards.
# - Every TSan-built process (the test binaries, and the canaryd, canaryctl and canary-demoapp
#   processes the integration tests start, whose output a passing test discards) writes its
#   reports into REPORT_DIR and stops at the first one (halt_on_error). Any report fails the run
#   and is printed.
#
# usage: scripts/tsan-run.sh REPORT_DIR COMMAND [ARGS...]
set -euo pipefail
report_dir=$1
shift
rm -rf "$report_dir"
mkdir -p "$report_dir"
report_dir=$(cd "$report_dir" && pwd)

runner=()
restore_rnd_bits=""
if setarch "$(uname -m)" -R true 2>/dev/null; then
  runner=(setarch "$(uname -m)" -R)
elif bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null) && ((bits > 28)); then
  if ! sysctl -q -w vm.mmap_rnd_bits=28; then
    echo "tsan-run.sh: ASLR cannot be turned off (setarch -R) and vm.mmap_rnd_bits=$bits cannot" \
      "be lowered to 28: ThreadSanitizer would abort (run as root, or outside a container)" >&2
    exit 1
  fi
  restore_rnd_bits=$bits
  trap 'sysctl -q -w vm.mmap_rnd_bits="$restore_rnd_bits"' EXIT
fi

options="halt_on_error=1:second_deadlock_stack=1:log_path=$report_dir/tsan"
status=0
TSAN_OPTIONS="$options${TSAN_OPTIONS:+:$TSAN_OPTIONS}" "${runner[@]}" "$@" || status=$?
shopt -s nullglob
reports=("$report_dir"/tsan.*)
if ((${#reports[@]})); then
  for r in "${reports[@]}"; do
    echo "=== ThreadSanitizer report $r"
    cat "$r"
  done
  echo "tsan-run.sh: ${#reports[@]} process(es) reported by ThreadSanitizer" >&2
  ((status != 0)) || status=1
fi
exit "$status"
