#!/usr/bin/env bash
# Ledger benchmarks: durable appends/s and acknowledgement latency from concurrent writers
# (both suites), and inclusion proofs from a 10-million-entry log on disk. Appends a section
# to bench/RESULTS.md. Usage: bench/ledger.sh [--runs N] [--big-entries N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
big=10000000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --big-entries) big=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cargo build --release -q
bin=target/release/xinrong
out=bench/out/ledger
mkdir -p "$out"
load=$(cut -d' ' -f1 /proc/loadavg)
: > "$out/appends.txt"
for suite in sha sm; do
  flag=""; [ $suite = sm ] && flag="--sm"
  for writers in 256 1024; do
    for run in $(seq "$runs"); do
      echo -n "$suite $writers " >> "$out/appends.txt"
      $bin ledger bench --writers "$writers" --seconds 5 $flag 2>&1 | tail -1 >> "$out/appends.txt"
    done
  done
done
# The big log is built once and reused (bench/out is not committed).
big_dir=bench/out/ledger$big
if [ ! -f "$big_dir/log.json" ] || [ "$(cat "$big_dir/.size" 2>/dev/null)" != "$big" ]; then
  rm -rf "$big_dir"
  while :; do
    $bin ledger bench --dir "$big_dir" --writers 1024 --seconds 10 2>/dev/null
    size=$(( $(stat -c %s "$big_dir/entries.idx") / 8 ))
    [ "$size" -ge "$big" ] && break
  done
  echo "$big" > "$big_dir/.size"
fi
: > "$out/proofs.txt"
for run in $(seq "$runs"); do
  $bin ledger bench --dir "$big_dir" --seconds 0 --proofs 100000 2>&1 | tail -1 >> "$out/proofs.txt"
done
python3 - "$out" "$load" "$runs" <<'PY'
import re, statistics, sys, datetime, os
out, load, runs = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
for line in open(f"{out}/appends.txt"):
    m = re.match(r"(\w+) (\d+) (\d+) durable appends in ([\d.]+) s .*?: (\d+)/s; ack latency p50 ([\d.]+) ms, p99 ([\d.]+) ms", line)
    if m:
        rows.setdefault((m[1], int(m[2])), []).append((float(m[5]), float(m[6]), float(m[7])))
proofs = []
for line in open(f"{out}/proofs.txt"):
    m = re.search(r"in a log of (\d+): median ([\d.]+) µs, p99 ([\d.]+) µs.*?peak RSS (\d+) kB", line)
    if m:
        proofs.append((int(m[1]), float(m[2]), float(m[3]), int(m[4])))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
med = lambda xs: statistics.median(xs)
lines = [f"\n## Ledger run of {now}\n",
         f"Machine: {os.cpu_count()} cores ({cpu}), load average at start {load}. Command: `bench/ledger.sh --runs {runs}`.",
         "Durable = entry, index and tree nodes fdatasync'ed and the signed checkpoint stored before the receipt is returned.",
         "Writers are tasks on a two-thread tokio runtime, each appending and awaiting its receipt in a loop, 5 s per run.",
         "Medians over runs. The seeds' platforms: 5,000 registrations/s, 0.8 s each.\n",
         "| suite | writers | durable appends/s | vs seeds' 5,000/s | ack p50 ms | ack p99 ms |", "|---|---|---|---|---|---|"]
for (suite, writers), v in sorted(rows.items()):
    rate = med([x[0] for x in v])
    name = "SHA-256 / Ed25519" if suite == "sha" else "SM3 / SM2"
    lines.append(f"| {name} | {writers} | {rate:,.0f} | {rate/5000:.0f}x | {med([x[1] for x in v]):.2f} | {med([x[2] for x in v]):.2f} |")
if proofs:
    size = proofs[0][0]
    lines += ["", f"Inclusion proofs of 100,000 random entries from a log of {size:,} entries on disk (read-only reader, OS page cache warm, fixed 5 MiB node cache):", "",
              "| median µs | p99 µs | reader peak RSS |", "|---|---|---|",
              f"| {med([p[1] for p in proofs]):.1f} | {med([p[2] for p in proofs]):.1f} | {med([p[3] for p in proofs])/1024:.1f} MiB |"]
open("bench/RESULTS.md", "a").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
