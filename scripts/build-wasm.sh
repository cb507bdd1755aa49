#!/usr/bin/env bash
# Builds the browser bundle: the loopx-wasm crate for wasm32-unknown-unknown, bound by
# wasm-bindgen-cli into web/pkg/ (loopx_wasm.js + loopx_wasm_bg.wasm), next to the page and
# web/loopx.js that `loopx serve` serves. With --threads, also the multi-threaded bundle in
# web/pkg-threads/ (nightly: std rebuilt with atomics for wasm-bindgen-rayon's shared memory),
# which the page picks at run time when it is cross-origin isolated.
#
# Installs what it needs on first use: the wasm32 target (rustup) and wasm-bindgen-cli at exactly
# the wasm-bindgen version Cargo.lock pins (the CLI refuses a module made by another version);
# with --threads, nightly's rust-src and wasm32 target.
# Idempotent and quick when nothing changed. Usage: scripts/build-wasm.sh [--quiet] [--threads]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quiet=""
threads=""
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet="--quiet" ;;
    --threads) threads=1 ;;
    *) echo "build-wasm: unknown argument $arg (usage: scripts/build-wasm.sh [--quiet] [--threads])" >&2; exit 2 ;;
  esac
done
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

# Binds `module` into `out` unless it is bound there already (wasm-bindgen rewrites the files
# otherwise, and the page would reload them).
bind() {
  local module="$1" out="$2"
  mkdir -p "$out"
  local stamp="$out/.built-from"
  local want
  want="$(cksum < "$module" | cut -d' ' -f1) $version"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -f "$out/loopx_wasm_bg.wasm" ]; then
    log "binding $module into $out"
    rm -rf "$out/snippets"
    "$bindgen" --target web --no-typescript --out-dir "$out" "$module"
    echo "$want" > "$stamp"
  fi
  log "ready: $out ($(wc -c < "$out/loopx_wasm_bg.wasm") bytes of wasm)"
}

# The `wasm-release` profile (Cargo.toml: fat LTO, one codegen unit, no debug info).
log "building loopx-wasm (wasm-release profile, wasm32-unknown-unknown)"
cargo build --profile wasm-release --target wasm32-unknown-unknown -p loopx-wasm --target-dir target/wasm $quiet >&2
bind target/wasm/wasm32-unknown-unknown/wasm-release/loopx_wasm.wasm web/pkg

if [ -n "$threads" ]; then
  # `-Z build-std` is nightly-only. Pinned to the nightly the threaded build was tested with
  # (rustc 1.97.0-nightly e50aa6fba): a floating `nightly` would move under CI; LOOPX_NIGHTLY
  # names another.
  nightly="${LOOPX_NIGHTLY:-nightly-2026-05-20}"
  if ! rustup component list --toolchain "$nightly" --installed 2>/dev/null | grep -q '^rust-src' ||
    ! rustup target list --toolchain "$nightly" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "installing $nightly with rust-src and the wasm32 target (std is rebuilt with atomics)"
    rustup toolchain install "$nightly" --profile minimal --component rust-src --target wasm32-unknown-unknown >&2
  fi
  log "building loopx-wasm with threads ($nightly, +atomics, build-std)"
  # Shared, imported memory and the TLS exports wasm-bindgen's thread support needs (rustc does
  # not ask the linker for them on wasm32-unknown-unknown by itself).
  flags="-C target-feature=+atomics,+bulk-memory,+mutable-globals -C link-arg=--shared-memory"
  flags="$flags -C link-arg=--import-memory -C link-arg=--max-memory=4294967296"
  for symbol in __wasm_init_tls __tls_size __tls_align __tls_base; do flags="$flags -C link-arg=--export=$symbol"; done
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags" \
    cargo "+$nightly" build --profile wasm-release --target wasm32-unknown-unknown -p loopx-wasm --features threads \
    -Z build-std=panic_abort,std --target-dir target/wasm-threads $quiet >&2
  bind target/wasm-threads/wasm32-unknown-unknown/wasm-release/loopx_wasm.wasm web/pkg-threads
fi
