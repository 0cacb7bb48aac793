use std::sync::Mutex;

use rust_decimal::dec;

use super::*;

const AGREEMENTS: &str = r#"
[[agreements]]
id = "AG-1"
guarantor = "kechuang_guarantee"
bank = "first_bank"
fee_rate = "0.01"
capacity = "10000000"
per_firm_cap = "3000000"
warning_rate = "0.03"
cap_rate = "0.05"
compensate_after_days = 90
[agreements.criteria]
grades = ["A", "B", "C1", "C2"]
min_score = 600
industries = ["C39", "I65"]
regions = ["44", "3502"]
max_amount = "3000000"
max_term_months = 36
[agreements.shares]
bank = "0.2"
guarantor = "0.4"
reguarantor = "0.2"
government = "0.2"
"#;

fn agreement() -> Agreement {
    Agreement::parse_all("test", AGREEMENTS).unwrap().remove(0)
}

fn candidate(loan: &str, uscc: &str, amount: Decimal) -> Candidate {
    Candidate {
        loan: loan.into(),
        uscc: uscc.into(),
        grade: "B".into(),
        score: 650.0,
        pd: 0.02,
        industry: "C3973".into(),
        region: "440300".into(),
        product: "guaranteed_loan".into(),
        amount,
        term_months: 12,
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
}

#[test]
fn a_loan_inside_the_criteria_is_guaranteed_at_once_with_its_fee() {
    let a = agreement();
    let mut s = Standing::default();
    let c = s
        .guarantee(&a, &candidate("L1", "F1", dec!(1000000)), "k1", day())
        .unwrap();
    assert_eq!(c.fee, dec!(10000.00));
    assert_eq!(c.covered, dec!(0.8));
    assert_eq!(c.id, "AG-1-000001");
    assert_eq!(
        (s.outstanding, s.guaranteed),
        (dec!(1000000), dec!(1000000))
    );
}

#[test]
fn a_loan_outside_the_criteria_gets_every_failed_criterion() {
    let a = agreement();
    let mut s = Standing::default();
    let mut loan = candidate("L1", "F1", dec!(3500000));
    loan.grade = "D".into();
    loan.industry = "M7320".into();
    loan.region = "510100".into();
    loan.term_months = 48;
    let Err(Refusal::Criteria { failed }) = s.guarantee(&a, &loan, "k", day()) else {
        panic!("should be refused on criteria");
    };
    let names: Vec<&str> = failed.iter().map(|f| f.criterion).collect();
    assert_eq!(names, ["grade", "industry", "region", "amount", "term"]);
    assert_eq!(s.certificates, 0);
}

#[test]
fn capacity_and_the_firms_cap_are_never_passed() {
    let a = agreement();
    let mut s = Standing::default();
    s.guarantee(&a, &candidate("L1", "F1", dec!(2000000)), "a", day())
        .unwrap();
    let again = s.guarantee(&a, &candidate("L2", "F1", dec!(1500000)), "b", day());
    assert!(
        matches!(again, Err(Refusal::PerFirmCap { .. })),
        "{again:?}"
    );
    for i in 0..4 {
        s.guarantee(
            &a,
            &candidate(&format!("M{i}"), &format!("G{i}"), dec!(2000000)),
            &format!("m{i}"),
            day(),
        )
        .unwrap();
    }
    let over = s.guarantee(&a, &candidate("L9", "F9", dec!(100)), "z", day());
    assert!(matches!(over, Err(Refusal::Capacity { .. })), "{over:?}");
    // Repayment frees capacity.
    s.release("F1", dec!(500000));
    assert!(
        s.guarantee(&a, &candidate("L9", "F9", dec!(100)), "z", day())
            .is_ok()
    );
}

#[test]
fn a_withdrawn_guarantee_leaves_the_position_as_if_it_had_never_been_asked() {
    let a = agreement();
    let mut s = Standing::default();
    s.guarantee(&a, &candidate("L1", "F1", dec!(1000000)), "a", day())
        .unwrap();
    s.forget_request_keys();
    let before = serde_json::to_value(&s).unwrap();
    s.guarantee(&a, &candidate("L2", "F1", dec!(500000)), "b", day())
        .unwrap();
    s.guarantee(&a, &candidate("L3", "F2", dec!(700000)), "c", day())
        .unwrap();
    s.withdraw_certificate("F2", dec!(700000));
    s.withdraw_certificate("F1", dec!(500000));
    s.forget_request_keys();
    assert_eq!(serde_json::to_value(&s).unwrap(), before);
    // The room the withdrawn guarantees held is free again, and the number is given anew.
    let again = s
        .guarantee(&a, &candidate("L4", "F1", dec!(2000000)), "d", day())
        .unwrap();
    assert_eq!(again.id, "AG-1-000002");
    s.manual_reviews = 2;
    s.withdraw_manual_review();
    assert_eq!(s.manual_reviews, 1);
}

#[test]
fn a_retried_request_key_never_guarantees_twice() {
    let a = agreement();
    let mut s = Standing::default();
    let first = s
        .guarantee(&a, &candidate("L1", "F1", dec!(1000000)), "same", day())
        .unwrap();
    let retry = s
        .guarantee(&a, &candidate("L1", "F1", dec!(1000000)), "same", day())
        .unwrap();
    assert_eq!(first, retry);
    assert_eq!(s.outstanding, dec!(1000000));
    assert_eq!(s.certificates, 1);
}

#[test]
fn concurrent_requests_never_pass_the_capacity() {
    let a = agreement();
    let s = Mutex::new(Standing::default());
    // 64 firms ask for 300,000 each, twice each (retries): 19.2m asked of a 10m capacity.
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (a, s) = (&a, &s);
            scope.spawn(move || {
                for i in 0..16 {
                    let firm = (t * 16 + i) % 64;
                    let loan = candidate(&format!("L{firm}"), &format!("F{firm}"), dec!(300000));
                    let _ = s
                        .lock()
                        .unwrap()
                        .guarantee(a, &loan, &format!("key-{firm}"), day());
                }
            });
        }
    });
    let s = s.into_inner().unwrap();
    assert!(s.outstanding <= a.capacity);
    assert_eq!(s.certificates, 33, "10m / 300k = 33 guarantees fit");
    assert_eq!(s.outstanding, Decimal::from(33) * dec!(300000));
}

