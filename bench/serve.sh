#!/usr/bin/env bash
# Load test of the full query path (auth, consent check, scoring, ledger receipt, durable
# query record) with wrk from a separate process on loopback, on SQLite and on PostgreSQL,
# three runs each (medians are reported). ROUTE is `scores` (a score query), `matches` (a
# financing match: scoring, every product's rules, limit and price, with the same receipt) or
# `decisions` (a credit decision: scoring, the product's rules, limit and price, the bank's
# flow, the ledger digest and the stored decision, each request with a new request key).
# Usage: bench/serve.sh [SECONDS=15] [CONNECTIONS=64] [RUNS=3] [ROUTE=scores]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}; conns=${2:-64}; runs=${3:-3}; route=${4:-scores}
pg=${XINRONG_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
out=$PWD/bench/out/serve-$route
rm -rf "$out"; mkdir -p "$out"
port=18181

run_store() {
  local name=$1 db=$2 dir=$out/$1
  $x demo --enterprises 2000 --months 36 --no-serve --data-dir "$dir" --listen 127.0.0.1:$port ${db:+--db "$db"} > "$dir.demo.txt" 2>&1
  local key uscc
  key=$(python3 -c "import json;print(json.load(open('$dir/demo.json'))['bank_key'])")
  uscc=$(python3 -c "import json;print(json.load(open('$dir/demo.json'))['enterprises'][0]['uscc'])")
  local body='{"enterprise":"'$uscc'","purpose":"pre_loan"}'
  [ "$route" = matches ] && body='{"enterprise":"'$uscc'","purpose":"pre_loan","need":{"purpose":"working_capital"}}'
  [ "$route" = decisions ] && body='{"enterprise":"'$uscc'","purpose":"pre_loan","product":"credit_loan","amount":"500000","request_key":"@KEY@"}'
  export XR_BODY=$body
  XINRONG_LOG=warn $x serve --data-dir "$dir" --listen 127.0.0.1:$port ${db:+--db "$db"} 2> "$dir.serve.log" &
  local pid=$!
  until curl -sf http://127.0.0.1:$port/ready >/dev/null; do sleep 0.2; done
  # Warm up, then measure.
  XR_KEY=$key XR_USCC=$uscc wrk -t1 -c$conns -d3s -s bench/score_query.lua http://127.0.0.1:$port/v1/$route > /dev/null
  for i in $(seq "$runs"); do
    XR_KEY=$key XR_USCC=$uscc wrk -t1 -c$conns -d${secs}s --latency -s bench/score_query.lua \
      http://127.0.0.1:$port/v1/$route | grep RESULT | sed "s/^RESULT/$name run=$i/" | tee -a "$out/results.txt"
  done
  local stored
  stored=$(curl -s http://127.0.0.1:$port/metrics | awk -F' ' '/xinrong_http_requests_total\{method="POST",route="\/v1\/'$route'",status="200"\}/ {print $2}')
  echo "$name answered_200=$stored" | tee -a "$out/results.txt"
  kill -TERM $pid; wait $pid || true
}

echo "route: POST /v1/$route; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)" | tee "$out/results.txt"
run_store sqlite ""
schema=xr_bench_$(date +%s)
psql "$pg" -qc "CREATE SCHEMA $schema" >/dev/null
run_store postgres "$pg?options[search_path]=$schema"
psql "$pg" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
python3 - "$out/results.txt" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+) run=\d+ (.*)", line)
    if m:
        d = dict(kv.split("=") for kv in m.group(2).split())
        rows.setdefault(m.group(1), []).append({k: float(v) for k, v in d.items()})
print("\n| store | runs | median req/s | median p50 ms | median p99 ms | non-2xx | socket errors |")
print("|---|---|---|---|---|---|---|")
for store, rs in rows.items():
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"| {store} | {len(rs)} | {med('rps'):.0f} | {med('p50_ms'):.2f} | {med('p99_ms'):.2f} | {sum(r['non2xx'] for r in rs):.0f} | {sum(r['socket_errors'] for r in rs):.0f} |")
PY
