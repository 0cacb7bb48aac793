#!/usr/bin/env bash
# Financing quality and batch speed on a generated portfolio, against the generator's truth:
# gen → ingest → indicators → scorecard (as scripts/e2e.sh) → need signals for every month-end
# of the last year (timed), their recall and precision next to the oracle's and the forecast's
# MASE next to the seasonal-naive forecast's (bench/signals_quality.py) → every true need of
# the last year matched on the data up to the month before (timed), top-1 accuracy and
# precision@3 next to the oracle's (bench/matching_quality.py). The tuning used seed 3; run
# other seeds to see the figures hold on portfolios the tuning never saw.
# Usage: bench/financing.sh [SEED=11] [ENTERPRISES=10000]. Output under bench/out/financing-sN.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-11}; n=${2:-10000}
out=bench/out/financing-s$seed-$n
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
rm -rf "$out"; mkdir -p "$out"
t() { local s; s=$(date +%s.%N); "$@"; echo "  ($(python3 -c "print(f'{$(date +%s.%N) - $s:.1f}')") s)"; }
echo "== seed $seed: $n enterprises × 36 months"
t $x gen --enterprises "$n" --months 36 --seed "$seed" --out "$out/raw" > /dev/null
t $x ingest --data-dir "$out/data" --all "$out/raw" > /dev/null
for d in 2023-12-31 2024-06-30 2024-12-31; do
  $x indicators --data-dir "$out/data" --as-of $d --label-months 12 --truth "$out/raw/truth.csv" \
    --out "$out/ind-$d.parquet" > /dev/null
done
$x fit -q --train "$out/ind-2023-12-31.parquet" --train "$out/ind-2024-06-30.parquet" \
  --test "$out/ind-2024-12-31.parquet" --target bad --id uscc --out "$out/model.json"
echo "== need signals, every month-end of 2025 (MSTL), and the seasonal-naive baseline"
t $x signals --data-dir "$out/data" --as-of 2024-12 --to 2025-11 --out "$out/signals.csv" \
  --forecasts-out "$out/forecasts.csv"
$x signals --data-dir "$out/data" --as-of 2024-12 --to 2025-11 --method naive \
  --out "$out/signals-naive.csv" --forecasts-out "$out/forecasts-naive.csv" > /dev/null
python3 bench/signals_quality.py "$out/raw" "$out/signals.csv" "$out/forecasts.csv" "$out/forecasts-naive.csv"
echo "== every true need of 2025 matched on the data up to the month before"
python3 - "$out/raw/needs.csv" "$out/requests.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["month"] >= "2025-01"]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["uscc", "month", "purpose", "amount"])
    for r in rows:
        w.writerow([r["uscc"], r["month"], r["purpose"], r["amount"]])
print(f"{len(rows)} needs")
PY
t $x match --data-dir "$out/data" --model "$out/model.json" --requests "$out/requests.csv" \
  --out "$out/matches.csv" --offers-out "$out/offers.csv"
python3 bench/matching_quality.py "$out/raw" "$out/matches.csv" --from 2025-01
