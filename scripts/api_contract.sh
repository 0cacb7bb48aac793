#!/usr/bin/env bash
# Contract test of the API against its own OpenAPI document with schemathesis: thousands of
# generated requests per role must never get a 5xx, only documented statuses, and answers
# that match the documented schemas.
# Usage: scripts/api_contract.sh [EXAMPLES=80]   (not run by CI: it installs schemathesis)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-80}
command -v st >/dev/null || pip install -q schemathesis
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
dir=$PWD/bench/out/contract
port=18190
[ -f "$dir/demo.json" ] || $x demo --enterprises 300 --months 24 --no-serve --data-dir "$dir" --listen 127.0.0.1:$port >/dev/null 2>&1
XINRONG_LOG=warn $x serve --data-dir "$dir" --listen 127.0.0.1:$port 2> "$dir.serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:$port/ready >/dev/null; do sleep 0.2; done
status=0
for role in bank_key guarantor_key operator_key regulator_key enterprise; do
  if [ "$role" = enterprise ]; then
    key=$(python3 -c "import json;print(json.load(open('$dir/demo.json'))['enterprises'][0]['key'])")
  else
    key=$(python3 -c "import json;print(json.load(open('$dir/demo.json'))['$role'])")
  fi
  echo "== $role"
  st run http://127.0.0.1:$port/openapi.json --header "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "$examples" | grep -E "generated|failure|passed" || status=1
done
exit $status
