//! Decisions, replay and the loan book, end to end within the crate.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::{Decimal, dec};

use crate::flow::{BUILTIN_FLOW, Status};
use crate::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn application(id: &str) -> Application {
    Application {
        id: id.into(),
        uscc: "91350100MA0000001X".into(),
        date: day(2025, 3, 1),
        product: "credit_loan".into(),
        amount: dec!(800000),
        term_months: 12,
        pd: 0.015,
        score: 640.0,
        grade: "B".into(),
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

fn live_flow() -> Flow {
    let mut flow = Flow::new("credit_decision");
    let v = flow.submit(BUILTIN_FLOW, "maker").unwrap();
    flow.approve(v, "checker").unwrap();
    flow.promote(v).unwrap();
    flow
}

#[test]
fn an_application_inside_policy_is_approved_up_to_its_limit_with_a_digest() {
    let flow = live_flow();
    let d = flow.decide(&application("a1")).unwrap();
    assert_eq!(d.outcome, Outcome::Approve);
    assert_eq!(d.amount, dec!(600000), "held to the limit");
    assert_eq!(d.rate, Some(dec!(0.0385)));
    assert!(d.findings.is_empty() && d.passed.len() == 8);
    assert_eq!((d.flow.as_str(), d.version), ("credit_decision", 1));
    assert!(d.trace.is_object(), "the engine's trace is kept");
    // Without the trace, the same decision and the same digest.
    let mut untraced = flow.decide_with(&application("a1"), false).unwrap();
    assert!(untraced.trace.is_null());
    untraced.trace = d.trace.clone();
    assert_eq!(untraced, d);
    // The digest is a function of the decision's content.
    assert_eq!(flow.decide(&application("a1")).unwrap().digest, d.digest);
    let mut other = application("a1");
    other.score = 641.0;
    assert_ne!(flow.decide(&other).unwrap().digest, d.digest);
}

#[test]
fn declines_and_referrals_name_every_rule_in_both_languages() {
    let flow = live_flow();
    let mut a = application("a2");
    a.score = 500.0;
    a.grade = "D".into();
    a.eligible = false;
    let d = flow.decide(&a).unwrap();
    assert_eq!(d.outcome, Outcome::Decline);
    assert_eq!(d.amount, Decimal::ZERO);
    let rules: Vec<&str> = d.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["not_eligible", "score_cutoff", "grade"]);
    assert_eq!(d.findings[1].reason_zh, "评分低于520分的准入线");
    let mut grey = application("a3");
    grey.pd = 0.06;
    let d = flow.decide(&grey).unwrap();
    assert_eq!(d.outcome, Outcome::Refer);
    assert_eq!(d.findings[0].rule, "grey_zone");
    // An input the rules read but nobody knows: referred, never silently approved.
    let mut unknown = application("a4");
    unknown.tax_rating = None;
    let d = flow.decide(&unknown).unwrap();
    assert_eq!(
        (d.outcome, d.missing.clone()),
        (Outcome::Refer, vec!["tax_rating".to_string()])
    );
}

#[test]
fn a_version_needs_a_second_person_and_only_approved_versions_decide() {
    let mut flow = Flow::new("credit_decision");
    assert!(matches!(
        flow.decide(&application("x")),
        Err(FlowError::NoChampion(_))
    ));
    let v1 = flow.submit(BUILTIN_FLOW, "alice").unwrap();
    let e = flow.promote(v1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "flow credit_decision version 1 is draft: cannot promote"
    );
    let e = flow.approve(v1, "alice").unwrap_err();
    assert_eq!(
        e.to_string(),
        "flow credit_decision version 1: alice made it and cannot also approve it"
    );
    flow.approve(v1, "bob").unwrap();
    assert!(flow.approve(v1, "carol").is_err(), "approved once");
    flow.promote(v1).unwrap();
    let v2 = flow
        .submit(&BUILTIN_FLOW.replace("< 520", "< 560"), "carol")
        .unwrap();
    flow.approve(v2, "alice").unwrap();
    flow.challenge(v2, 20).unwrap();
    assert!(matches!(flow.challenge(v2, 60), Err(FlowError::Share(60))));
    let to_v2 = (0..10_000)
        .filter(|i| flow.route(&format!("app-{i}")).unwrap().0 == v2)
        .count();
    assert!(
        (1_800..2_200).contains(&to_v2),
        "{to_v2} of 10,000 to the challenger"
    );
    // A retried application meets the same version.
    assert_eq!(
        flow.route("app-7").unwrap().0,
        flow.route("app-7").unwrap().0
    );
    flow.promote(v2).unwrap();
    let status: Vec<Status> = flow.versions().map(|v| v.status).collect();
    assert_eq!(status, [Status::Retired, Status::Champion]);
    assert_eq!(flow.challenger_share(), 0);
}

#[test]
fn flows_that_could_decide_wrongly_are_refused_at_submission() {
    let mut flow = Flow::new("credit_decision");
    let approve_row = BUILTIN_FLOW.replacen(
        "\"out_outcome\": \"\\\"decline\\\"\"",
        "\"out_outcome\": \"\\\"approve\\\"\"",
        1,
    );
    assert_ne!(approve_row, BUILTIN_FLOW);
    let e = flow.submit(&approve_row, "m").unwrap_err();
    assert_eq!(
        e.to_string(),
        "flow credit_decision: row not_eligible outputs outcome \"approve\"; expected \"decline\" or \"refer\""
    );
    let unknown = BUILTIN_FLOW.replace("\"field\": \"score\"", "\"field\": \"credit_score\"");
    let e = flow.submit(&unknown, "m").unwrap_err();
    assert!(
        e.to_string().contains("unknown field 'credit_score'"),
        "{e}"
    );
    assert_eq!(flow.versions().count(), 0);
}

fn recorded(n: usize) -> Vec<Recorded> {
    let flow = live_flow();
    (0..n)
        .map(|i| {
            let mut a = application(&format!("r{i}"));
            a.score = 480.0 + (i % 200) as f64;
            a.pd = 0.002 + (i % 97) as f64 * 0.001;
            a.grade = ["A", "B", "C1", "C2", "C3"][i % 5].into();
            a.amount = Decimal::from(100_000 + (i % 13) * 50_000);
            a.limit = Decimal::from(1_000_000);
            a.date = day(2025, 1 + (i % 12) as u32, 1);
            let d = flow.decide(&a).unwrap();
            Recorded {
                application: a,
                outcome: d.outcome,
                amount: d.amount,
            }
        })
        .collect()
}

#[test]
fn replay_of_a_stricter_draft_loses_exactly_the_approvals_it_should() {
    let history = recorded(3_000);
    let same = Policy::load("credit_decision", BUILTIN_FLOW).unwrap();
    let d = replay(&same, "credit_decision", 1, &history, None, None).unwrap();
    assert_eq!((d.decisions, d.unchanged), (3_000, 3_000));
    let stricter =
        Policy::load("credit_decision", &BUILTIN_FLOW.replace("< 520", "< 600")).unwrap();
    let d = replay(&stricter, "credit_decision", 2, &history, None, None).unwrap();
    let expected: Vec<&Recorded> = history
        .iter()
        .filter(|r| r.outcome == Outcome::Approve && r.application.score < 600.0)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(d.total.lost.count, expected.len() as u64);
    assert_eq!(
        d.total.lost.amount,
        expected.iter().map(|r| r.amount).sum::<Decimal>()
    );
    assert_eq!(d.total.gained.count, 0);
    let by_grade: u64 = d.by_grade.values().map(|c| c.lost.count).sum();
    assert_eq!(by_grade, d.total.lost.count);
    assert_eq!(d.moves["approve→decline"], d.total.lost.count);
    assert!(d.total.lost.expected_loss > Decimal::ZERO);
    // A period: only the decisions dated within it.
    let q1 = replay(
        &stricter,
        "credit_decision",
        2,
        &history,
        Some(day(2025, 1, 1)),
        Some(day(2025, 3, 31)),
    )
    .unwrap();
    assert_eq!(q1.decisions, 750);
}

fn contracted(months: u32, repayment: Repayment) -> Loan {
    let mut loan = Loan::new("L1", "91350100MA0000001X", "first_bank");
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
            decision: "d1".into(),
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Contracted {
            annual_rate: dec!(0.06),
            months,
            repayment,
            tranches: vec![Tranche {
                amount: dec!(120000),
                use_of_funds: None,
            }],
        },
    )
    .unwrap();
    loan
}

