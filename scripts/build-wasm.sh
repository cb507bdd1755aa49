#!/usr/bin/env bash
# Builds the browser bundle: the loopx-wasm crate for wasm32-unknown-unknown, bound by
# wasm-bindgen-cli into web/pkg/ (loopx_wasm.js + loopx_wasm_bg.wasm), next to the page and
# web/loopx.js that `loopx serve` serves.
#
# Installs what it needs on first use: the wasm32 target (rustup) and wasm-bindgen-cli at exactly
# the wasm-bindgen version Cargo.lock pins (the CLI refuses a module made by another version).
# Idempotent and quick when nothing changed. Usage: scripts/build-wasm.sh [--quiet]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quiet=""
[ "${1:-}" = "--quiet" ] && quiet="--quiet"
log() { [ -n "$quiet" ] || echo "build-wasm: $*" >&2; }

# Serialise concurrent callers (parallel test binaries).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/loopx-build-wasm-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
  flock 9
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "$version" ]; then
  echo "build-wasm: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
tools="$root/target/wasm-tools"
bindgen="$tools/bin/wasm-bindgen"
if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version | awk '{print $2}')" != "$version" ]; then
  log "installing wasm-bindgen-cli $version into $tools"
  # --locked first (the CLI's own pins); a registry mirror that lacks one of them gets a fresh
  # resolution instead.
  cargo install wasm-bindgen-cli --version "=$version" --locked --root "$tools" $quiet >&2 ||
    cargo install wasm-bindgen-cli --version "=$version" --root "$tools" $quiet >&2
fi

log "building loopx-wasm (release, wasm32-unknown-unknown)"
cargo build --release --target wasm32-unknown-unknown -p loopx-wasm --target-dir target/wasm $quiet >&2
module="target/wasm/wasm32-unknown-unknown/release/loopx_wasm.wasm"

out="web/pkg"
mkdir -p "$out"
stamp="$out/.built-from"
# Re-bind only when the module or the CLI changed (wasm-bindgen rewrites the files otherwise).
want="$(cksum < "$module" | cut -d' ' -f1) $version"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -f "$out/loopx_wasm_bg.wasm" ]; then
  log "binding $module into $out"
  "$bindgen" --target web --no-typescript --out-dir "$out" "$module"
  echo "$want" > "$stamp"
fi
log "ready: $out ($(wc -c < "$out/loopx_wasm_bg.wasm") bytes of wasm)"