#[test]
fn compensation_is_shared_and_the_cap_stops_automatic_guarantees() {
    let a = agreement();
    let mut s = Standing::default();
    for i in 0..5 {
        s.guarantee(
            &a,
            &candidate(&format!("L{i}"), &format!("F{i}"), dec!(2000000)),
            &format!("k{i}"),
            day(),
        )
        .unwrap();
    }
    assert_eq!(s.level(&a), Level::Normal);
    // A 200,000 exposure: the guarantor pays 80% at once, gets 20% + 20% back.
    let c = s.compensate(&a, "F0", dec!(2000000), dec!(200000));
    assert_eq!(c.paid_to_bank, dec!(160000.00));
    assert_eq!(
        (c.from_reguarantor, c.from_government),
        (dec!(40000.00), dec!(40000.00))
    );
    assert_eq!(
        (c.guarantor_net, c.bank_net),
        (dec!(80000.00), dec!(40000.00))
    );
    assert_eq!(s.rate(RateBasis::Guaranteed), dec!(0.016));
    // The released basis counts only what has come off guarantee.
    assert_eq!(s.rate(RateBasis::Released), dec!(0.08));
    let c = s.compensate(&a, "F1", dec!(2000000), dec!(200000));
    assert_eq!(c.paid_to_bank, dec!(160000.00));
    assert_eq!(s.rate(a.basis), dec!(0.032));
    assert_eq!(s.level(&a), Level::Warning);
    s.compensate(&a, "F2", dec!(2000000), dec!(250000));
    assert_eq!(s.level(&a), Level::Stopped);
    let stopped = s.guarantee(&a, &candidate("N", "FN", dec!(100000)), "n", day());
    assert!(
        matches!(stopped, Err(Refusal::ManualReview { .. })),
        "{stopped:?}"
    );
    assert_eq!(s.manual_reviews, 1);
    assert_eq!(s.recover(&a, dec!(100000)), dec!(80000.00));
}

#[test]
fn agreements_that_cannot_work_are_refused_with_their_id() {
    let bad = |from: &str, to: &str| {
        assert!(AGREEMENTS.contains(from), "{from}");
        Agreement::parse_all("t", &AGREEMENTS.replace(from, to)).unwrap_err()
    };
    let e = bad("government = \"0.2\"", "government = \"0.3\"");
    assert!(
        e.to_string()
            .starts_with("agreement AG-1: shares add up to 1.1"),
        "{e}"
    );
    let e = bad("cap_rate = \"0.05\"", "cap_rate = \"0.02\"");
    assert!(e.to_string().contains("warning rate"), "{e}");
    let e = bad("per_firm_cap = \"3000000\"", "per_firm_cap = \"30000000\"");
    assert!(e.to_string().contains("above the capacity"), "{e}");
    let e = bad("min_score = 600", "min_scor = 600");
    assert!(e.to_string().contains("unknown field"), "{e}");
    let twice = format!("{AGREEMENTS}\n{}", AGREEMENTS.trim_start());
    let e = Agreement::parse_all("t", &twice).unwrap_err();
    assert_eq!(e.to_string(), "agreement AG-1: appears twice");
}
