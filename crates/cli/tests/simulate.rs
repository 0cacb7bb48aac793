//! `xinrong simulate` and `xinrong replay` on small handmade files: the files written and their
//! columns, a replay of the simulation's own decisions, and bad input named by file, line and
//! field (exit 2, nothing panics).

mod common;

use common::{bad, ok};

const SUMMARY: &str = "uscc,as_of,origin,purpose,amount_sought,pd,grade,score,tax_rating,overdue_days,best,best_amount,best_limit,best_rate,best_all_in,best_binding,best_lgd,second,third,eligible,cannot_decide,catalogue";

fn uscc(k: usize) -> String {
    // Valid codes are not needed here: the files are the generator's, read as they are.
    format!("91350100M0001{k:04}X")
}

/// 40 firms applying in 2024-07 (half for guaranteed loans), one in five defaulting in 2025-01.
fn files(dir: &std::path::Path) -> (String, String, String) {
    let mut apps = vec![SUMMARY.to_string()];
    let mut registry = vec!["uscc,name,industry,region".to_string()];
    let mut truth = vec!["uscc,default_month,health_level,default_date".to_string()];
    for k in 0..40 {
        let product = if k % 2 == 0 {
            "guaranteed_loan"
        } else {
            "credit_loan"
        };
        apps.push(format!(
            "{},2024-06-30,request,working_capital,500000,0.02,B,{},A,0,{product},500000,800000,0.045,0.05,sales,0.45,,,1,,2026.12-1",
            uscc(k),
            600 + k
        ));
        registry.push(format!("{},Firm {k},I6513,350100", uscc(k)));
        let default = if k % 5 == 0 {
            "2025-01,-1.0,2025-01-15"
        } else {
            ",0.5,"
        };
        truth.push(format!("{},{default}", uscc(k)));
    }
    let write = |name: &str, lines: &[String]| {
        let p = dir.join(name);
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        p.display().to_string()
    };
    (
        write("applications.csv", &apps),
        write("registry.csv", &registry),
        write("truth.csv", &truth),
    )
}

/// Runs `xinrong simulate` on the handmade files up to `until`; its output directory and what
/// it printed.
fn simulate(dir: &std::path::Path, until: &str) -> (String, String) {
    let (apps, registry, truth) = files(dir);
    let out = dir.join("sim").display().to_string();
    let printed = ok(&[
        "simulate",
        "--applications",
        &apps,
        "--registry",
        &registry,
        "--truth",
        &truth,
        "--until",
        until,
        "--out",
        &out,
    ]);
    (out, printed)
}

#[test]
fn a_simulation_writes_every_event_and_its_decisions_replay() {
    let d = tempfile::tempdir().unwrap();
    let (out, printed) = simulate(d.path(), "2025-12");
    assert!(printed.contains("40 applications"), "{printed}");
    for f in [
        "decisions.csv",
        "guarantees.csv",
        "loan_events.csv",
        "compensations.csv",
        "agreements_monthly.csv",
        "book_monthly.csv",
        "alerts.csv",
    ] {
        assert!(std::path::Path::new(&out).join(f).exists(), "{f}");
    }
    let events = std::fs::read_to_string(format!("{out}/loan_events.csv")).unwrap();
    assert!(
        events.lines().any(|l| l.contains(",defaulted,")),
        "the defaults of the truth happen"
    );
    assert!(events.lines().any(|l| l.contains(",repaid,")));
    // The same flow replayed over its own decisions changes nothing; a stricter one loses.
    let flow = d.path().join("same.json");
    std::fs::write(&flow, xinrong_credit::flow::BUILTIN_FLOW).unwrap();
    let same = ok(&[
        "replay",
        "--decisions",
        &format!("{out}/decisions.csv"),
        "--flow",
        flow.to_str().unwrap(),
    ]);
    assert!(
        same.contains("40 decisions replayed") && same.contains("40 unchanged"),
        "{same}"
    );
    let strict = d.path().join("strict.json");
    std::fs::write(
        &strict,
        xinrong_credit::flow::BUILTIN_FLOW.replace("< 520", "< 620"),
    )
    .unwrap();
    let diff = d.path().join("diff.json");
    ok(&[
        "replay",
        "--decisions",
        &format!("{out}/decisions.csv"),
        "--flow",
        strict.to_str().unwrap(),
        "--out",
        diff.to_str().unwrap(),
    ]);
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(diff).unwrap()).unwrap();
    assert_eq!(
        diff["total"]["lost"]["count"], 20,
        "scores 600-619 lose their approval: {diff}"
    );
}

