#!/usr/bin/env bash
# Scores the shared test sets with an independent PMML evaluator (pypmml, which runs on Java)
# and compares with `xinrong score` row for row (scripts/pmml_check.py). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi
VENV=${XINRONG_PMML_VENV:-$HOME/.cache/xinrong-pmml}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pypmml, pandas" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pandas==2.3.3 pypmml==1.5.8
fi
# The binary `cargo test` builds for the integration tests, with the same features: neither a
# release build nor a plain `cargo build` (whose feature set differs) rebuilds the tree.
cargo test -q --no-run --workspace
"$VENV/bin/python" scripts/pmml_check.py --xinrong target/debug/xinrong
