#!/usr/bin/env bash
# The lending market simulated on a generated portfolio, timed, and recomputed from its files:
# gen → ingest → indicators → scorecard fitted on 2023-06-30 (its labels end 2024-06, before the
# first loan) → every true financing need from 2024-07 to 2025-12 matched on the data up to the
# month before (`xinrong match --requests`: the applications, each with its product, limit,
# price, PD, score and grade) → `xinrong simulate`
# (three banks, two guarantors, the built-in scenario) → bench/simulate_check.py.
# Usage: bench/simulate.sh [SEED=11] [ENTERPRISES=10000]. Output under bench/out/simulate-sN-N.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-11}; n=${2:-10000}
out=bench/out/simulate-s$seed-$n
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
rm -rf "$out"; mkdir -p "$out"
t() { local s; s=$(date +%s.%N); "$@"; echo "  ($(python3 -c "print(f'{$(date +%s.%N) - $s:.1f}')") s)"; }
echo "== seed $seed: $n enterprises × 36 months"
t $x gen --enterprises "$n" --months 36 --seed "$seed" --out "$out/raw" > /dev/null
t $x ingest --data-dir "$out/data" --all "$out/raw" > /dev/null
for d in 2023-06-30 2023-12-31; do
  $x indicators --data-dir "$out/data" --as-of $d --label-months 12 --truth "$out/raw/truth.csv" \
    --out "$out/ind-$d.parquet" > /dev/null
done
$x fit -q --train "$out/ind-2023-06-30.parquet" --test "$out/ind-2023-12-31.parquet" \
  --target bad --id uscc --out "$out/model.json"
python3 - "$out/raw/needs.csv" "$out/requests.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["month"] >= "2024-07"]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["uscc", "month", "purpose", "amount"])
    for r in rows:
        w.writerow([r["uscc"], r["month"], r["purpose"], r["amount"]])
print(f"{len(rows)} applications (true needs from 2024-07 to 2025-12)")
PY
echo "== applications matched (product, limit, price, PD, score, grade)"
t $x match --data-dir "$out/data" --model "$out/model.json" --requests "$out/requests.csv" \
  --out "$out/applications.csv"
echo "== simulate: 3 banks, 2 guarantors, 4 agreements, month by month to 2025-12"
t $x simulate --applications "$out/applications.csv" --registry "$out/raw/registry.csv" \
  --truth "$out/raw/truth.csv" --out "$out/sim"
python3 bench/simulate_check.py "$out/sim"
