#!/usr/bin/env python3
"""Financing matches against the generator's truth, from the files alone.

Usage: bench/matching_quality.py RAW_DIR MATCHES.csv [--from YYYY-MM] [--to YYYY-MM]

RAW_DIR is what `xinrong gen` wrote (needs.csv); MATCHES.csv what
`xinrong match --requests RAW_DIR/needs.csv` wrote: each need (enterprise, month, purpose,
amount) matched on the data up to the end of the month before. A need's true best product is
`best_product` (`none` when nothing fits); the oracle, which sees the latent state, offers
`oracle_product`. Prints, over the needs whose month is in [--from, --to]:

- top-1 accuracy: our recommended product (`best`; `none` when nothing qualifies) is the true
  best product, and the oracle's, and their ratio;
- precision@3: the true best product is among our first three eligible products (a `none`
  truth counts as found when we offer nothing);
- the same by purpose, and our most frequent mistakes."""
import collections
import csv
import sys


def month_before(ym):
    y, m = int(ym[:4]), int(ym[5:7])
    y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return f"{y:04d}-{m:02d}"


args = sys.argv[1:]
first = args[args.index("--from") + 1] if "--from" in args else "0000-00"
last = args[args.index("--to") + 1] if "--to" in args else "9999-99"
raw, matches_path = args[0], args[1]

ours = {}
for r in csv.DictReader(open(matches_path)):
    ours[(r["uscc"], r["as_of"][:7], r["purpose"])] = r

n = hit = oracle_hit = at3 = missing = 0
by_purpose = collections.defaultdict(lambda: [0, 0, 0])
mistakes = collections.Counter()
for need in csv.DictReader(open(f"{raw}/needs.csv")):
    if not (first <= need["month"] <= last):
        continue
    key = (need["uscc"], month_before(need["month"]), need["purpose"])
    m = ours.get(key)
    if m is None:
        missing += 1
        continue
    truth = need["best_product"]
    best = m["best"] if m["best"] not in ("", "no_data") else "none"
    top3 = [p for p in (m["best"], m["second"], m["third"]) if p and p not in ("none", "no_data")]
    n += 1
    hit += best == truth
    oracle_hit += need["oracle_product"] == truth
    at3 += (truth in top3) if truth != "none" else (best == "none")
    p = by_purpose[need["purpose"]]
    p[0] += 1
    p[1] += best == truth
    p[2] += need["oracle_product"] == truth
    if best != truth:
        mistakes[(truth, best)] += 1

if n == 0:
    sys.exit(f"no need of {raw}/needs.csv in {first}..{last} is in {matches_path}")
print(f"needs {n} ({first} .. {last}); not in the matches file: {missing}")
print(f"top-1 accuracy  ours {hit / n:.4f}   oracle {oracle_hit / n:.4f}   ratio {hit / oracle_hit:.4f}")
print(f"precision@3     ours {at3 / n:.4f}")
print("by purpose (needs, ours, oracle):")
for purpose, (k, h, o) in sorted(by_purpose.items()):
    print(f"  {purpose:18s} {k:6d}  {h / k:.4f}  {o / k:.4f}")
print("most frequent mistakes (truth -> ours):")
for (truth, best), k in mistakes.most_common(8):
    print(f"  {truth:24s} -> {best:24s} {k}")
