#!/usr/bin/env bash
# Incremental rescoring of one enterprise after an upload, through the API: a demo platform of
# N generated firms (every firm's indicator snapshots loaded, a champion model published),
# UPLOADS enterprises of it registered, and for each a CSV of new bank transactions uploaded
# (`POST /v1/enterprises/{uscc}/data/bank_txn`). The server recomputes that enterprise's
# indicators from the store (DataFusion over its rows alone), stores the snapshot and scores
# it; the answer's `rescored.millis` is that time, measured inside the server, and the client
# measures the whole upload call beside it (rate limits off: uploads follow each other as
# fast as they are answered). Medians and p99 are reported.
# Usage: bench/rescore_one.sh [N=10000] [UPLOADS=200]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; uploads=${2:-200}
cargo build --release -q -p xinrong
x=$PWD/target/release/xinrong
out=$PWD/bench/out/rescore-one-$n
port=18191
if [ ! -f "$out/demo.json" ]; then
  rm -rf "$out"; mkdir -p "$out"
  $x demo --enterprises "$n" --months 36 --no-serve --data-dir "$out" --listen 127.0.0.1:$port > "$out.demo.txt" 2>&1
fi
XINRONG_LOG=${XINRONG_LOG:-warn} $x serve --data-dir "$out" --listen 127.0.0.1:$port --rate-limit off 2> "$out.serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:$port/ready >/dev/null; do sleep 0.2; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ); firms: $n; store: $(du -sh "$out/store" | cut -f1)"
python3 - "$out" "$port" "$uploads" <<'PY'
import csv, json, statistics, sys, time, urllib.request, urllib.error
out, port, uploads = sys.argv[1], sys.argv[2], int(sys.argv[3])
state = json.load(open(f"{out}/demo.json"))
key, latest = state["operator_key"], state["latest_snapshot"]
base = f"http://127.0.0.1:{port}"

def call(method, path, body, ctype="application/json"):
    req = urllib.request.Request(base + path, data=body, method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

# Enterprises of the store with a snapshot, registered on the platform (the demo registered three).
firms = []
with open(f"{out}/raw/registry.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        firms.append((row["uscc"], row.get("name") or row["uscc"]))
firms = firms[10:10 + uploads]
for uscc, name in firms:
    status, body = call("POST", "/v1/enterprises", json.dumps({"uscc": uscc, "name": name[:200]}).encode())
    assert status in (201, 409), body

server_ms, client_ms, moved = [], [], 0
for i, (uscc, _) in enumerate(firms):
    rows = "uscc,txn_id,date,amount,direction,channel\n" + "".join(
        f"{uscc},bench-{i}-{k},{latest},{25000 * (k + 1)},{'out' if k % 2 else 'in'},transfer\n" for k in range(5))
    t = time.perf_counter()
    status, body = call("POST", f"/v1/enterprises/{uscc}/data/bank_txn", rows.encode(), "text/csv")
    client_ms.append((time.perf_counter() - t) * 1e3)
    assert status == 201, body
    r = body["report"]
    assert r["accepted"] == 5 and "rescored" in r, r
    server_ms.append(r["rescored"]["millis"])
    c, p = r["rescored"]["current"], r["rescored"]["previous"]
    moved += p is not None and abs(c["score"] - p["score"]) > 1e-9

def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]
print(f"uploads: {len(firms)} (one enterprise each, 5 new bank transactions); scores that moved: {moved}")
print(f"rescoring inside the server (indicators recomputed, snapshot stored, champion score): "
      f"median {statistics.median(server_ms):.1f} ms, p99 {q(server_ms, 0.99):.1f} ms, max {max(server_ms):.1f} ms")
print(f"whole upload call (ingest, ledger receipt, rescoring): median {statistics.median(client_ms):.1f} ms, "
      f"p99 {q(client_ms, 0.99):.1f} ms")
PY
