#!/usr/bin/env python3
"""Need signals against the generator's truth, from the files alone.

Usage: bench/signals_quality.py RAW_DIR SIGNALS.csv [FORECASTS.csv]

RAW_DIR is what `xinrong gen` wrote (needs.csv, need_oracle.csv, bank_txn.csv); SIGNALS.csv
what `xinrong signals` wrote. For every signalled month-end T, a firm-month is a *true need*
when the firm has a need in one of the months T+1..T+3 (so a hit is signalled at least a month
ahead). The oracle ranks firm-months by the latent state's expected shortfall
(need_oracle.csv). Both are compared at the same volume: the oracle's natural volume (its
firm-months with an expected shortfall), and ours. Prints recall and precision of each.

With FORECASTS.csv (`xinrong signals --forecasts-out`), also the MASE of the forecast inflows
and outflows against what the bank statements show, next to the seasonal-naive forecast's
(a second run with `--method naive`)."""
import csv, sys, collections, datetime

raw, signals_path = sys.argv[1], sys.argv[2]

def month_add(ym, k):
    y, m = int(ym[:4]), int(ym[5:7])
    m += k
    y += (m - 1) // 12
    m = (m - 1) % 12 + 1
    return f"{y:04d}-{m:02d}"

needs = collections.defaultdict(set)
for r in csv.DictReader(open(f"{raw}/needs.csv")):
    needs[r["uscc"]].add(r["month"])

ours = collections.defaultdict(list)   # as_of month -> [(severity, uscc)]
for r in csv.DictReader(open(signals_path)):
    ym = r["as_of"][:7]
    sev = float(r["severity"]) if r["severity"] else float("-inf")
    ours[ym].append((sev, r["uscc"]))
months = sorted(ours)
firms_by_month = {m: {u for _, u in ours[m]} for m in months}

oracle = collections.defaultdict(list)
for r in csv.DictReader(open(f"{raw}/need_oracle.csv")):
    if r["month"] in ours:
        oracle[r["month"]].append((float(r["shortfall"]), r["uscc"]))

def truth(m, u):
    return any(month_add(m, k) in needs[u] for k in (1, 2, 3))

def at_volume(ranked, m, volume):
    top = sorted(ranked, reverse=True)[:volume]
    return sum(truth(m, u) for _, u in top)

total_true = 0
rows = []
for m in months:
    firms = firms_by_month[m]
    true_here = sum(truth(m, u) for u in firms)
    total_true += true_here
    ov = sum(1 for s, u in oracle[m] if s > 0 and u in firms)
    wv = sum(1 for s, u in ours[m] if s > 0)
    orc = [(s, u) for s, u in oracle[m] if u in firms]
    rows.append((m, true_here, ov, wv, at_volume(ours[m], m, ov), at_volume(orc, m, ov),
                 at_volume(ours[m], m, wv), at_volume(orc, m, wv)))

def summary(vcol, ours_col, oracle_col, name):
    v = sum(r[vcol] for r in rows)
    h_o = sum(r[ours_col] for r in rows)
    h_or = sum(r[oracle_col] for r in rows)
    print(f"at {name} volume ({v} signals over {len(rows)} month-ends, {total_true} true needs):")
    print(f"  ours:   recall {h_o / total_true:.3f}  precision {h_o / max(v,1):.3f}")
    print(f"  oracle: recall {h_or / total_true:.3f}  precision {h_or / max(v,1):.3f}")
    print(f"  ratio to the oracle: {h_o / max(h_or,1):.3f}")

summary(2, 4, 5, "the oracle's")
summary(3, 6, 7, "our")

if len(sys.argv) > 3:
    # Actual monthly inflows (not from lenders) and outflows from the bank statements.
    actual = collections.defaultdict(float)
    for r in csv.DictReader(open(f"{raw}/bank_txn.csv")):
        ym = r["date"][:7]
        if r["direction"] == "in":
            if "银行" in r["counterparty"]:
                continue
            actual[(r["uscc"], "inflow", ym)] += float(r["amount"])
        else:
            actual[(r["uscc"], "outflow", ym)] += float(r["amount"])
    def series(u, name, upto):
        ys = []
        m = month_add(upto, -35)
        while m <= upto:
            ys.append(actual.get((u, name, m), 0.0))
            m = month_add(m, 1)
        return ys
    for path in sys.argv[3:]:
        errs, n = 0.0, 0
        scales = {}
        for r in csv.DictReader(open(path)):
            m = r["as_of"][:7]
            key = (r["uscc"], r["series"], m)
            if key not in scales:
                ys = series(r["uscc"], r["series"], m)
                d = [abs(ys[i] - ys[i - 12]) for i in range(12, len(ys))]
                scales[key] = sum(d) / len(d) if d and sum(d) > 0 else None
            s = scales[key]
            if s is None:
                continue
            target = month_add(m, int(r["ahead"]))
            a = actual.get((r["uscc"], r["series"], target))
            if a is None:
                continue
            errs += abs(float(r["forecast"]) - a) / s
            n += 1
        print(f"MASE of {path}: {errs / max(n,1):.4f} over {n} forecasts")
