//! The credit engine's operations one at a time: a decision by the built-in flow (zen-engine
//! with its trace), a replay of 10,000 recorded decisions, a repayment schedule, a guarantee
//! under an agreement, and a loan's year of events rebuilt from its log. Results, with the
//! machine and date, go to bench/RESULTS.md.

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rust_decimal::dec;
use xinrong_credit::flow::{BUILTIN_FLOW, Policy};
use xinrong_credit::simulation::{BUILTIN_SCENARIO, Scenario};
use xinrong_credit::{
    Application, Candidate, Event, Loan, Recorded, Repayment, Standing, Tranche, replay, schedule,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn application(i: usize) -> Application {
    Application {
        id: format!("app-{i}"),
        uscc: "91350100MA0000001X".into(),
        date: day(2025, 3, 1),
        product: "credit_loan".into(),
        amount: dec!(800000),
        term_months: 12,
        pd: 0.002 + (i % 97) as f64 * 0.001,
        score: 480.0 + (i % 200) as f64,
        grade: ["A", "B", "C1", "C2", "C3"][i % 5].into(),
        eligible: true,
        limit: dec!(600000),
        rate: dec!(0.0385),
        lgd: dec!(0.45),
        overdue_days: Some(0.0),
        tax_rating: Some("A".into()),
        industry: "I6513".into(),
        region: "350100".into(),
    }
}

fn benches(c: &mut Criterion) {
    let policy = Policy::load("credit_decision", BUILTIN_FLOW).unwrap();
    let app = application(7);
    c.bench_function("decide (built-in flow, with trace and digest)", |b| {
        b.iter(|| policy.decide("credit_decision", 1, &app).unwrap())
    });
    c.bench_function("decide (built-in flow, digest, no trace)", |b| {
        b.iter(|| {
            policy
                .decide_with("credit_decision", 1, &app, false)
                .unwrap()
        })
    });
    let recorded: Vec<Recorded> = (0..10_000)
        .map(|i| {
            let a = application(i);
            let d = policy.decide("credit_decision", 1, &a).unwrap();
            Recorded {
                application: a,
                outcome: d.outcome,
                amount: d.amount,
            }
        })
        .collect();
    let draft = Policy::load("draft", &BUILTIN_FLOW.replace("< 520", "< 600")).unwrap();
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.bench_function("10,000 decisions", |b| {
        b.iter(|| replay(&draft, "draft", 2, &recorded, None, None).unwrap())
    });
    g.finish();
    c.bench_function("schedule (equal instalment, 36 months)", |b| {
        b.iter(|| {
            schedule(
                dec!(1000000),
                dec!(0.0435),
                36,
                day(2025, 1, 31),
                Repayment::EqualInstalment,
            )
            .unwrap()
        })
    });
    let agreement = Scenario::parse("builtin", BUILTIN_SCENARIO)
        .unwrap()
        .agreements[0]
        .clone();
    let candidate = |i: usize| Candidate {
        loan: format!("L{i}"),
        uscc: format!("F{}", i % 5000),
        grade: "B".into(),
        score: 640.0,
        pd: 0.02,
        industry: "I6513".into(),
        region: "350100".into(),
        product: "guaranteed_loan".into(),
        amount: dec!(100000),
        term_months: 12,
    };
    c.bench_function("guarantee under an agreement", |b| {
        let mut standing = Standing::default();
        let mut i = 0;
        b.iter(|| {
            i += 1;
            if standing.outstanding > dec!(300000000) {
                standing = Standing::default();
            }
            standing
                .guarantee(&agreement, &candidate(i), &format!("k{i}"), day(2025, 3, 1))
                .unwrap()
        })
    });
    let mut loan = Loan::new("L1", "F", "B");
    let d = day(2025, 1, 10);
    loan.record(
        d,
        Event::Applied {
            amount: dec!(120000),
            product: "credit_loan".into(),
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Decided {
            approved: true,
            amount: dec!(120000),
            decision: "d".into(),
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Contracted {
            annual_rate: dec!(0.06),
            months: 12,
            repayment: Repayment::EqualInstalment,
            tranches: vec![Tranche {
                amount: dec!(120000),
                use_of_funds: None,
            }],
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Disbursed {
            amount: dec!(120000),
            spent: None,
        },
    )
    .unwrap();
    for due in loan.dues().to_vec() {
        loan.record(
            due.due,
            Event::Repaid {
                amount: due.unpaid(),
            },
        )
        .unwrap();
    }
    let events = loan.events().to_vec();
    c.bench_function("loan rebuilt from a year of events (16)", |b| {
        b.iter_batched(
            || events.clone(),
            |e| Loan::from_events("L1", "F", "B", e).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(credit, benches);
criterion_main!(credit);