#[test]
fn bad_files_are_named_by_line_and_field() {
    let d = tempfile::tempdir().unwrap();
    let (apps, registry, truth) = files(d.path());
    let out = d.path().join("sim").display().to_string();
    let run = |apps: &str, registry: &str, truth: &str| {
        bad(&[
            "simulate",
            "--applications",
            apps,
            "--registry",
            registry,
            "--truth",
            truth,
            "--out",
            &out,
        ])
    };
    let text = std::fs::read_to_string(&apps).unwrap();
    let broken = d.path().join("broken.csv");
    std::fs::write(&broken, text.replacen(",0.02,B,600,", ",lots,B,600,", 1)).unwrap();
    let err = run(broken.to_str().unwrap(), &registry, &truth);
    assert!(err.contains("line 2, pd"), "{err}");
    std::fs::write(&broken, text.replace("best_lgd", "lgd")).unwrap();
    let err = run(broken.to_str().unwrap(), &registry, &truth);
    assert!(err.contains("no `best_lgd` column"), "{err}");
    let short = d.path().join("short.csv");
    std::fs::write(&short, "uscc,name,industry,region\n").unwrap();
    let err = run(&apps, short.to_str().unwrap(), &truth);
    assert!(err.contains("is not in the registry"), "{err}");
    let scenario = d.path().join("s.toml");
    std::fs::write(
        &scenario,
        "[products]\n[[banks]]\nid = \"b\"\nflow = \"builtin\"\n",
    )
    .unwrap();
    let err = bad(&[
        "simulate",
        "--applications",
        &apps,
        "--registry",
        &registry,
        "--truth",
        &truth,
        "--scenario",
        scenario.to_str().unwrap(),
        "--out",
        &out,
    ]);
    assert!(err.contains("does not say how"), "{err}");
    let err = bad(&[
        "replay",
        "--decisions",
        &apps,
        "--flow",
        scenario.to_str().unwrap(),
    ]);
    assert!(err.contains("not JSON"), "{err}");
}

#[test]
fn the_simulated_book_is_stress_tested_and_bad_scenarios_are_named() {
    let d = tempfile::tempdir().unwrap();
    let (out, _) = simulate(d.path(), "2024-12");
    let months = std::fs::read_to_string(format!("{out}/loan_months.csv")).unwrap();
    assert!(months.starts_with("date,loan,uscc,bank,product,vintage,months_on_book,"));
    assert!(months.lines().any(|l| l.starts_with("2024-12-31,")));
    // The book's vintages, roll rates and migration in the monitoring report.
    let html = d.path().join("book.html").display().to_string();
    let json = d.path().join("book.json").display().to_string();
    let printed = ok(&[
        "monitor",
        "report",
        "--book",
        &format!("{out}/loan_months.csv"),
        "--lang",
        "en",
        "--out",
        &html,
        "--json",
        &json,
    ]);
    assert!(printed.contains("vintages"), "{printed}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Vintage curves") && page.contains("<svg") && page.contains("Roll rates")
    );
    let figures: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let roll = &figures["roll_rates"]["counts"];
    assert!(
        roll[0][0].as_u64().unwrap() > 0,
        "loans stay current month to month: {roll}"
    );
    let e = bad(&["monitor", "report", "--out", &html]);
    assert!(e.contains("--book") || e.contains("--model"), "{e}");
    let broken = d.path().join("months.csv");
    std::fs::write(&broken, months.replacen("2024-12-31,", "2024-13-31,", 1)).unwrap();
    let e = bad(&[
        "monitor",
        "report",
        "--book",
        broken.to_str().unwrap(),
        "--out",
        &html,
    ]);
    assert!(e.contains("line "), "{e}");
    let portfolio = format!("{out}/portfolio.csv");
    let text = std::fs::read_to_string(&portfolio).unwrap();
    assert!(text.lines().count() > 20, "the performing book: {text}");
    let report = d.path().join("stress").display().to_string();
    let printed = ok(&[
        "stress",
        "--portfolio",
        &portfolio,
        "--draws",
        "20000",
        "--quiet",
        "--out",
        &report,
    ]);
    assert!(printed.contains("Expected shortfall 99.900%"), "{printed}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{report}/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["draws"], 20000);
    assert!(
        !summary["guarantors"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    for f in [
        "levels.csv",
        "quantiles.csv",
        "guarantors.csv",
        "drivers.csv",
    ] {
        assert!(std::path::Path::new(&report).join(f).exists(), "{f}");
    }
    // The same seed gives the same numbers.
    let again = ok(&[
        "stress",
        "--portfolio",
        &portfolio,
        "--draws",
        "20000",
        "--quiet",
    ]);
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("simulated in"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&printed), strip(&again));

    let scenario = |text: &str| {
        let p = d.path().join("s.toml");
        std::fs::write(&p, text).unwrap();
        bad(&[
            "stress",
            "--portfolio",
            &portfolio,
            "--scenario",
            p.to_str().unwrap(),
        ])
    };
    assert!(scenario("name = \"x\"\n[shocks]\nmacro_shfit = -2").contains("macro_shfit"));
    assert!(scenario("name = \"x\"\nlevels = [1.2]").contains("levels[0]"));
    let e = scenario(
        "name = \"x\"\n[model]\nmacro_weight = 0.5\nindustry_weight = 0.5\n[model.correlation]\n\
         factors = [\"macro\", \"industry:I65\"]\nmatrix = [[1, 1.5], [1.5, 1]]",
    );
    assert!(e.contains("model.correlation.matrix[0][1]"), "{e}");
    let e = bad(&["stress", "--portfolio", &portfolio, "--draws", "0"]);
    assert!(e.contains("draws"), "{e}");
    let broken = d.path().join("broken.csv");
    std::fs::write(
        &broken,
        "loan_id,exposure,pd,lgd\nL1,100,0.5,0.4\nL2,abc,0.1,0.4\n",
    )
    .unwrap();
    let e = bad(&["stress", "--portfolio", broken.to_str().unwrap()]);
    assert!(e.contains("line 3, `exposure`"), "{e}");
}
