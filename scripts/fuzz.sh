#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz / libFuzzer) of every parser of outside data.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]
#   SECONDS_PER_TARGET  default 600
#   TARGET              default: every target in fuzz/fuzz_targets
# Targets run one at a time (one process), each from a working corpus fuzz/corpus/<target>
# seeded from the committed fuzz/seeds/<target>. Crashes land in fuzz/artifacts/<target>.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-600}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz/fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi

# Release with debug assertions and overflow checks (integer overflow panics). Parsers are safe
# Rust, so no sanitizer: we look for panics, overflows, OOM and timeouts.
build_flags=(-O --debug-assertions --sanitizer none)
(cd fuzz && cargo +nightly fuzz build "${build_flags[@]}")

summary=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  artifacts="fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "fuzz/seeds/$target" ]; then
    cp -n "fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
  fi
  log="fuzz/artifacts/$target.log"
  echo "== $target: ${seconds}s"
  status=0
  (cd fuzz && cargo +nightly fuzz run "${build_flags[@]}" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1) >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  crashes=$(find "$artifacts" -type f | wc -l)
  summary+=("$target: seconds=$seconds executions=${execs:-?} crashes=$crashes exit=$status (log: $log)")
  echo "${summary[-1]}"
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
