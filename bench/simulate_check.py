#!/usr/bin/env python3
"""Recomputes a `xinrong simulate` run from its CSV files alone (no project code): each
agreement's compensation rate from the guarantees and compensations written, compared with the
rate the platform reported at the last month's end; that no automatic guarantee was issued at or
above its cap; each loan's balance from its events; approvals, loans, defaults and losses.
Usage: bench/simulate_check.py OUT_DIR [scenario.toml]. Exits 1 if a check fails."""
import csv, sys
from collections import defaultdict
from decimal import Decimal as D

out = sys.argv[1]
rows = lambda name: list(csv.DictReader(open(f"{out}/{name}", newline="", encoding="utf-8")))
decisions, guarantees, events = rows("decisions.csv"), rows("guarantees.csv"), rows("loan_events.csv")
comps, monthly = rows("compensations.csv"), rows("agreements_monthly.csv")
failed = []

last = {}
for m in monthly:
    last[m["agreement"]] = m  # rows are in date order
print("agreement         issued  guaranteed        compensated      rate(platform)  rate(recomputed, guaranteed basis)  released basis")
for ag, m in sorted(last.items()):
    issued = [g for g in guarantees if g["agreement"] == ag and g["result"] == "issued"]
    guaranteed = sum(D(g["amount"]) for g in issued)
    paid = sum(D(c["paid_to_bank"]) for c in comps if c["agreement"] == ag)
    repaid = sum(D(e["principal"]) for e in events if e["agreement"] == ag and e["event"] == "repaid")
    defaulted = sum(D(e["outstanding"]) for e in events if e["agreement"] == ag and e["event"] == "compensated")
    on_guaranteed = (paid / guaranteed).quantize(D("0.000001")) if guaranteed else D(0)
    released = repaid + defaulted
    on_released = (paid / released).quantize(D("0.000001")) if released else D(0)
    platform = D(m["rate"])
    print(f"{ag:16} {len(issued):7} {guaranteed:>16} {paid:>16} {platform:>14} {on_guaranteed:>14} {on_released:>30}")
    if D(m["guaranteed"]) != guaranteed or D(m["compensated"]) != paid:
        failed.append(f"{ag}: platform totals {m['guaranteed']}/{m['compensated']} vs rows {guaranteed}/{paid}")
    if platform not in (on_guaranteed, on_released):
        failed.append(f"{ag}: platform rate {platform} matches neither recomputation")
    for g in issued:
        if D(g["rate_at_request"]) >= D(g["cap_rate"]):
            failed.append(f"{ag}: {g['certificate']} issued at rate {g['rate_at_request']} >= cap {g['cap_rate']}")

loans = defaultdict(list)
for e in events:
    loans[e["loan"]].append(e)
for loan, ev in loans.items():
    s = lambda k, col: sum(D(e[col]) for e in ev if e["event"] == k)
    balance = s("disbursed", "amount") - s("repaid", "principal") - s("recovered", "principal") - s("written_off", "amount")
    if balance != D(ev[-1]["outstanding"]):
        failed.append(f"loan {loan}: events add up to {balance}, row says {ev[-1]['outstanding']}")

by_bank = defaultdict(lambda: defaultdict(D))
for d in decisions:
    by_bank[d["bank"]]["applications"] += 1
    by_bank[d["bank"]][d["outcome"]] += 1
for e in events:
    b = by_bank[e["bank"]]
    if e["event"] == "disbursed":
        b["loans"] += 1; b["lent"] += D(e["amount"])
    elif e["event"] == "defaulted":
        b["defaults"] += 1
    elif e["event"] == "written_off":
        b["written_off"] += D(e["amount"])
print("\nbank                       applications approve refer decline loans            lent defaults  written_off  loss/lent")
for bank, b in sorted(by_bank.items()):
    loss = b["written_off"] / b["lent"] if b["lent"] else D(0)
    print(f"{bank:26} {b['applications']:12} {b['approve']:7} {b['refer']:5} {b['decline']:7} {b['loans']:5} {b['lent']:>15.0f} {b['defaults']:8} {b['written_off']:>12.0f} {loss:9.4%}")
print(f"\n{len(loans)} loans, {len(events)} events, {len(guarantees)} guarantee requests, {len(comps)} compensations checked")
if failed:
    print("FAILED:\n  " + "\n  ".join(failed[:20]))
    sys.exit(1)
print("all checks passed: rates, caps and balances recomputed from the files agree with the platform")
