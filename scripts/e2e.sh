#!/usr/bin/env bash
# End to end on generated data: gen → ingest → indicators as of three dates → fit on the first
# two pooled, test out of time on the third → compare the test AUC with the generator's oracle AUC.
# Usage: scripts/e2e.sh [ENTERPRISES] (default 10000). Output under bench/out/e2e-N.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
out=bench/out/e2e-$n${SEED:+-s$SEED}
cargo build --release -q
x=target/release/xinrong
rm -rf "$out"
mkdir -p "$out"
t() { local s; s=$(date +%s.%N); "$@"; echo "  ($(python3 -c "print(f'{$(date +%s.%N) - $s:.1f}')") s)"; }
echo "== generate $n enterprises × 36 months"
t $x gen --enterprises "$n" --months 36 --seed "${SEED:-7}" --out "$out/raw"
echo "== ingest"
t $x ingest --data-dir "$out/data" --all "$out/raw"
echo "== indicators (train: as of 2023-12-31 and 2024-06-30, pooled; test: as of 2024-12-31; label: default within 12 months)"
t $x indicators --data-dir "$out/data" --as-of 2023-12-31 --label-months 12 --truth "$out/raw/truth.csv" \
  --out "$out/train-2023-12.parquet"
t $x indicators --data-dir "$out/data" --as-of 2024-06-30 --label-months 12 --truth "$out/raw/truth.csv" \
  --out "$out/train.parquet" --dictionary-out "$out/dictionary.csv"
t $x indicators --data-dir "$out/data" --as-of 2024-12-31 --label-months 12 --truth "$out/raw/truth.csv" \
  --out "$out/test.parquet"
echo "== fit on the two earlier dates pooled, test out of time on the last"
t $x fit -q --train "$out/train-2023-12.parquet" --train "$out/train.parquet" --test "$out/test.parquet" --target bad --id uscc \
  --dictionary "$out/dictionary.csv" --out "$out/model.json"
