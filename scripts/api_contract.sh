#!/usr/bin/env bash
# Contract test of the API against its own OpenAPI document with schemathesis, on SQLite and on
# PostgreSQL: generated requests as every role must never get a 5xx, only documented statuses,
# and answers that match the documented schemas.
#
# Usage: scripts/api_contract.sh [EXAMPLES=80] [STORES="sqlite postgres"]
#   XINRONG_BIN   the xinrong binary (default: a release build, made if needed)
#   XINRONG_TEST_PG_URL   the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test)
# schemathesis is installed into a virtual environment under target/ on first use.
# `.ci/run` runs it with a small EXAMPLES on the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-80}
stores=${2:-"sqlite postgres"}
pg=${XINRONG_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
venv=$PWD/target/contract-venv
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis>=4.30,<5"
fi
x=${XINRONG_BIN:-}
if [ -z "$x" ]; then
  cargo build --release -q -p xinrong
  x=$PWD/target/release/xinrong
fi
out=$PWD/target/contract
rm -rf "$out"; mkdir -p "$out"
port=18190
status=0

run_store() {
  local name=$1 db=$2 dir=$out/$1
  echo "== store $name"
  "$x" demo --enterprises 300 --months 24 --no-serve --data-dir "$dir" --listen 127.0.0.1:$port \
    ${db:+--db "$db"} > "$dir.demo.log" 2>&1 || { cat "$dir.demo.log"; return 1; }
  # Limits off: this run is about the API's answers, not about throttling a fuzzer.
  XINRONG_LOG=warn "$x" serve --data-dir "$dir" --listen 127.0.0.1:$port --rate-limit off \
    ${db:+--db "$db"} 2> "$dir.serve.log" &
  local pid=$!
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$port/ready >/dev/null && break; sleep 0.2; done
  for role in bank_key guarantor_key operator_key regulator_key enterprise; do
    local key
    if [ "$role" = enterprise ]; then
      key=$(python3 -c "import json;print(json.load(open('$dir/demo.json'))['enterprises'][0]['key'])")
    else
      key=$(python3 -c "import json;print(json.load(open('$dir/demo.json'))['$role'])")
    fi
    echo "-- $name as $role"
    if ! "$venv/bin/st" run http://127.0.0.1:$port/openapi.json --header "Authorization: Bearer $key" \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance \
        --max-examples "$examples" --no-color > "$dir.$role.txt" 2>&1; then
      status=1
      tail -40 "$dir.$role.txt"
    else
      grep -E "test cases|passed|generated" "$dir.$role.txt" | tail -3 || true
    fi
  done
  kill -TERM $pid; wait $pid || true
  if grep -q "panicked" "$dir.serve.log"; then
    echo "the server panicked:"; grep -A5 panicked "$dir.serve.log"; status=1
  fi
}

for store in $stores; do
  case $store in
    sqlite) run_store sqlite "" || status=1 ;;
    postgres)
      schema=xr_contract_$(date +%s)
      psql "$pg" -qc "CREATE SCHEMA $schema" >/dev/null
      run_store postgres "$pg?options[search_path]=$schema" || status=1
      psql "$pg" -qc "DROP SCHEMA $schema CASCADE" >/dev/null || true
      ;;
    *) echo "unknown store $store"; exit 2 ;;
  esac
done
if [ $status -eq 0 ]; then echo "contract: every role on every store passed"; fi
exit $status
