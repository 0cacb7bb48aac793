//! Stress-test draws: 10,000 loans, one factor (Vasicek) and three factor kinds with shocks.
//! The whole-run bar (a million draws) is measured by `bench/stress.sh`; this times a draw.

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use xinrong_monitor::stress::{Loan, Portfolio, Scenario, run};

const INDUSTRIES: [&str; 10] = [
    "I6513", "I6450", "C3973", "C3562", "C2761", "C3841", "M7320", "C3491", "C3990", "M7512",
];
const REGIONS: [&str; 6] = ["310115", "440305", "330106", "320505", "110108", "510107"];

/// Ten thousand loans with PDs from 0.3% to 25% (log-spaced), exposures 0.5–5 million.
fn portfolio() -> Portfolio {
    let loans = (0..10_000u32)
        .map(|i| {
            let u = (i.wrapping_mul(2_654_435_761) % 10_000) as f64 / 10_000.0;
            Loan {
                loan_id: format!("L{i:05}"),
                enterprise: format!("E{i:05}"),
                industry: INDUSTRIES[i as usize % 10].into(),
                region: REGIONS[i as usize % 6].into(),
                exposure: Decimal::new(500_000 + (u * 4_500_000.0) as i64, 0),
                pd: 0.003 * (25.0f64 / 0.3).powf(u),
                lgd: 0.45,
                collateral: Decimal::ZERO,
                guarantor: i.is_multiple_of(3).then(|| format!("G{}", i % 2)),
                guaranteed_share: if i.is_multiple_of(3) {
                    Decimal::new(8, 1)
                } else {
                    Decimal::ZERO
                },
            }
        })
        .collect();
    Portfolio { loans }
}

fn draws(c: &mut Criterion) {
    let p = portfolio();
    let mut group = c.benchmark_group("stress_10k_loans");
    group.sample_size(10);
    let one = Scenario::parse("name = \"one\"\ndraws = 20000\nlevels = [0.99]").unwrap();
    group.bench_function("vasicek_20k_draws", |b| {
        b.iter(|| run(&p, &one, &|_| {}).unwrap())
    });
    let multi = Scenario::parse(
        "name = \"multi\"\ndraws = 20000\nlevels = [0.99]\n[model]\nmacro_weight = 0.6\n\
         industry_weight = 0.3\nregion_weight = 0.1\n[shocks]\nmacro_shift = -1.5",
    )
    .unwrap();
    group.bench_function("three_factor_kinds_20k_draws", |b| {
        b.iter(|| run(&p, &multi, &|_| {}).unwrap())
    });
    group.finish();
}

criterion_group!(benches, draws);
criterion_main!(benches);
