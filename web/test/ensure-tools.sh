#!/usr/bin/env bash
# Installs what the real-browser test needs: Debian's Chromium (apt-get, when no `chromium` is on
# PATH) and the pinned puppeteer-core (npm ci, when node_modules is missing or differs from the
# lock). Idempotent; prints the Chromium path on stdout. Usage: web/test/ensure-tools.sh
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$dir"

if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/loopx-browser-tools.lock"
  flock 9
fi

if ! command -v chromium >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: no chromium on PATH and no apt-get to install it; install Chromium" >&2
    exit 127
  fi
  echo "ensure-tools: installing Debian's chromium (apt-get)" >&2
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends chromium >&2
fi

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ensure-tools: '$tool' not found; install Node.js >= 18" >&2; exit 127; }
done
if ! node -e '
  const lock = require("./package-lock.json").packages;
  const have = require("./node_modules/.package-lock.json").packages;
  for (const [path, meta] of Object.entries(lock)) {
    if (path === "" || meta.optional) continue;
    if (!have[path] || have[path].version !== meta.version) process.exit(1);
  }' 2>/dev/null; then
  echo "ensure-tools: installing pinned puppeteer-core in $dir" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
command -v chromium
