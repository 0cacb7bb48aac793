//! Matching one enterprise, piece by piece: the whole match (eight rule tables, limits and
//! prices), without and with the rule engine's traces, one product, and the answer's JSON. Results, with the machine and
//! date, go to bench/RESULTS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use xinrong_lending::{Catalogue, Facts, Request, match_product, match_products};

fn facts() -> Facts {
    let mut facts = Facts::default();
    facts
        .set("pd", 0.018)
        .set("score", 612.0)
        .set("years", 6.0)
        .set("sales_12m", 8.4e6)
        .set("tax_paid_12m", 2.1e5)
        .set("inflows_12m", 9.2e6)
        .set("overdue_days", 0.0)
        .set("debt", 1.2e6)
        .set("lawsuits_12m", 0.0)
        .set("ip_granted", 7.0)
        .set("carbon_allowance_t", 0.0)
        .set("order_value", 1.5e6)
        .set("equipment_value", 0.0);
    facts.grade = Some("C1".into());
    facts.tax_rating = Some("B".into());
    facts.specialised = Some(true);
    facts.high_tech = Some(false);
    facts
}

fn matching(c: &mut Criterion) {
    let catalogue = Catalogue::builtin();
    let facts = facts();
    let request = Request {
        purpose: Some("working_capital".into()),
        amount: None,
        trace: false,
    };
    c.bench_function("match_products (8 products)", |b| {
        b.iter(|| match_products(&catalogue, &facts, &request))
    });
    let traced = Request {
        trace: true,
        ..request.clone()
    };
    c.bench_function("match_products (8 products, with traces)", |b| {
        b.iter(|| match_products(&catalogue, &facts, &traced))
    });
    c.bench_function("match_product credit_loan", |b| {
        b.iter(|| match_product(&catalogue, &facts, &request, "credit_loan"))
    });
    let answer = match_products(&catalogue, &facts, &request);
    c.bench_function("match answer to JSON bytes", |b| {
        b.iter(|| serde_json::to_vec(&answer).unwrap())
    });
}

criterion_group!(benches, matching);
criterion_main!(benches);
