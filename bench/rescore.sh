#!/usr/bin/env bash
# Rescoring a million enterprises whose indicators are already computed: the model's columns of
# a generated portfolio's indicators (bench/warnings.sh's, reused when present) repeated to
# 1,000,000 enterprises, scored by `xinrong score` (score, PD, grade, four reason codes per
# enterprise, CSV out), three runs (median). Usage: bench/rescore.sh [SEED=11] [N=12000].
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-11}; n=${2:-12000}
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
src=bench/out/warnings-s$seed-$n
out=bench/out/rescore-s$seed
mkdir -p "$out"
[ -f "$src/model.json" ] || bash bench/warnings.sh "$seed" "$n" > "$out/warnings.txt"
$x indicators --data-dir "$src/data" --as-of 2025-12-31 --out "$out/ind.csv" > /dev/null
python3 - "$src/model.json" "$out/ind.csv" "$out/million.csv" <<'PY'
import csv, json, sys
features = [f["name"] for f in json.load(open(sys.argv[1]))["features"]]
rows = list(csv.DictReader(open(sys.argv[2])))
with open(sys.argv[3], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["uscc"] + features)
    k = 0
    while k < 1_000_000:
        for r in rows:
            if k == 1_000_000:
                break
            w.writerow([f"{r['uscc']}-{k // len(rows)}"] + [r[c] for c in features])
            k += 1
print(f"1,000,000 enterprises × {len(features)} model columns")
PY
for k in 1 2 3; do
  /usr/bin/time -f "run $k: %e s wall, %M KB max RSS" $x score --model "$src/model.json" \
    --data "$out/million.csv" --id uscc --out "$out/scores.csv"
done
wc -l "$out/scores.csv"