#[test]
fn a_loan_repaid_on_schedule_closes_and_reconciles_to_its_events() {
    let mut loan = contracted(12, Repayment::EqualPrincipal);
    loan.record(
        day(2025, 1, 15),
        Event::Disbursed {
            amount: dec!(120000),
            spent: None,
        },
    )
    .unwrap();
    assert_eq!(loan.state(), Some(State::Active));
    let dues = loan.dues().to_vec();
    assert_eq!(dues.len(), 12);
    for d in &dues {
        assert_eq!(loan.days_past_due(d.due), 0);
        loan.record(
            d.due,
            Event::Repaid {
                amount: d.principal + d.interest,
            },
        )
        .unwrap();
    }
    assert_eq!(loan.state(), Some(State::Closed));
    assert_eq!(loan.outstanding(), Decimal::ZERO);
    let interest: Decimal = dues.iter().map(|d| d.interest).sum();
    assert_eq!(loan.interest_paid(), interest);
    let repaid: Decimal = loan
        .events()
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Repaid { amount } => Some(*amount),
            _ => None,
        })
        .sum();
    assert_eq!(repaid, dec!(120000) + interest);
    let e = loan
        .record(day(2026, 2, 1), Event::Repaid { amount: dec!(1) })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "loan L1: cannot record 'repaid' on a loan that is closed"
    );
}

