#!/usr/bin/env bash
# Installs the dashboard's browser-side library (uPlot, pinned in ui/package-lock.json) from the
# npm registry into ui/node_modules, where the build embeds it in the canaryd binary. Idempotent:
# nothing is fetched when the installed tree matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [[ ! -f node_modules/uplot/dist/uPlot.iife.min.js || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
