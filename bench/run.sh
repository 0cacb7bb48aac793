#!/usr/bin/env bash
# Side-by-side benchmarks of xinrong against the Python peers, on this machine, in one run.
# Usage: bench/run.sh [--quick]   (writes bench/out/*.json and prints a Markdown section that
# is also appended to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${XINRONG_PEERS_VENV:-$HOME/.cache/xinrong-peers}
if [ ! -x "$VENV/bin/python" ]; then
  bash ../shared/bench/setup-peers.sh "$VENV"
fi
cargo build --release -q
mkdir -p bench/out
"$VENV/bin/python" bench/run_bench.py --python "$VENV/bin/python" "$@"