#[test]
fn a_loan_as_it_stood_on_a_past_date_counts_only_the_events_until_then() {
    let mut loan = contracted(12, Repayment::EqualPrincipal);
    loan.record(
        day(2025, 1, 15),
        Event::Disbursed {
            amount: dec!(120000),
            spent: None,
        },
    )
    .unwrap();
    let dues = loan.dues().to_vec();
    for d in &dues[..6] {
        loan.record(
            d.due,
            Event::Repaid {
                amount: d.principal + d.interest,
            },
        )
        .unwrap();
    }
    assert_eq!(loan.as_of(day(2025, 1, 14)).outstanding(), Decimal::ZERO);
    assert_eq!(
        loan.as_of(day(2025, 1, 14)).state(),
        loan.as_of(day(2025, 1, 10)).state()
    );
    assert_eq!(loan.as_of(day(2025, 1, 15)).outstanding(), dec!(120000));
    // Three instalments paid by the third due date: a quarter of the principal.
    assert_eq!(loan.as_of(dues[2].due).outstanding(), dec!(90000));
    assert_eq!(
        loan.as_of(dues[2].due).events().len(),
        loan.events().len() - 3
    );
    // Today's position is the whole history's.
    let now = loan.as_of(day(2030, 1, 1));
    assert_eq!(now.events(), loan.events());
    assert_eq!(
        (now.outstanding(), now.state()),
        (loan.outstanding(), loan.state())
    );
    assert_eq!(loan.outstanding(), dec!(60000));
}

