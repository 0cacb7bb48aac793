#!/usr/bin/env bash
# Early warnings against the generator's truth: gen (48 months, 2023-01..2026-12) → ingest →
# a scorecard fitted on 2023-12 (labels to 2024-12; tested on 2024-06) → `xinrong monitor
# warnings` at every month end of 2025 (out of time; outcomes known to 2026-12), with the share
# of defaults warned at least 30 days ahead next to an oracle that flags as many firms by their
# true PD, the median lead time, red precision against the base rate and the monthly
# red+yellow volume. The rules were set on seed 3; run other seeds to see them hold.
# Usage: bench/warnings.sh [SEED=11] [ENTERPRISES=10000]; XINRONG=path/to/binary to use another
# build. Output under bench/out/warnings-sSEED-N.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-11}; n=${2:-10000}
out=bench/out/warnings-s$seed-$n
if [ -z "${XINRONG:-}" ]; then
  cargo build --release -q -p xinrong
  XINRONG=$PWD/target/release/xinrong
fi
x=$XINRONG
rm -rf "$out"; mkdir -p "$out"
t() { local s; s=$(date +%s.%N); "$@"; echo "  ($(python3 -c "print(f'{$(date +%s.%N) - $s:.1f}')") s)"; }
echo "== seed $seed: $n enterprises × 48 months"
t $x gen --enterprises "$n" --months 48 --seed "$seed" --out "$out/raw" > /dev/null
t $x ingest --data-dir "$out/data" --all "$out/raw" > /dev/null
for d in 2023-12-31 2024-06-30; do
  $x indicators --data-dir "$out/data" --as-of $d --label-months 12 --truth "$out/raw/truth.csv" \
    --out "$out/ind-$d.parquet" > /dev/null
done
$x fit -q --train "$out/ind-2023-12-31.parquet" --test "$out/ind-2024-06-30.parquet" \
  --target bad --id uscc --out "$out/model.json" > "$out/fit.txt"
grep -A5 "^Performance" "$out/fit.txt" | tail -2
echo "== early warnings at every month end of 2025"
t $x monitor warnings --data-dir "$out/data" --model "$out/model.json" --from 2025-01 --to 2025-12 \
  --truth "$out/raw" --out "$out/warnings"
