#!/usr/bin/env bash
# Replay speed: a draft decision flow (the built-in policy with its score cut-off raised from 520
# to 600) run over N recorded decisions. The decisions are those of a simulation
# (bench/simulate.sh SEED ENTERPRISES must have run), repeated with new application ids until
# there are N, so every input is one a bank's flow really saw.
# Usage: bench/replay.sh [N=1000000] [SIM=bench/out/simulate-s11-10000/sim]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}; sim=${2:-bench/out/simulate-s11-10000/sim}
[ -f "$sim/decisions.csv" ] || { echo "no $sim/decisions.csv: run bench/simulate.sh first" >&2; exit 1; }
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
out=bench/out/replay; mkdir -p "$out"
python3 - "$sim/decisions.csv" "$out/decisions-$n.csv" "$n" <<'PY'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.DictReader(open(src)))
with open(dst, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=rows[0].keys())
    w.writeheader()
    for i in range(n):
        r = dict(rows[i % len(rows)])
        r["application"] = f"{r['application']}#{i // len(rows)}"
        w.writerow(r)
print(f"{n} decisions written from {len(rows)} simulated ones")
PY
sed 's/"< 520"/"< 600"/' crates/credit/flows/credit_decision.json > "$out/draft.json"
grep -q '"< 600"' "$out/draft.json"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: wall %e s, max RSS %M KB" $x replay --decisions "$out/decisions-$n.csv" \
    --flow "$out/draft.json" --out "$out/diff.json" 2>&1 | tail -4
done
