#!/usr/bin/env bash
# Stress tests at the issue's size: a 10,000-loan portfolio whose PDs come from the champion
# scorecard (fitted by bench/warnings.sh on the same generated portfolio, reused when present),
# industries and regions from the registry, exposures 0.5–5 million, collateral on a third of
# the loans, a guarantor (80% share) on another third; a million draws under the baseline
# (Vasicek, Basel SME correlations) and under the downturn scenario (macro −2σ, industry and
# region factors, PD ×1.8 for batteries and electronics, collateral −30%), three runs each
# (medians). Then the closed-form checks: a homogeneous portfolio of 10,000 loans (PD 2%,
# ρ 0.15, a million draws) against Vasicek's finite-portfolio law and the large-portfolio
# limit (bench/vasicek_check.py).
# Usage: bench/stress.sh [SEED=11] [ENTERPRISES=12000]. Output under bench/out/stress-sSEED.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-11}; n=${2:-12000}
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
src=bench/out/warnings-s$seed-$n
out=bench/out/stress-s$seed
mkdir -p "$out"
if [ ! -f "$src/model.json" ]; then
  echo "== no $src: running bench/warnings.sh $seed $n for the portfolio and its model"
  bash bench/warnings.sh "$seed" "$n" > "$out/warnings.txt"
fi
$x indicators --data-dir "$src/data" --as-of 2025-12-31 --out "$out/ind.parquet" > /dev/null
$x score --model "$src/model.json" --data "$out/ind.parquet" --id uscc --out "$out/scores.csv"
python3 - "$src/raw/registry.csv" "$out/scores.csv" "$out/portfolio.csv" "$seed" <<'PY'
import csv, random, sys
registry = {r["uscc"]: r for r in csv.DictReader(open(sys.argv[1]))}
rng = random.Random(int(sys.argv[4]))
scored = [r for r in csv.DictReader(open(sys.argv[2])) if r["uscc"] in registry]
# Exactly 10,000 loans: firms beyond the first take a second loan when there are fewer.
rows = [scored[i % len(scored)] for i in range(10000)]
with open(sys.argv[3], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["loan_id", "enterprise", "industry", "region", "exposure", "pd", "lgd",
                "collateral", "guarantor", "guaranteed_share"])
    for i, r in enumerate(rows):
        exposure = rng.randint(50, 500) * 10000
        kind = i % 3
        collateral = round(exposure * rng.uniform(0.3, 0.8), -4) if kind == 1 else 0
        guarantor = ("G1" if i % 2 else "G2") if kind == 2 else ""
        w.writerow([f"L{i:05d}", r["uscc"], registry[r["uscc"]]["industry"],
                    registry[r["uscc"]]["region"], exposure, r["pd"], 0.45, collateral,
                    guarantor, "0.8" if guarantor else ""])
print(f"{len(rows)} loans written")
PY
for s in baseline downturn; do
  scen=crates/monitor/scenarios/$s.toml
  for k in 1 2 3; do
    /usr/bin/time -f "%e s wall, %M KB" $x stress --portfolio "$out/portfolio.csv" --scenario "$scen" \
      --draws 1000000 --quiet --out "$out/$s" > "$out/$s-$k.txt" 2> "$out/$s-$k.time"
    echo "$s run $k: $(tail -1 "$out/$s-$k.txt") [$(cat "$out/$s-$k.time")]"
  done
done
cat "$out/downturn-1.txt"
echo "== Vasicek checks on a homogeneous portfolio"
python3 - "$out/homogeneous.csv" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["loan_id", "exposure", "pd", "lgd"])
    for i in range(10000):
        w.writerow([f"H{i:05d}", 1, 0.02, 1.0])
PY
cat > "$out/homogeneous.toml" <<'TOML'
name = "homogeneous"
seed = 3
draws = 1000000
levels = [0.99, 0.999]
[model]
rho = 0.15
TOML
/usr/bin/time -f "%e s wall" $x stress --portfolio "$out/homogeneous.csv" --scenario "$out/homogeneous.toml" \
  --quiet --out "$out/homogeneous" | tail -1
python3 bench/vasicek_check.py "$out/homogeneous/summary.json" 10000 0.02 0.15
