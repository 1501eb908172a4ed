#!/usr/bin/env bash
# Installs the end-to-end browser test's Node packages (tests/e2e: playwright-core, pinned by
# tests/e2e/package-lock.json) with `npm ci`. Idempotent: does nothing when
# tests/e2e/node_modules/playwright-core is present and not older than the lock file.
# The browser is Debian's chromium package (scripts/setup.sh); no browser is ever downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

e2e=tests/e2e
lock=$e2e/package-lock.json
# npm writes node_modules/.package-lock.json at the end of a successful install: its time
# marks the last complete install.
marker=$e2e/node_modules/.package-lock.json

if ! command -v npm >/dev/null 2>&1; then
  echo "e2e-deps.sh: npm not found on PATH (Node 20 or newer is needed for tests/e2e)" >&2
  exit 1
fi

if [[ -d $e2e/node_modules/playwright-core && -f $marker && ! $lock -nt $marker ]]; then
  echo "e2e-deps.sh: tests/e2e dependencies up to date"
  exit 0
fi

# Never fetch a browser: playwright-core has no install script, and this makes sure of it.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --prefix "$e2e" --no-audit --no-fund
# npm ci keeps the file times from the package; mark the install as newer than the lock file.
touch "$marker"
echo "e2e-deps.sh: tests/e2e dependencies installed"
