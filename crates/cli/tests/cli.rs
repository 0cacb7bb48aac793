//! End-to-end tests of the `xinrong` binary: fit and score round trips, determinism, input
//! formats, hand-edited bins, and the errors users get for bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{bad, ok};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }
    fn p(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.p(name).to_string_lossy().into_owned()
    }
    fn write(&self, name: &str, content: &[u8]) -> String {
        std::fs::write(self.p(name), content).unwrap();
        self.s(name)
    }
}

/// `xinrong fit` of `file` (target `bad`) plus `extra`, expected to fail with exit 2: stderr.
fn fit_fails(d: &Dir, file: &str, extra: &[&str]) -> String {
    let out = d.s("m.json");
    let mut args = vec!["fit", "--train", file, "--target", "bad", "--out", &out];
    args.extend_from_slice(extra);
    bad(&args)
}

fn synth(d: &Dir, name: &str, rows: usize, seed: u64) -> String {
    ok(&[
        "synth",
        "--rows",
        &rows.to_string(),
        "--cols",
        "8",
        "--seed",
        &seed.to_string(),
        "--out",
        &d.s(name),
    ]);
    d.s(name)
}

fn model_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn fit_then_score_round_trip_is_deterministic() {
    let d = Dir::new();
    let train = synth(&d, "train.csv", 6000, 1);
    let test = synth(&d, "test.csv", 3000, 2);
    let m1 = d.s("m1.json");
    let summary = ok(&[
        "fit", "--train", &train, "--test", &test, "--target", "bad", "--out", &m1, "-q",
    ]);
    assert!(
        summary.contains("Performance") && summary.contains("Grades"),
        "{summary}"
    );
    let model = model_json(&d.p("m1.json"));
    assert_eq!(model["schema_version"], "xinrong.scorecard/1");
    let test_auc = model["metrics"]["test"]["auc"].as_f64().unwrap();
    // The generator's signal is strong; a working engine finds it out of sample.
    assert!(test_auc > 0.75, "test AUC {test_auc}");
    let n_features = model["features"].as_array().unwrap().len();
    assert!((3..=8).contains(&n_features), "{n_features} features");

    // Same input, same bytes.
    let m2 = d.s("m2.json");
    ok(&[
        "fit", "--train", &train, "--test", &test, "--target", "bad", "--out", &m2, "-q",
    ]);
    assert_eq!(std::fs::read(&m1).unwrap(), std::fs::read(&m2).unwrap());

    // Scoring writes every row; scores are the sum of points and repeat exactly.
    let s1 = d.s("s1.csv");
    ok(&["score", "--model", &m1, "--data", &test, "--out", &s1]);
    let s2 = ok(&["score", "--model", &m2, "--data", &test]);
    let text = std::fs::read_to_string(&s1).unwrap();
    assert_eq!(text, s2);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "score,pd,grade,reason_1,reason_2,reason_3,reason_4"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3000);
    // The reloaded model scores the test set exactly as the fit measured it.
    let targets: Vec<u8> = std::fs::read_to_string(&test)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let risk: Vec<f64> = rows
        .iter()
        .map(|r| -r.split(',').next().unwrap().parse::<f64>().unwrap())
        .collect();
    assert_eq!(xinrong_scorecard::metrics::auc(&risk, &targets), test_auc);
    for r in &rows[..50] {
        let f: Vec<&str> = r.split(',').collect();
        let score: f64 = f[0].parse().unwrap();
        let pd: f64 = f[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&pd));
        assert!(["A", "B", "C1", "C2", "C3", "D", "F"].contains(&f[2]));
        assert!(score > 200.0 && score < 900.0, "{score}");
    }
}

