#!/usr/bin/env bash
# Installs every system dependency of canaryd from Debian 12 packages. Idempotent; run as root.
# Nothing else is installed by hand: what the build, the tests and the benchmarks need is listed here.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

packages=(
  # toolchain
  build-essential cmake pkg-config git clang-format
  # libraries (see README "Libraries")
  libyaml-dev libre2-dev libxxhash-dev node-llhttp libnghttp2-dev libssl-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # test and benchmark peers
  curl wrk nginx-light haproxy prometheus procps util-linux
  # the dashboard's end-to-end tests drive Debian's Chromium (tests/e2e)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# kubectl: a newer kubectl on PATH wins; otherwise Debian's kubernetes-client provides one.
if ! command -v kubectl >/dev/null 2>&1; then
  missing+=(kubernetes-client)
fi

if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node.js and npm install the dashboard's chart library (ui/) and the browser-test driver
# (tests/e2e, playwright-core); a newer Node.js on PATH wins, as for kubectl.
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends nodejs npm
fi
if ! node -e 'process.exit(+process.versions.node.split(".")[0] < 20 ? 1 : 0)'; then
  echo "setup.sh: Node.js $(node --version) is too old: playwright-core (tests/e2e) needs 20 or" \
    "newer (Debian 12's nodejs is 18; this kind of machine comes with 20)" >&2
  exit 1
fi
bash "$(dirname "$0")/ui-deps.sh"
bash "$(dirname "$0")/e2e-deps.sh"

# Debian's nginx and prometheus packages start system services; the tests start their own
# instances on free loopback ports, so the system ones are stopped when a service manager runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  systemctl disable --now nginx prometheus prometheus-node-exporter haproxy >/dev/null 2>&1 || true
fi
echo "setup.sh: all dependencies present"
