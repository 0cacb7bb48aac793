//! The stress test against what is known in closed form.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use xinrong_monitor::stress::vasicek::{defaults_cdf, defaults_quantile};
use xinrong_monitor::stress::{Loan, Portfolio, Scenario, run};

fn loan(i: usize, pd: f64, exposure: i64) -> Loan {
    Loan {
        loan_id: format!("L{i}"),
        enterprise: format!("E{i}"),
        industry: ["C3841", "I6513", "M7320"][i % 3].into(),
        region: ["310115", "440305"][i % 2].into(),
        exposure: Decimal::new(exposure, 0),
        pd,
        lgd: 0.5,
        collateral: Decimal::ZERO,
        guarantor: i.is_multiple_of(4).then(|| "G1".to_string()),
        guaranteed_share: if i.is_multiple_of(4) {
            Decimal::new(8, 1)
        } else {
            Decimal::ZERO
        },
    }
}

/// Loans with PDs from 0.5% to 20% and exposures from 100k to 1.1m.
fn varied(n: usize) -> Portfolio {
    Portfolio {
        loans: (0..n)
            .map(|i| {
                let u = ((i * 7919) % n) as f64 / n as f64;
                loan(i, 0.005 * 40f64.powf(u), 100_000 + (u * 1_000_000.0) as i64)
            })
            .collect(),
    }
}

fn scenario(extra: &str) -> Scenario {
    Scenario::parse(&format!("name = \"t\"\nseed = 5\n{extra}")).unwrap()
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap()
}

#[test]
fn simulated_expected_loss_matches_the_closed_form() {
    let p = varied(3000);
    for extra in [
        "draws = 200000",
        "draws = 200000\n[model]\nrho = 0.2\nmacro_weight = 0.5\nindustry_weight = 0.3\nregion_weight = 0.2\n\
         [shocks]\nmacro_shift = -1.0\npd_multiplier = { C38 = 2.0 }\ncollateral_haircut = 0.5",
        "draws = 200000\n[model]\nmacro_weight = 0.5\nindustry_weight = 0.5\n\
         [model.correlation]\nfactors = [\"macro\", \"industry:C38\", \"industry:I65\"]\n\
         matrix = [[1, 0.5, 0.3], [0.5, 1, 0.6], [0.3, 0.6, 1]]\n[shocks]\nfactor_shift = { \"industry:C38\" = -1.5 }",
    ] {
        let r = run(&p, &scenario(extra), &|_| {}).unwrap();
        let (an, sim, se) = (f(r.el_analytic), f(r.el_simulated), f(r.el_standard_error));
        assert!(
            (sim - an).abs() < 4.0 * se && r.el_gap.abs() < 0.01,
            "{extra}: simulated {sim} vs analytic {an} (se {se})"
        );
        assert!(f(r.levels[1].var) >= f(r.levels[0].var));
        assert!(f(r.levels[0].es) >= f(r.levels[0].var));
    }
}

#[test]
fn shocks_raise_the_losses_they_should() {
    let p = varied(2000);
    let base = run(&p, &scenario("draws = 50000"), &|_| {}).unwrap();
    let down = run(
        &p,
        &scenario("draws = 50000\n[shocks]\nmacro_shift = -2.0"),
        &|_| {},
    )
    .unwrap();
    assert!(f(down.el_analytic) > 1.5 * f(base.el_analytic));
    assert!(f(down.levels[0].var) > f(base.levels[0].var));
    let batteries = run(
        &p,
        &scenario("draws = 50000\n[shocks]\npd_multiplier = { C38 = 3.0 }"),
        &|_| {},
    )
    .unwrap();
    assert!(
        batteries
            .drivers
            .iter()
            .take(5)
            .all(|d| d.industry == "C3841")
    );
}

