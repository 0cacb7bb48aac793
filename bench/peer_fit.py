#!/usr/bin/env python3
"""Times a peer library's full scorecard fit on one CSV, reading excluded.

    peer_fit.py --tool optbinning|scorecardpy|toad --csv FILE [--target bad]

Prints one JSON line: {"tool", "fit_s", "train_auc", "features"}. Workflows are each tool's
documented defaults (as in ../shared/bench/run_peers.py):
  optbinning   BinningProcess(variable_names) + LogisticRegression(max_iter=1000) on WOE
  scorecardpy  woebin (tree) + woebin_ply + LogisticRegression(l1, C=0.9, liblinear)
  toad         Combiner(chi, min_samples=0.05) + WOETransformer + stepwise(ols, both, aic) + LR
"""
import argparse, json, time, warnings
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

warnings.filterwarnings("ignore")
ap = argparse.ArgumentParser()
ap.add_argument("--tool", required=True)
ap.add_argument("--csv", required=True)
ap.add_argument("--target", default="bad")
a = ap.parse_args()
df = pd.read_csv(a.csv)
y = df[a.target].to_numpy()
feats = [c for c in df.columns if c != a.target]
t0 = time.perf_counter()
if a.tool == "optbinning":
    from optbinning import BinningProcess
    bp = BinningProcess(variable_names=feats).fit(df[feats], y)
    X = bp.transform(df[feats], metric="woe")
    lr = LogisticRegression(max_iter=1000).fit(X, y)
    p = lr.predict_proba(X)[:, 1]
    n = int((lr.coef_ != 0).sum())
elif a.tool == "scorecardpy":
    import scorecardpy as sc
    bins = sc.woebin(df, y=a.target, print_step=0)
    w = sc.woebin_ply(df, bins, print_step=0)
    xc = [c for c in w.columns if c != a.target]
    lr = LogisticRegression(penalty="l1", C=0.9, solver="liblinear", random_state=42).fit(w[xc], y)
    p = lr.predict_proba(w[xc])[:, 1]
    n = int((lr.coef_ != 0).sum())
elif a.tool == "toad":
    import toad
    c = toad.transform.Combiner()
    c.fit(df, y=a.target, method="chi", min_samples=0.05)
    t = toad.transform.WOETransformer()
    w = t.fit_transform(c.transform(df), df[a.target], exclude=[a.target])
    final = toad.selection.stepwise(w, target=a.target, estimator="ols", direction="both", criterion="aic")
    xc = [c for c in final.columns if c != a.target]
    lr = LogisticRegression().fit(final[xc], y)
    p = lr.predict_proba(final[xc])[:, 1]
    n = len(xc)
else:
    raise SystemExit(f"unknown tool {a.tool}")
secs = time.perf_counter() - t0
print(json.dumps(dict(tool=a.tool, fit_s=secs, train_auc=float(roc_auc_score(y, p)), features=n)))