#[test]
fn parquet_and_csv_give_the_same_model() {
    let d = Dir::new();
    let csv = synth(&d, "t.csv", 4000, 5);
    let pq = synth(&d, "t.parquet", 4000, 5);
    ok(&[
        "fit",
        "--train",
        &csv,
        "--target",
        "bad",
        "--out",
        &d.s("a.json"),
        "-q",
    ]);
    ok(&[
        "fit",
        "--train",
        &pq,
        "--target",
        "bad",
        "--out",
        &d.s("b.json"),
        "-q",
    ]);
    assert_eq!(
        std::fs::read(d.p("a.json")).unwrap(),
        std::fs::read(d.p("b.json")).unwrap()
    );
}

#[test]
fn gbk_chinese_csv_with_dictionary_and_reasons_in_chinese() {
    let d = Dir::new();
    let mut body = String::from("企业编号;营业收入;行业;违约\n");
    for i in 0..3000u32 {
        let income = (i * 7919 % 1000) as f64;
        let industry = ["制造", "软件", "贸易"][(i % 3) as usize];
        // Bad more often with low income and in trade.
        let bad = (income < 300.0 && i % 3 != 1) || (industry == "贸易" && i % 5 == 0);
        body.push_str(&format!("E{i:05};{income};{industry};{}\n", u8::from(bad)));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&body);
    let data = d.write("企业.csv", &gbk);
    let dict = d.write(
        "dict.csv",
        "feature,en,zh\n营业收入,Operating income,营业收入\n行业,Industry,所属行业\n".as_bytes(),
    );
    let model = d.s("m.json");
    ok(&[
        "fit",
        "--train",
        &data,
        "--target",
        "违约",
        "--id",
        "企业编号",
        "--dictionary",
        &dict,
        "--out",
        &model,
        "-q",
    ]);
    let out = ok(&[
        "score",
        "--model",
        &model,
        "--data",
        &data,
        "--labels",
        "zh",
        "--reasons",
        "2",
    ]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "企业编号,score,pd,grade,reason_1,reason_2"
    );
    let first = lines.next().unwrap();
    assert!(first.starts_with("E00000,"), "{first}");
    assert!(
        out.contains("所属行业") || out.contains("营业收入"),
        "{out}"
    );
}