#[test]
fn arrears_move_the_loan_through_the_five_categories_to_compensation_and_recovery() {
    let mut loan = contracted(12, Repayment::EqualInstalment);
    loan.record(
        day(2025, 1, 10),
        Event::Disbursed {
            amount: dec!(120000),
            spent: None,
        },
    )
    .unwrap();
    let first = loan.dues()[0].clone();
    loan.record(
        first.due,
        Event::Repaid {
            amount: first.principal + first.interest,
        },
    )
    .unwrap();
    // Nothing paid after the first instalment (due 2025-02-10); the second fell due 2025-03-10.
    let second_due = loan.dues()[1].due;
    assert_eq!(loan.days_past_due(second_due), 0);
    assert_eq!(
        loan.classify(second_due + chrono::Days::new(31)).category,
        Category::SpecialMention
    );
    let late = second_due + chrono::Days::new(91);
    assert_eq!(loan.days_past_due(late), 91);
    assert_eq!(loan.classify(late).category, Category::Substandard);
    let e = loan
        .record(
            late,
            Event::Compensated {
                amount: dec!(1),
                agreement: "AG".into(),
            },
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "loan L1: cannot record 'compensated' on a loan that is active"
    );
    loan.record(
        late,
        Event::Defaulted {
            reason: "90 days past due".into(),
        },
    )
    .unwrap();
    let exposure = loan.exposure(late);
    assert!(
        exposure > loan.outstanding(),
        "overdue interest is part of the exposure"
    );
    let too_much = loan.record(
        late,
        Event::Compensated {
            amount: exposure + dec!(1),
            agreement: "AG".into(),
        },
    );
    assert!(too_much.is_err());
    loan.record(
        late,
        Event::Compensated {
            amount: (exposure * dec!(0.8)).round_dp(2),
            agreement: "AG".into(),
        },
    )
    .unwrap();
    assert_eq!(loan.state(), Some(State::Compensated));
    let outstanding = loan.outstanding();
    loan.record(
        late + chrono::Days::new(200),
        Event::Recovered {
            amount: dec!(30000),
        },
    )
    .unwrap();
    assert!(loan.outstanding() < outstanding);
    assert_eq!(loan.recovered(), dec!(30000));
    let end = late + chrono::Days::new(400);
    assert_eq!(loan.classify(end).category, Category::Loss);
    let left = loan.outstanding();
    loan.record(end, Event::WrittenOff).unwrap();
    assert_eq!(
        (loan.written_off(), loan.outstanding()),
        (left, Decimal::ZERO)
    );
    assert_eq!(loan.classify(end).category, Category::Loss);
    // Rebuilt from its events, the loan is the same.
    let again = Loan::from_events("L1", &loan.uscc, &loan.bank, loan.events().to_vec()).unwrap();
    assert_eq!(
        (again.state(), again.written_off(), again.recovered()),
        (loan.state(), loan.written_off(), loan.recovered())
    );
}

