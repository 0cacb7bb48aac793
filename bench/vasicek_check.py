"""Compares a stress run on a homogeneous portfolio (n loans of 1 yuan, LGD 1) with Vasicek's
closed forms, computed here independently of the project's code: the exact law of the number
of defaults among n loans, P(K <= k) = integral of Binomial(k; n, p(y)) phi(y) dy with
p(y) = Phi((Phi^-1(PD) - sqrt(rho) y) / sqrt(1 - rho)), and the large-portfolio quantile
Phi((Phi^-1(PD) + sqrt(rho) Phi^-1(q)) / sqrt(1 - rho)). The Monte Carlo quantile must lie
inside the band of the exact law's quantiles at q +- 4 binomial standard errors of the draws.
Usage: vasicek_check.py summary.json N PD RHO"""
import json, math, sys
from statistics import NormalDist

N01 = NormalDist()
summary = json.load(open(sys.argv[1]))
n, pd, rho = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
draws = summary["draws"]
c, a, d = N01.inv_cdf(pd), math.sqrt(rho), math.sqrt(1 - rho)

# Midpoint rule over y; binomial CDFs by summing the pmf in log space.
STEPS, LO, HI = 4000, -8.0, 8.0
h = (HI - LO) / STEPS
ys = [LO + (i + 0.5) * h for i in range(STEPS)]
weights = [math.exp(-0.5 * y * y) / math.sqrt(2 * math.pi) * h for y in ys]
ps = [min(max(N01.cdf((c - a * y) / d), 1e-300), 1 - 1e-16) for y in ys]
KMAX = n // 4


def cdf_table():
    """P(K <= k) for k = 0..KMAX."""
    total = [0.0] * (KMAX + 1)
    for w, p in zip(weights, ps):
        lp, lq = math.log(p), math.log1p(-p)
        acc = 0.0
        for k in range(KMAX + 1):
            lpmf = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + (n - k) * lq
            acc += math.exp(lpmf)
            total[k] += w * min(acc, 1.0)
            if acc >= 1 - 1e-15:
                for j in range(k + 1, KMAX + 1):
                    total[j] += w
                break
    return total


table = cdf_table()


def quantile(q):
    for k, v in enumerate(table):
        if v >= q:
            return k
    return KMAX


print(f"{'level':>7} {'MC VaR':>8} {'exact':>7} {'band':>13} {'large-n limit':>14} {'verdict':>8}")
ok = True
for lv in summary["levels"]:
    q = lv["level"]
    mc = round(float(lv["var"]))
    sd = math.sqrt(q * (1 - q) / draws)
    lo, hi = quantile(q - 4 * sd), quantile(q + 4 * sd)
    limit = n * N01.cdf((c + a * N01.inv_cdf(q)) / d)
    inside = lo <= mc <= hi
    ok &= inside
    print(f"{q:>7} {mc:>8} {quantile(q):>7} {f'{lo}..{hi}':>13} {limit:>14.1f} {'within' if inside else 'OUTSIDE':>8}")
el = n * pd
gap = (float(summary["el_simulated"]) - el) / el
print(f"EL: simulated {summary['el_simulated']} vs analytic {el:.2f} ({100 * gap:+.3f}%)")
sys.exit(0 if ok and abs(gap) < 0.01 else 1)
