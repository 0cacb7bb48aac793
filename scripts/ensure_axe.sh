#!/usr/bin/env bash
# axe-core (the accessibility rules engine, from npm) under target/axe-core, for the console's
# browser test. Pinned to one version; installed once per checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION=4.10.3
if [ -f target/axe-core/node_modules/axe-core/axe.min.js ] \
  && grep -q "\"version\": \"$AXE_VERSION\"" target/axe-core/node_modules/axe-core/package.json; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
mkdir -p target/axe-core
npm install --silent --no-audit --no-fund --prefix target/axe-core "axe-core@$AXE_VERSION" >/dev/null
test -f target/axe-core/node_modules/axe-core/axe.min.js
