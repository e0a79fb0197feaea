#!/usr/bin/env bash
# The README's main job on a fresh machine: install system tools and npm dependencies, build, then
# run `ambit demo` (brings up a local multi-node mesh in network namespaces and proves it works).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "ambit demo needs root: it creates network namespaces, veth links and nftables rules." >&2
  echo "Run it as root, e.g.: sudo $0" >&2
  exit 1
fi
bash scripts/setup-system.sh
. scripts/node-headers.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
exec node packages/cli/bin/ambit.js demo "$@"
