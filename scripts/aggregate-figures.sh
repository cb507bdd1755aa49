#!/usr/bin/env bash
# Figures of docs/aggregation.md: for each N given (default "2 8"), the time and peak memory of
# `loopx aggregate` over N proofs of the bundled sybil_lr model (the first run for an N includes
# its key generation; a second run re-derives the proving key from the saved setup), then the
# gas of `verifyProof` and of `WalletAttributes.submitBatch` for the aggregate (`loopx evm`).
#
#   scripts/aggregate-figures.sh 2 8 32       # WORK=DIR keeps the files, SRS=FILE reuses an SRS
#
# Heavy: N = 8 takes about 15 minutes and 20 GB on 2 cores (LOOPX_AGG_K=20: 8 minutes, 13 GB);
# N = 32 does not fit 24 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
NS=${*:-2 8}
MAX=$(echo $NS | tr ' ' '\n' | sort -n | tail -1)
# The aggregation k: LOOPX_AGG_K for every N, or loopx's default 19 + ⌈log2 N⌉ (at least 20);
# the SRS is made for the largest.
default_k() { local n=$1 k=19 p=1; while [ "$p" -lt "$n" ]; do p=$((p * 2)); k=$((k + 1)); done; [ "$k" -lt 20 ] && k=20; echo "$k"; }
K=${LOOPX_AGG_K:-$(default_k "$MAX")}
WORK=${WORK:-$(mktemp -d)}
LOOPX=${LOOPX:-target/release/loopx}
MODEL=sybil_lr
mkdir -p "$WORK"
echo "work directory: $WORK (aggregation k = $K)" >&2

if [ ! -f "$WORK/pkg/model.json" ]; then
  "$LOOPX" compile "fixtures/$MODEL.onnx" --calibration "fixtures/$MODEL.calibration.json" \
    --schema "fixtures/$MODEL.schema.toml" -o "$WORK/pkg" >&2
fi
SRS=${SRS:-$WORK/srs-k$K.bin}
[ -f "$SRS" ] || "$LOOPX" srs new --k "$K" --dev -o "$SRS" >&2
[ -f "$WORK/pkg/vk.bin" ] || "$LOOPX" setup "$WORK/pkg" --srs "$SRS" --dev-srs >&2

if [ ! -d "$WORK/proofs" ]; then
  head -n "$MAX" fixtures/wallets.jsonl > "$WORK/rows.jsonl"
  "$LOOPX" batch "$WORK/pkg" --inputs "$WORK/rows.jsonl" -o "$WORK/proofs" --for-aggregation >&2
fi

for N in $NS; do
  dir="$WORK/proofs-$N"
  mkdir -p "$dir"
  ls "$WORK/proofs"/*.json | head -n "$N" | xargs -I{} cp {} "$dir/"
  # The first run for an N makes the keys; REDERIVE=1 adds a second that re-derives the proving
  # key from the saved setup (what every later run over new proofs pays once).
  runs="keygen"; [ -n "${REDERIVE:-}" ] && runs="keygen rederive"
  for run in $runs; do
    rm -rf "$WORK/agg-$N"
    [ "$run" = keygen ] && rm -rf "$WORK/pkg/aggregate-$N"
    /usr/bin/time -v "$LOOPX" aggregate "$WORK/pkg" "$dir" -o "$WORK/agg-$N" --max "$N" \
      --srs "$SRS" --dev-srs --k "${LOOPX_AGG_K:-$(default_k "$N")}" --json > "$WORK/aggregate-$N-$run.json" 2> "$WORK/aggregate-$N-$run.time"
    wall=$(grep "Elapsed (wall clock)" "$WORK/aggregate-$N-$run.time" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/aggregate-$N-$run.time" | awk '{print $NF}')
    echo "N=$N $run: wall $wall, peak RSS $((rss / 1024)) MiB, $(grep -o '"seconds":[0-9.]*' "$WORK/aggregate-$N-$run.json")"
  done
  "$LOOPX" evm "$WORK/pkg" "$WORK/agg-$N/aggregate-00000.json" --json > "$WORK/evm-$N.json"
  python3 - "$WORK/evm-$N.json" "$N" <<'PY'
import json, sys
v = json.load(open(sys.argv[1])); n = int(sys.argv[2])
print(f"N={n}: verifyProof {v['gas_used']} gas ({v['gas_used']/n:.0f}/wallet), "
      f"submitBatch {v['submit_batch_gas']} gas ({v['submit_batch_gas_per_wallet']:.0f}/wallet), "
      f"rewrite {v['submit_batch_rewrite_gas']} gas, verifier {v['deployed_bytes']} bytes in "
      f"{[c['deployed_bytes'] for c in v['contracts']]}")
PY
done
