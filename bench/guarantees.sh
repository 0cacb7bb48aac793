#!/usr/bin/env bash
# Load test of automatic guarantees (见贷即保) through the API on SQLite: the demo's bank puts a
# flow live that approves what the product's limit allows (two keys: maker and checker), makes
# N approved credit decisions, the demo's guarantor signs a batch agreement with room for all of
# them, then wrk asks for a guarantee of each decision (a request key each), from 48 connections.
# A decision is guaranteed once: requests past the N decisions answer 409 and are counted apart.
# Usage: bench/guarantees.sh [DECISIONS=20000] [SECONDS=10] [CONNECTIONS=48]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}; secs=${2:-10}; conns=${3:-48}
command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
out=$PWD/bench/out/guarantees; rm -rf "$out"; mkdir -p "$out"
port=18183; dir=$out/sqlite
$x demo --enterprises 2000 --months 36 --no-serve --data-dir "$dir" --listen 127.0.0.1:$port > "$out/demo.txt" 2>&1
j() { python3 -c "import json;print(json.load(open('$dir/demo.json'))$1)"; }
bank=$(j "['bank']"); bk=$(j "['bank_key']"); gk=$(j "['guarantor_key']"); uscc=$(j "['enterprises'][0]['uscc']")
checker=$($x admin --data-dir "$dir" issue-key "$bank" | sed -n 's/^api key (shown once): //p')
XINRONG_LOG=warn $x serve --data-dir "$dir" --listen 127.0.0.1:$port --rate-limit off 2> "$out/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:$port/ready >/dev/null; do sleep 0.2; done
python3 - "$port" "$bk" "$checker" "$gk" "$bank" "$uscc" "$n" "$out" <<'PY'
import json, sys, urllib.request, concurrent.futures
port, bk, checker, gk, bank, uscc, n, out = sys.argv[1:9]
n = int(n)
base = f"http://127.0.0.1:{port}"
def post(path, key, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
flow = json.load(open("crates/credit/flows/credit_decision.json"))
table = flow["nodes"][1]["content"]
row = {k: ("" if k.startswith("in_") else v) for k, v in table["rules"][0].items()}
row["in_score"] = "< -1000000"
table["rules"] = [row]
v = post("/v1/flows", bk, {"rules": flow})["version"]["version"]
post(f"/v1/flows/{v}/approve", checker, {})
post(f"/v1/flows/{v}/promote", checker, {})
def decide(k):
    d = post("/v1/decisions", bk, {"enterprise": uscc, "purpose": "pre_loan", "product": "guaranteed_loan",
                                   "amount": "100000", "request_key": f"bench-{k}"})["decision"]
    assert d["outcome"] == "approve", d
    return d["decision_id"]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    ids = list(pool.map(decide, range(n)))
open(f"{out}/decisions.txt", "w").write("\n".join(ids) + "\n")
terms = {"bank": bank, "fee_rate": "0.005", "capacity": "1000000000000", "per_firm_cap": "1000000000000",
         "warning_rate": "0.04", "cap_rate": "0.05", "compensate_after_days": 90,
         "criteria": {"products": ["guaranteed_loan"]},
         "shares": {"bank": "0.2", "guarantor": "0.4", "reguarantor": "0.2", "government": "0.2"}}
a = post("/v1/agreements", gk, {"terms": terms})["record"]["agreement_id"]
open(f"{out}/agreement.txt", "w").write(a)
print(f"{n} approved decisions; agreement {a}")
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)" | tee "$out/results.txt"
XR_KEY=$bk XR_DECISIONS=$out/decisions.txt XR_AGREEMENT=$(cat "$out/agreement.txt") \
  wrk -t1 -c$conns -d${secs}s --latency -s bench/guarantee_call.lua http://127.0.0.1:$port/v1/guarantees \
  | grep RESULT | tee -a "$out/results.txt"
curl -s http://127.0.0.1:$port/metrics | grep 'route="/v1/guarantees"' | grep requests_total | tee -a "$out/results.txt"
curl -s http://127.0.0.1:$port/v1/agreements -H "Authorization: Bearer $gk" \
  | python3 -c "import json,sys; a=json.load(sys.stdin)[0]; print('issued', a['certificates'], 'outstanding', a['outstanding'])" \
  | tee -a "$out/results.txt"
