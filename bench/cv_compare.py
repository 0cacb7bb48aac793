#!/usr/bin/env python3
"""Five-fold cross-validated comparison of xinrong and the Python peers on the training part of
each shared data set: every tool is fitted on the same four folds and scored on the fifth.

    cv_compare.py [--datasets german_credit,taiwan_default] [--tools optbinning,scorecardpy,toad]

A single fixed test split of a few hundred rows moves AUC by several hundredths from one split
to the next; the mean over five held-out folds is the steadier measure of which tool predicts
better. Folds: stratified, rows shuffled with numpy.random.default_rng(7) within each class and
dealt round-robin. Peer workflows are imported from ../shared/bench/run_peers.py unchanged.
"""
import argparse, json, os, subprocess, sys, tempfile, time, warnings
import numpy as np
import pandas as pd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DATA = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
sys.path.insert(0, os.path.abspath(os.path.join(ROOT, "..", "shared", "bench")))
import run_peers  # noqa: E402

X = os.path.join(ROOT, "target", "release", "xinrong")


def folds_of(y, k=5, seed=7):
    rng = np.random.default_rng(seed)
    f = np.zeros(len(y), int)
    for cls in (0, 1):
        idx = np.where(y == cls)[0]
        rng.shuffle(idx)
        f[idx] = np.arange(len(idx)) % k
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="german_credit,taiwan_default")
    ap.add_argument("--tools", default="optbinning,scorecardpy,toad")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    for name in a.datasets.split(","):
        df = pd.read_csv(f"{DATA}/{name}_train.csv", low_memory=False)
        folds = folds_of(df["bad"].to_numpy())
        res = {t: [] for t in ["xinrong"] + a.tools.split(",")}
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(5):
                tr, te = df[folds != k], df[folds == k]
                trp, tep = f"{tmp}/tr.csv", f"{tmp}/te.csv"
                tr.to_csv(trp, index=False)
                te.to_csv(tep, index=False)
                out = subprocess.run([X, "fit", "--train", trp, "--test", tep, "--target", "bad", "--out",
                                      f"{tmp}/m.json", "-q", "--json"], capture_output=True, text=True, check=True)
                j = json.loads(out.stdout)
                res["xinrong"].append((j["test"]["auc"], len(j["features"])))
                trd, ted, feats, cats = run_peers.load(trp, tep, "bad")
                for tool in a.tools.split(","):
                    r = run_peers.WORKERS[tool](trd, ted, feats, cats, "bad")
                    auc, _ = run_peers.metrics(ted["bad"], r["p_te"])
                    res[tool].append((auc, r["n_features"]))
        for tool, v in res.items():
            aucs = [x[0] for x in v]
            rows.append((name, tool, np.mean(aucs), np.std(aucs), np.mean([x[1] for x in v]), aucs))
    print("| data set | tool | mean held-out AUC (5 folds) | sd | mean features | per fold |")
    print("|---|---|---|---|---|---|")
    for name, tool, m, s, nf, aucs in rows:
        b = "**" if tool == "xinrong" else ""
        print(f"| {name} | {b}{tool}{b} | {b}{m:.4f}{b} | {s:.4f} | {nf:.1f} | {', '.join(f'{x:.4f}' for x in aucs)} |")


if __name__ == "__main__":
    main()