#[test]
fn the_loss_quantile_of_a_homogeneous_portfolio_is_vasiceks_within_monte_carlo_error() {
    // 2,000 loans of 1 yuan, LGD 1: the loss in fen is 100 × the defaults.
    let n = 2000u64;
    let (pd, rho) = (0.02, 0.15);
    let p = Portfolio {
        loans: (0..n as usize)
            .map(|i| Loan {
                lgd: 1.0,
                guarantor: None,
                guaranteed_share: Decimal::ZERO,
                ..loan(i, pd, 1)
            })
            .collect(),
    };
    let draws = 400_000u64;
    let r = run(
        &p,
        &scenario(&format!(
            "draws = {draws}\nlevels = [0.99, 0.999]\n[model]\nrho = {rho}"
        )),
        &|_| {},
    )
    .unwrap();
    for lr in &r.levels {
        let q = lr.level;
        let k_mc = f(lr.var).round() as u64;
        let k = defaults_quantile(n, pd, rho, q);
        // The Monte Carlo quantile is the exact one unless the empirical CDF strays: bound its
        // rank by four binomial standard deviations.
        let sd = (q * (1.0 - q) / draws as f64).sqrt();
        let lo = defaults_quantile(n, pd, rho, q - 4.0 * sd);
        let hi = defaults_quantile(n, pd, rho, q + 4.0 * sd);
        assert!(
            (lo..=hi).contains(&k_mc),
            "level {q}: simulated {k_mc} defaults, exact {k} (band {lo}..={hi})"
        );
        assert!(defaults_cdf(n, pd, rho, k) >= q);
    }
}

#[test]
fn a_seed_reproduces_a_run_whatever_the_threads() {
    let p = varied(1500);
    let s = scenario("draws = 30000\n[model]\nmacro_weight = 0.7\nindustry_weight = 0.3");
    let a = run(&p, &s, &|_| {}).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = one.install(|| run(&p, &s, &|_| {}).unwrap());
    assert_eq!(a, b);
    let mut reseeded = s.clone();
    reseeded.seed = 6;
    let other = run(&p, &reseeded, &|_| {}).unwrap();
    assert_ne!(a.el_simulated, other.el_simulated);
}

#[test]
fn tail_contributions_add_up_to_the_expected_shortfall() {
    let p = varied(500);
    let r = run(
        &p,
        &scenario("draws = 20000\nlevels = [0.99]\ntail_drivers = 100000"),
        &|_| {},
    )
    .unwrap();
    let share: f64 = r.drivers.iter().map(|d| d.es_share).sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    assert!(
        r.drivers
            .windows(2)
            .all(|w| w[0].es_contribution >= w[1].es_contribution)
    );
}

#[test]
fn guarantors_compensation_rates_and_certain_outcomes() {
    let mut p = varied(1000);
    p.loans[1].pd = 1.0; // defaults in every draw
    p.loans[2].pd = 0.0; // never
    let r = run(
        &p,
        &scenario("draws = 50000\n[caps]\ndefault = 0.05\nguarantors = { G1 = 0.03 }"),
        &|_| {},
    )
    .unwrap();
    let g = &r.guarantors[0];
    assert_eq!(g.guarantor, "G1");
    assert_eq!(g.cap, 0.03);
    let guaranteed: f64 = p
        .loans
        .iter()
        .filter(|l| l.guarantor.is_some())
        .map(|l| f(l.exposure) * 0.8)
        .sum();
    let expected: f64 = p
        .loans
        .iter()
        .filter(|l| l.guarantor.is_some())
        .map(|l| f(l.exposure) * 0.8 * l.pd)
        .sum::<f64>()
        / guaranteed;
    assert!(
        (g.mean_rate - expected).abs() / expected < 0.03,
        "{} vs {expected}",
        g.mean_rate
    );
    assert!(g.p99 >= g.p95 && g.p95 >= g.p50);
    assert!(g.prob_at_cap > 0.0 && g.prob_at_cap < 1.0);
    // The certain default's loss is in every draw.
    let certain = f(p.loans[1].exposure) * 0.5;
    assert!(f(r.quantiles[0].1) >= certain);
}

#[test]
fn vanishing_conditional_pds_give_no_spurious_defaults() {
    // A benign shift makes the conditional PDs ~1e-20: the sampler once kept nearly every loan
    // when 1 − bound rounded to 1.
    let p = Portfolio {
        loans: (0..1000).map(|i| loan(i, 1e-4, 1_000_000)).collect(),
    };
    let r = run(
        &p,
        &scenario("draws = 20000\n[shocks]\nmacro_shift = 8.0"),
        &|_| {},
    )
    .unwrap();
    assert!(f(r.el_analytic) < 1.0, "{}", r.el_analytic);
    assert_eq!(f(r.levels[1].var), 0.0, "no draw loses anything");
}

#[test]
fn too_many_figures_for_memory_are_refused() {
    let p = Portfolio {
        loans: (0..200)
            .map(|i| Loan {
                guarantor: Some(format!("G{i}")),
                guaranteed_share: Decimal::ONE,
                ..loan(i, 0.01, 1000)
            })
            .collect(),
    };
    let e = run(&p, &scenario("draws = 2000000"), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("200 guarantors"), "{e}");
}