#[test]
fn hand_edited_bins_are_used_and_round_trip() {
    let d = Dir::new();
    let train = synth(&d, "t.csv", 5000, 9);
    let bins = d.s("bins.toml");
    ok(&[
        "fit",
        "--train",
        &train,
        "--target",
        "bad",
        "--out",
        &d.s("m.json"),
        "--write-bins",
        &bins,
        "-q",
    ]);
    let text = std::fs::read_to_string(&bins).unwrap();
    assert!(
        text.contains("[features.x00]") && text.contains("cuts = ["),
        "{text}"
    );
    // Fix x00 at three hand-picked cut points and refit from the edited file.
    let edited = d.write("edited.toml", b"[features.x00]\ncuts = [-1.0, 0.0, 1.0]\n");
    ok(&[
        "fit",
        "--train",
        &train,
        "--target",
        "bad",
        "--out",
        &d.s("m2.json"),
        "--bins",
        &edited,
        "-q",
    ]);
    let m = model_json(&d.p("m2.json"));
    let x00 = m["candidate_bins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["feature"] == "x00")
        .unwrap();
    assert_eq!(x00["rule"]["cuts"], serde_json::json!([-1.0, 0.0, 1.0]));
    assert_eq!(x00["hand_set"], true);
    // Refitting with the written file reproduces the fitted cut points exactly.
    ok(&[
        "fit",
        "--train",
        &train,
        "--target",
        "bad",
        "--out",
        &d.s("m3.json"),
        "--bins",
        &bins,
        "-q",
    ]);
    let (a, b) = (model_json(&d.p("m.json")), model_json(&d.p("m3.json")));
    for (x, y) in a["candidate_bins"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["candidate_bins"].as_array().unwrap())
    {
        assert_eq!(x["rule"], y["rule"]);
    }
}

#[test]
fn bad_target_and_files_are_clear_errors() {
    let d = Dir::new();
    let good = "x,y,bad\n1,a,0\n2,b,1\n3,a,0\n4,b,1\n";
    let f = d.write("ok.csv", good.as_bytes());
    let err = bad(&[
        "fit",
        "--train",
        &f,
        "--target",
        "default",
        "--out",
        &d.s("m.json"),
    ]);
    assert!(err.contains("missing column(s): default"), "{err}");

    let f = d.write("t2.csv", b"x,bad\n1,0\n2,2\n3,1\n");
    let err = fit_fails(&d, &f, &[]);
    assert!(err.contains("data row 2 holds 2"), "{err}");

    let f = d.write("t3.csv", b"x,bad\n1,0\n2,0\n3,0\n");
    let err = fit_fails(&d, &f, &[]);
    assert!(err.contains("all 3 rows are good"), "{err}");

    let f = d.write("empty.csv", b"");
    let err = fit_fails(&d, &f, &[]);
    assert!(err.contains("empty"), "{err}");

    let f = d.write("dup.csv", b"x,x,bad\n1,2,0\n");
    let err = fit_fails(&d, &f, &[]);
    assert!(err.contains("'x' appears twice"), "{err}");

    let mut rows = String::from("x,bad\n");
    for i in 0..400 {
        rows.push_str(&format!(
            "{},{}\n",
            i,
            u8::from(i < 150 && i % 3 != 0 || i % 11 == 0)
        ));
    }
    rows.push_str("n/a?,1\n");
    let f = d.write("text.csv", rows.as_bytes());
    let err = fit_fails(&d, &f, &[]);
    assert!(
        err.contains("line 402") && err.contains("column 'x'") && err.contains("'n/a?'"),
        "{err}"
    );
    let cfg = d.write("c.toml", b"[input]\nnon_numeric = \"missing\"\n");
    ok(&[
        "fit",
        "--train",
        &f,
        "--target",
        "bad",
        "--config",
        &cfg,
        "--out",
        &d.s("m.json"),
        "-q",
    ]);

    let f = d.write("inf.csv", b"x,bad\n1,0\ninf,1\n");
    let err = fit_fails(&d, &f, &[]);
    assert!(err.contains("not a finite number"), "{err}");

    let cfg = d.write("typo.toml", b"[binning]\nmax_binz = 3\n");
    let err = fit_fails(&d, &f, &["--config", &cfg]);
    assert!(err.contains("max_binz"), "{err}");

    let err = fit_fails(&d, &d.s("nope.csv"), &[]);
    assert!(err.contains("no such file"), "{err}");
}

#[test]
fn constant_columns_are_noted_not_fatal() {
    let d = Dir::new();
    let mut rows = String::from("k,blank,x,bad\n");
    for i in 0..2000 {
        let bad = u8::from(i % 10 < 3 && i % 7 != 0 || i % 13 == 0);
        rows.push_str(&format!(
            "5,,{},{}\n",
            (i % 10) as f64 + if bad == 1 { 0.5 } else { 0.0 },
            bad
        ));
    }
    let f = d.write("c.csv", rows.as_bytes());
    let out = ok(&[
        "fit",
        "--train",
        &f,
        "--target",
        "bad",
        "--out",
        &d.s("m.json"),
        "-q",
    ]);
    assert!(out.contains("'k' dropped: constant"), "{out}");
    assert!(out.contains("'blank' dropped: all values missing"), "{out}");
}

#[test]
fn scoring_errors_list_every_missing_feature_and_refuse_bad_models() {
    let d = Dir::new();
    let train = synth(&d, "t.csv", 5000, 3);
    let model = d.s("m.json");
    ok(&[
        "fit", "--train", &train, "--target", "bad", "--out", &model, "-q",
    ]);
    let m = model_json(&d.p("m.json"));
    let names: Vec<String> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    let f = d.write("other.csv", b"zzz\n1\n");
    let err = bad(&["score", "--model", &model, "--data", &f]);
    for n in &names {
        assert!(err.contains(n.as_str()), "{err} lacks {n}");
    }
    let broken = d.write(
        "broken.json",
        b"{\"schema_version\": \"xinrong.scorecard/1\", \"features\": 3}",
    );
    let err = bad(&["score", "--model", &broken, "--data", &train]);
    assert!(err.contains("not a valid scorecard"), "{err}");
    let text = std::fs::read_to_string(&model)
        .unwrap()
        .replace("xinrong.scorecard/1", "xinrong.scorecard/9");
    let other = d.write("v9.json", text.as_bytes());
    let err = bad(&["score", "--model", &other, "--data", &train]);
    assert!(
        err.contains("xinrong.scorecard/9") && err.contains("not supported"),
        "{err}"
    );
}

#[test]
fn help_exists_for_every_command() {
    let commands: &[&[&str]] = &[
        &["fit"],
        &["score"],
        &["report"],
        &["export"],
        &["gen"],
        &["ingest"],
        &["indicators"],
        &["quality"],
        &["ledger"],
        &["ledger", "verify"],
        &["synth"],
        &["serve"],
        &["admin"],
        &["admin", "add-institution"],
        &["admin", "load-indicators"],
        &["model"],
        &["model", "publish"],
        &["demo"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let out = ok(&args);
        assert!(out.contains("Usage"), "{c:?}: {out}");
    }
}

#[test]
fn unseen_categories_missing_values_and_special_values_score() {
    let d = Dir::new();
    let mut rows = String::from("region,income,bad\n");
    for i in 0..4000u32 {
        let region = ["north", "south", "east", "west"][(i % 4) as usize];
        // -1 marks "income not reported"; risk falls with income and differs by region.
        let income = if i % 17 == 0 {
            -1.0
        } else {
            (i * 37 % 1000) as f64
        };
        let bad = ((0.0..250.0).contains(&income) && i % 3 != 0)
            || (region == "east" && i % 4 == 2 && i % 8 == 2)
            || (income < 0.0 && i % 2 == 0);
        rows.push_str(&format!("{region},{income},{}\n", u8::from(bad)));
    }
    let train = d.write("train.csv", rows.as_bytes());
    let cfg = d.write("c.toml", b"[binning]\nspecial_values = [-1]\n");
    let model = d.s("m.json");
    ok(&[
        "fit", "--train", &train, "--target", "bad", "--config", &cfg, "--out", &model, "-q",
    ]);
    let m = model_json(&d.p("m.json"));
    let income = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "income")
        .expect("income selected");
    let special = income["binning"]["bins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "special")
        .unwrap();
    assert_eq!(special["label"], "special -1");
    assert!(special["counts"]["bad"].as_u64().unwrap() > 0);
    // A region never seen in training, a missing income and a special value all score.
    let new = d.write("new.csv", b"region,income\nmars,500\nnorth,\nsouth,-1\n");
    let out = ok(&["score", "--model", &model, "--data", &new]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for l in &lines[1..] {
        let score: f64 = l.split(',').next().unwrap().parse().unwrap();
        assert!(score.is_finite());
    }
}

#[test]
fn excel_export_holds_every_bin_and_its_points() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let d = Dir::new();
    let train = synth(&d, "t.csv", 5000, 4);
    let model = d.s("m.json");
    ok(&[
        "fit", "--train", &train, "--test", &train, "--target", "bad", "--out", &model, "-q",
    ]);
    let book = d.s("m.xlsx");
    ok(&[
        "export", "--model", &model, "--format", "xlsx", "--out", &book,
    ]);
    let mut wb: Xlsx<_> = open_workbook(&book).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Scorecard", "Bins", "Metrics"]);
    let sheet = wb.worksheet_range("Scorecard").unwrap();
    let m = model_json(&d.p("m.json"));
    let mut rows = sheet.rows().skip(1);
    let base = rows.next().unwrap();
    assert_eq!(base[3], Data::Float(m["base_points"].as_f64().unwrap()));
    for f in m["features"].as_array().unwrap() {
        for (bin, points) in f["binning"]["bins"]
            .as_array()
            .unwrap()
            .iter()
            .zip(f["points"].as_array().unwrap())
        {
            let row = rows.next().unwrap();
            assert_eq!(row[0], Data::String(f["name"].as_str().unwrap().into()));
            assert_eq!(row[2], Data::String(bin["label"].as_str().unwrap().into()));
            assert_eq!(row[3], Data::Float(points.as_f64().unwrap()));
        }
    }
    assert!(rows.next().is_none());
    let metrics = wb.worksheet_range("Metrics").unwrap();
    assert_eq!(metrics.get((3, 0)), Some(&Data::String("AUC".into())));
    assert_eq!(
        metrics.get((3, 1)),
        Some(&Data::Float(m["metrics"]["train"]["auc"].as_f64().unwrap()))
    );
}

#[test]
fn report_is_self_contained_with_a_chart_per_characteristic() {
    let d = Dir::new();
    let train = synth(&d, "t.csv", 5000, 6);
    let test = synth(&d, "s.csv", 2000, 7);
    let model = d.s("m.json");
    let dict = d.write(
        "dict.csv",
        "feature,en,zh\nx00,Revenue growth,营收增长率\n".as_bytes(),
    );
    ok(&[
        "fit",
        "--train",
        &train,
        "--test",
        &test,
        "--target",
        "bad",
        "--dictionary",
        &dict,
        "--out",
        &model,
        "-q",
    ]);
    let m = model_json(&d.p("m.json"));
    let n_features = m["features"].as_array().unwrap().len();
    for (lang, words) in [
        ("en", ["Scorecard report", "Calibration", "Model card"]),
        ("zh", ["评分卡模型报告", "分数十分位校准", "模型说明"]),
    ] {
        let out = d.s(&format!("r_{lang}.html"));
        ok(&["report", "--model", &model, "--lang", lang, "--out", &out]);
        let html = std::fs::read_to_string(&out).unwrap();
        for w in words {
            assert!(html.contains(w), "{lang}: missing '{w}'");
        }
        // One chart per characteristic plus ROC, KS, score distribution and calibration, inline.
        assert_eq!(html.matches("<svg").count(), n_features + 4, "{lang}");
        assert!(
            !html.contains("<script")
                && !html.contains("src=\"http")
                && !html.contains("href=\"http"),
            "{lang}: external resource"
        );
    }
    let zh = std::fs::read_to_string(d.p("r_zh.html")).unwrap();
    assert!(
        zh.contains("营收增长率"),
        "Chinese label from the dictionary"
    );
}

/// Headless Chromium (Debian's `chromium`): `None`, said so, when absent, unless
/// `XINRONG_REQUIRE_BROWSER=1` (as in `.ci/run`), when its absence fails the test.
fn chromium() -> Option<&'static str> {
    let path = "/usr/bin/chromium";
    if Path::new(path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var("XINRONG_REQUIRE_BROWSER").map_or(true, |v| v != "1"),
        "XINRONG_REQUIRE_BROWSER=1 but {path} is absent"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {path} is absent; the report was not rendered in a browser"
    );
    None
}

#[test]
fn report_renders_in_headless_chromium_with_every_chart_and_no_errors() {
    let Some(browser) = chromium() else { return };
    let d = Dir::new();
    let train = synth(&d, "t.csv", 4000, 8);
    let model = d.s("m.json");
    ok(&[
        "fit", "--train", &train, "--test", &train, "--target", "bad", "--out", &model, "-q",
    ]);
    let html = d.s("r.html");
    ok(&["report", "--model", &model, "--out", &html]);
    let n_charts = model_json(&d.p("m.json"))["features"]
        .as_array()
        .unwrap()
        .len()
        + 4;
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ];
        let profile = format!("--user-data-dir={}", d.s("profile"));
        args.push(&profile);
        args.extend_from_slice(extra);
        let url = format!("file://{html}");
        args.push(&url);
        Command::new(browser)
            .args(&args)
            .output()
            .expect("run chromium")
    };
    // The rendered DOM holds every chart.
    let dom = run(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(
        dom.matches("<svg").count(),
        n_charts,
        "charts in the rendered page"
    );
    // A screenshot is taken, and the page logs no console errors while rendering.
    let shot = d.s("r.png");
    let arg = format!("--screenshot={shot}");
    let out = run(&[
        &arg,
        "--window-size=1200,3000",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.lines()
            .any(|l| l.contains("CONSOLE") && l.contains("ERROR") || l.contains("Uncaught")),
        "{log}"
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
}

#[test]
fn report_on_a_one_feature_model_with_empty_grades_renders() {
    let d = Dir::new();
    let mut rows = String::from("flag,bad\n");
    for i in 0..2000u32 {
        let flag = i % 2;
        rows.push_str(&format!(
            "{flag},{}\n",
            u8::from(if flag == 1 { i % 3 == 0 } else { i % 10 == 0 })
        ));
    }
    let data = d.write("one.csv", rows.as_bytes());
    let model = d.s("m.json");
    ok(&[
        "fit", "--train", &data, "--target", "bad", "--out", &model, "-q",
    ]);
    let m = model_json(&d.p("m.json"));
    assert_eq!(m["features"].as_array().unwrap().len(), 1);
    let empty = m["metrics"]["train"]["grades"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["count"] == 0)
        .count();
    assert!(empty >= 4, "{empty} empty grades");
    let out = d.s("r.html");
    ok(&["report", "--model", &model, "--out", &out]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert_eq!(html.matches("<svg").count(), 1 + 4);
    assert!(html.contains("</html>"));
}

#[test]
fn pooled_training_files_fit_as_their_concatenation() {
    let d = Dir::new();
    let csv = synth(&d, "t.csv", 4000, 9);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = format!("{},grp", lines.next().unwrap());
    // A text column whose third level only appears in the second file.
    let rows: Vec<String> = lines
        .enumerate()
        .map(|(i, l)| {
            let g = match (i < 1500, i % 3) {
                (true, 0) => "b",
                (true, _) => "a",
                (false, 0) => "c",
                (false, 1) => "a",
                (false, _) => "b",
            };
            format!("{l},{g}")
        })
        .collect();
    let part = |name: &str, rows: &[String]| {
        d.write(name, format!("{header}\n{}\n", rows.join("\n")).as_bytes())
    };
    let whole = part("whole.csv", &rows);
    let first = part("first.csv", &rows[..1500]);
    let second = part("second.csv", &rows[1500..]);
    let fit = |train: &[&str], out: &str| {
        let mut args = vec!["fit"];
        for t in train {
            args.extend(["--train", t]);
        }
        let out = d.s(out);
        args.extend(["--target", "bad", "--out", &out, "-q"]);
        ok(&args);
    };
    fit(&[&whole], "whole.json");
    fit(&[&first, &second], "pooled.json");
    assert_eq!(
        std::fs::read(d.p("whole.json")).unwrap(),
        std::fs::read(d.p("pooled.json")).unwrap(),
        "pooling two files must fit exactly as their concatenation"
    );
    // A further file with other columns is refused, naming both files and the columns.
    let odd = d.write("odd.csv", b"x00,x01,bad\n1,2,0\n3,4,1\n");
    let err = fit_fails(&d, &first, &["--train", &odd]);
    assert!(
        err.contains("odd.csv") && err.contains("first.csv"),
        "{err}"
    );
    assert!(
        err.contains("missing column(s)") && err.contains("x07") && err.contains("grp"),
        "{err}"
    );
}
