#!/usr/bin/env bash
# Installs the pinned EVM toolchain (solc-js, anvil, snarkjs, and the EAS 1.8.0 contracts with
# their OpenZeppelin imports and solc-js 0.8.27 as `solc-eas`) into ./node_modules.
#
# Idempotent: runs `npm ci` only when node_modules is missing or older than the
# lockfile (npm writes node_modules/.package-lock.json on every install, so its
# content is compared with the committed lock's pins).
# Usage: scripts/ensure-tools.sh [TOOLS_DIR]   (default: the directory above this script)
set -euo pipefail

dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$dir"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ensure-tools: '$tool' not found on PATH; install Node.js >= 18 (it ships npm), e.g. from https://nodejs.org or your package manager" >&2
    exit 127
  fi
done

if [ ! -f package-lock.json ]; then
  echo "ensure-tools: $dir/package-lock.json is missing; the toolchain pins live there" >&2
  exit 1
fi

# Serialise concurrent callers (parallel test binaries): a second `npm ci` running
# while the first one writes node_modules would corrupt it.
if command -v flock >/dev/null 2>&1; then
  lock="${TMPDIR:-/tmp}/loopx-ensure-tools-$(printf '%s' "$dir" | cksum | cut -d' ' -f1).lock"
  exec 9>"$lock"
  flock 9
fi

stale=0
if [ ! -f node_modules/.package-lock.json ]; then
  stale=1
else
  # Stale when any pinned package is missing or at another version than the lock says.
  if ! node -e '
    const lock = require("./package-lock.json").packages;
    const have = require("./node_modules/.package-lock.json").packages;
    for (const [path, meta] of Object.entries(lock)) {
      if (path === "" || meta.optional) continue;
      if (!have[path] || have[path].version !== meta.version) process.exit(1);
    }
    for (const bin of [
      "solc/soljson.js",
      "solc-eas/soljson.js",
      "@foundry-rs/anvil/bin.mjs",
      "snarkjs/package.json",
      "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol",
      "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol",
      "@openzeppelin/contracts/package.json",
    ]) {
      require("fs").accessSync("node_modules/" + bin);
    }
  ' 2>/dev/null; then
    stale=1
  fi
fi

if [ "$stale" = 1 ]; then
  echo "ensure-tools: installing pinned npm tools in $dir" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