#[test]
fn events_that_do_not_fit_are_refused_with_the_state() {
    let mut loan = Loan::new("L2", "F", "B");
    let e = loan
        .record(day(2025, 1, 1), Event::Repaid { amount: dec!(1) })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "loan L2: cannot record 'repaid' on a loan that is not applied for"
    );
    let mut loan = contracted(6, Repayment::InterestOnly);
    let e = loan
        .record(day(2025, 1, 11), Event::Repaid { amount: dec!(1) })
        .unwrap_err();
    assert!(e.to_string().contains("a loan that is contracted"), "{e}");
    let e = loan
        .record(
            day(2025, 1, 11),
            Event::Disbursed {
                amount: dec!(100000),
                spent: None,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("the next tranche is 120000"), "{e}");
    let e = loan
        .record(
            day(2024, 12, 1),
            Event::Disbursed {
                amount: dec!(120000),
                spent: None,
            },
        )
        .unwrap_err();
    assert!(matches!(e, LoanError::OutOfOrder { .. }), "{e}");
    loan.record(
        day(2025, 1, 11),
        Event::Disbursed {
            amount: dec!(120000),
            spent: None,
        },
    )
    .unwrap();
    let e = loan
        .record(
            day(2025, 1, 12),
            Event::Repaid {
                amount: dec!(1000000),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("more than the"), "{e}");
    let e = loan
        .record(
            day(2025, 1, 12),
            Event::Disbursed {
                amount: dec!(1),
                spent: None,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("already paid out"), "{e}");
}

#[test]
fn a_conditional_tranche_waits_for_the_first_to_be_spent() {
    let mut loan = Loan::new("L3", "F", "B");
    let d = day(2025, 4, 1);
    loan.record(
        d,
        Event::Applied {
            amount: dec!(1000000),
            product: "equipment_leasing".into(),
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Decided {
            approved: true,
            amount: dec!(1000000),
            decision: "d".into(),
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Contracted {
            annual_rate: dec!(0.05),
            months: 24,
            repayment: Repayment::EqualPrincipal,
            tranches: vec![
                Tranche {
                    amount: dec!(400000),
                    use_of_funds: None,
                },
                Tranche {
                    amount: dec!(600000),
                    use_of_funds: Some(dec!(0.8)),
                },
            ],
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Disbursed {
            amount: dec!(400000),
            spent: None,
        },
    )
    .unwrap();
    let e = loan
        .record(
            day(2025, 4, 20),
            Event::Disbursed {
                amount: dec!(600000),
                spent: Some(dec!(200000)),
            },
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("use of funds not shown: 200000 spent"),
        "{e}"
    );
    loan.record(
        day(2025, 4, 20),
        Event::Disbursed {
            amount: dec!(600000),
            spent: Some(dec!(350000)),
        },
    )
    .unwrap();
    assert_eq!(loan.disbursed(), dec!(1000000));
    // Both tranches mature with the contract: 24 months after the first.
    assert_eq!(loan.dues().last().unwrap().due, day(2027, 4, 1));
    let principal: Decimal = loan.dues().iter().map(|d| d.principal).sum();
    assert_eq!(principal, dec!(1000000));
}

proptest! {
    #[test]
    fn balances_always_reconcile_to_the_events(payments in proptest::collection::vec(1u32..40_000, 1..30)) {
        let mut loan = contracted(12, Repayment::EqualInstalment);
        loan.record(day(2025, 1, 10), Event::Disbursed { amount: dec!(120000), spent: None }).unwrap();
        let mut paid = Decimal::ZERO;
        let mut principal = Decimal::ZERO;
        for (k, p) in payments.iter().enumerate() {
            let date = day(2025, 1, 10) + chrono::Days::new(15 * k as u64 + 1);
            if let Ok(a) = loan.record(date, Event::Repaid { amount: Decimal::from(*p) }) {
                paid += Decimal::from(*p);
                principal += a.principal;
                prop_assert_eq!(a.principal + a.interest, Decimal::from(*p));
            }
        }
        prop_assert_eq!(loan.outstanding(), dec!(120000) - principal);
        prop_assert!(loan.outstanding() >= Decimal::ZERO);
        prop_assert_eq!(loan.interest_paid() + principal, paid);
    }
}

mod market {
    use std::collections::HashMap;

    use super::*;
    use crate::agreement::Agreement;
    use crate::simulation::{BUILTIN_SCENARIO, Bank, ProductTerms, Scenario, simulate};

    fn terms() -> HashMap<String, ProductTerms> {
        let t = |months, repayment, guaranteed| ProductTerms {
            months,
            repayment,
            lgd: dec!(0.45),
            loan: true,
            guaranteed,
        };
        HashMap::from([
            (
                "guaranteed_loan".to_string(),
                t(12, Repayment::InterestOnly, true),
            ),
            (
                "credit_loan".to_string(),
                t(12, Repayment::EqualInstalment, false),
            ),
        ])
    }

    /// 600 firms apply over 2024 for guaranteed loans; one in eight defaults in 2024-2025.
    fn portfolio() -> (Vec<Application>, HashMap<String, NaiveDate>) {
        let mut apps = Vec::new();
        let mut defaults = HashMap::new();
        for i in 0..600u32 {
            let uscc = format!("F{i:04}");
            let mut a = application(&format!("{uscc}-a"));
            a.uscc = uscc.clone();
            a.product = if i % 4 == 0 {
                "credit_loan"
            } else {
                "guaranteed_loan"
            }
            .into();
            a.date = day(2024, 1 + i % 12, 1);
            a.amount = Decimal::from(200_000 + (i % 7) * 100_000);
            a.limit = dec!(2000000);
            a.grade = ["A", "B", "C1", "C2"][(i % 4) as usize].into();
            apps.push(a);
            if i % 8 == 3 {
                defaults.insert(
                    uscc,
                    day(2024, 3, 1)
                        + chrono::Months::new(i % 12)
                        + chrono::Days::new(u64::from(i % 27)),
                );
            }
        }
        (apps, defaults)
    }

    fn market(cap: &str, warning: &str) -> (Vec<Bank>, Vec<Agreement>) {
        let scenario = Scenario::parse("builtin", BUILTIN_SCENARIO).unwrap();
        let mut agreement = scenario.agreements[0].clone();
        agreement.bank = "bank".into();
        agreement.cap_rate = cap.parse().unwrap();
        agreement.warning_rate = warning.parse().unwrap();
        agreement.capacity = dec!(300000000);
        agreement.check().unwrap();
        let mut flow = Flow::new("bank/credit_decision");
        let v = flow.submit(crate::flow::BUILTIN_FLOW, "m").unwrap();
        flow.approve(v, "c").unwrap();
        flow.promote(v).unwrap();
        (
            vec![Bank {
                id: "bank".into(),
                flow,
            }],
            vec![agreement],
        )
    }

    #[test]
    fn the_platforms_compensation_rate_equals_the_one_recomputed_from_the_rows() {
        let (banks, agreements) = market("0.5", "0.4");
        let (apps, defaults) = portfolio();
        let run = simulate(
            &banks,
            &agreements,
            &terms(),
            apps,
            &defaults,
            day(2025, 12, 31),
        )
        .unwrap();
        let issued: Decimal = run
            .guarantees
            .iter()
            .filter(|g| g.result == "issued")
            .map(|g| g.amount)
            .sum();
        let paid: Decimal = run.compensations.iter().map(|c| c.paid_to_bank).sum();
        let s = &run.standing[&agreements[0].id];
        assert!(paid > Decimal::ZERO && issued > Decimal::ZERO);
        assert_eq!((s.guaranteed, s.compensated), (issued, paid));
        assert_eq!(s.rate(agreements[0].basis), (paid / issued).round_dp(6));
        // Shares add up to the exposure, to the fen.
        for c in &run.compensations {
            assert_eq!(c.paid_to_bank + c.bank_net, c.exposure);
            assert_eq!(
                c.from_reguarantor + c.from_government + c.guarantor_net,
                c.paid_to_bank
            );
        }
        // Every loan's balance reconciles to its events.
        let mut by_loan: HashMap<&str, Vec<&crate::simulation::EventRow>> = HashMap::new();
        for e in &run.events {
            by_loan.entry(e.loan.as_str()).or_default().push(e);
        }
        for (loan, events) in by_loan {
            let sum = |k: &str| {
                events
                    .iter()
                    .filter(|e| e.event == k)
                    .map(|e| e.principal)
                    .sum::<Decimal>()
            };
            let disbursed: Decimal = events
                .iter()
                .filter(|e| e.event == "disbursed")
                .map(|e| e.amount)
                .sum();
            let written: Decimal = events
                .iter()
                .filter(|e| e.event == "written_off")
                .map(|e| e.amount)
                .sum();
            let last = events.last().unwrap();
            assert_eq!(
                disbursed - sum("repaid") - sum("recovered") - written,
                last.outstanding,
                "{loan}"
            );
        }
        // Defaults came from the truth only: no firm without a default date defaulted.
        assert!(
            run.events
                .iter()
                .filter(|e| e.event == "defaulted")
                .all(|e| defaults.contains_key(&e.uscc))
        );
        assert!(run.events.iter().any(|e| e.event == "written_off"));
        // The book classifies the defaulted loans as non-performing at some month's end.
        assert!(
            run.book
                .iter()
                .any(|b| b.category == "substandard" && b.loans > 0)
        );
    }

    #[test]
    fn at_the_cap_automatic_guarantees_stop_and_the_guarantor_is_alerted() {
        let (banks, agreements) = market("0.01", "0.005");
        let (apps, defaults) = portfolio();
        let run = simulate(
            &banks,
            &agreements,
            &terms(),
            apps,
            &defaults,
            day(2025, 12, 31),
        )
        .unwrap();
        let manual = run
            .guarantees
            .iter()
            .filter(|g| g.result == "manual_review")
            .count();
        assert!(
            manual > 0,
            "the cap was reached and later loans went to manual review"
        );
        assert!(
            run.guarantees
                .iter()
                .filter(|g| g.result == "issued")
                .all(|g| g.rate_at_request < g.cap_rate)
        );
        let levels: Vec<Level> = run.alerts.iter().map(|a| a.level).collect();
        assert!(
            levels.contains(&Level::Warning) || levels.contains(&Level::Stopped),
            "{levels:?}"
        );
        // Referred to manual review, no loan was booked for them.
        let booked: std::collections::HashSet<&str> =
            run.events.iter().map(|e| e.uscc.as_str()).collect();
        for g in run
            .guarantees
            .iter()
            .filter(|g| g.result == "manual_review")
        {
            assert!(g.loan.is_empty());
            assert!(
                !run.events
                    .iter()
                    .any(|e| e.uscc == g.uscc && e.event == "disbursed" && e.date == g.date)
            );
        }
        assert!(!booked.is_empty());
    }

    #[test]
    fn scenarios_that_cannot_run_are_refused_by_name() {
        let bad =
            BUILTIN_SCENARIO.replace("bank = \"xiamen_commercial_bank\"", "bank = \"nobody\"");
        let e = Scenario::parse("s.toml", &bad).unwrap_err();
        assert_eq!(
            e,
            "s.toml: agreement KC-XM-2026: bank nobody is not among the [[banks]]"
        );
        let bad = BUILTIN_SCENARIO.replace(
            "credit_loan = \"equal_instalment\"",
            "credit_loan = \"balloon\"",
        );
        let e = Scenario::parse("s.toml", &bad).unwrap_err();
        assert!(
            e.starts_with("s.toml: products.credit_loan: \"balloon\" is not a repayment kind"),
            "{e}"
        );
    }
}

#[test]
fn paying_off_early_takes_the_principal_and_only_the_interest_due() {
    let mut loan = contracted(12, Repayment::EqualInstalment);
    loan.record(
        day(2025, 1, 10),
        Event::Disbursed {
            amount: dec!(120000),
            spent: None,
        },
    )
    .unwrap();
    let first = loan.dues()[0].clone();
    loan.record(
        first.due,
        Event::Repaid {
            amount: first.unpaid(),
        },
    )
    .unwrap();
    let on = first.due + chrono::Days::new(5);
    let payoff = loan.payable(on);
    assert_eq!(payoff, loan.outstanding(), "nothing else has fallen due");
    let e = loan
        .record(
            on,
            Event::Repaid {
                amount: payoff + dec!(0.01),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("that can be paid on"), "{e}");
    loan.record(on, Event::Repaid { amount: payoff }).unwrap();
    assert_eq!(loan.state(), Some(State::Closed));
    assert_eq!(loan.interest_paid(), first.interest);
}

#[test]
fn absurd_tranches_are_refused_not_overflowed() {
    let mut loan = Loan::new("L9", "F", "B");
    let d = day(2025, 1, 31);
    loan.record(
        d,
        Event::Applied {
            amount: dec!(1000),
            product: "credit_loan".into(),
        },
    )
    .unwrap();
    loan.record(
        d,
        Event::Decided {
            approved: true,
            amount: dec!(1000),
            decision: "d".into(),
        },
    )
    .unwrap();
    let contract = |tranches| Event::Contracted {
        annual_rate: dec!(0.05),
        months: 12,
        repayment: Repayment::EqualPrincipal,
        tranches,
    };
    let huge = vec![
        Tranche {
            amount: Decimal::MAX,
            use_of_funds: None,
        },
        Tranche {
            amount: dec!(1),
            use_of_funds: None,
        },
    ];
    assert!(matches!(
        loan.record(d, contract(huge)),
        Err(LoanError::Amount { .. })
    ));
    let share = vec![
        Tranche {
            amount: dec!(500),
            use_of_funds: None,
        },
        Tranche {
            amount: dec!(500),
            use_of_funds: Some(Decimal::MAX),
        },
    ];
    assert!(matches!(
        loan.record(d, contract(share)),
        Err(LoanError::Amount { .. })
    ));
    // A second tranche keeps to the contract's dates, even from a month end.
    let ok = vec![
        Tranche {
            amount: dec!(500),
            use_of_funds: None,
        },
        Tranche {
            amount: dec!(500),
            use_of_funds: None,
        },
    ];
    loan.record(d, contract(ok)).unwrap();
    loan.record(
        d,
        Event::Disbursed {
            amount: dec!(500),
            spent: None,
        },
    )
    .unwrap();
    loan.record(
        day(2025, 3, 5),
        Event::Disbursed {
            amount: dec!(500),
            spent: None,
        },
    )
    .unwrap();
    let dates: Vec<NaiveDate> = loan.dues().iter().map(|d| d.due).collect();
    assert_eq!(dates.len(), 12, "{dates:?}");
    assert_eq!(dates[2], day(2025, 4, 30));
    assert_eq!(dates[11], day(2026, 1, 31));
}

#[test]
fn an_approval_of_nothing_is_referred() {
    let flow = live_flow();
    let mut a = application("zero");
    a.limit = Decimal::ZERO;
    let d = flow.decide(&a).unwrap();
    assert_eq!((d.outcome, d.amount), (Outcome::Refer, Decimal::ZERO));
    assert_eq!(d.findings[0].rule, "no_limit");
}
