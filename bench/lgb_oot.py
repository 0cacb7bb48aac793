#!/usr/bin/env python3
"""Reference only (not part of the product): LightGBM fitted on the same generated indicators as
the scorecard, tested out of time, next to the best single indicator.

    python bench/lgb_oot.py bench/out/e2e-10000-s7    # after SEED=7 scripts/e2e.sh 10000

Needs pandas, pyarrow, scikit-learn and lightgbm. Trained on train.parquet (one as-of date),
tested on test.parquet; the parameters are fixed here, not tuned per portfolio.
"""
import sys
import warnings

import lightgbm as lgb
import pandas as pd
from sklearn.metrics import roc_auc_score

warnings.filterwarnings("ignore")
d = sys.argv[1]
tr = pd.read_parquet(d + "/train.parquet")
te = pd.read_parquet(d + "/test.parquet")
X = [c for c in tr.columns if c not in ("uscc", "bad")]
m = lgb.LGBMClassifier(verbose=-1, n_jobs=2, random_state=1, n_estimators=300, learning_rate=0.02,
                       num_leaves=7, min_child_samples=50, subsample=0.8, subsample_freq=1,
                       colsample_bytree=0.5).fit(tr[X], tr.bad)
best = max((abs(roc_auc_score(te.bad, te[c].fillna(te[c].median())) - 0.5) + 0.5, c) for c in X)
print(f"{d}: LightGBM test AUC {roc_auc_score(te.bad, m.predict_proba(te[X])[:, 1]):.4f}; "
      f"best single indicator {best[1]} {best[0]:.4f}")
