//! The end-of-fit summary: tables for people, JSON for machines.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;
use std::time::Duration;
use xinrong_scorecard::metrics::Band;
use xinrong_scorecard::{Lang, Scorecard, SetMetrics};

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.iter().map(Cell::new).collect::<Vec<_>>());
    t
}

fn right(t: &mut Table, from: usize) {
    let n = t.column_count();
    for i in from..n {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

pub fn print_fit_summary(m: &Scorecard, timings: &[(String, Duration)], total: Duration) {
    let d = &m.data;
    println!(
        "Data 数据: train {} rows, bad rate {:.4}{}; fingerprint {}",
        d.train_rows,
        d.train_bads as f64 / d.train_rows as f64,
        d.test_rows
            .map(|r| format!("; test {r} rows"))
            .unwrap_or_default(),
        &d.train_sha256[..16]
    );
    let kept = m.screening.iter().filter(|r| r.kept).count();
    println!(
        "Screening 筛选: {} candidates, {} reached the regression, {} in the model\n",
        m.screening.len(),
        kept,
        m.features.len()
    );

    let mut ivs: Vec<_> = m.screening.iter().collect();
    ivs.sort_by(|a, b| b.iv.total_cmp(&a.iv));
    let mut t = table(&[
        "Feature 特征",
        "IV",
        "Missing 缺失率",
        "PSI",
        "Outcome 结论",
    ]);
    for r in ivs.iter().take(15) {
        t.add_row(r.cells("dropped"));
    }
    right(&mut t, 1);
    println!(
        "Top information values 信息值排名 (of {}):\n{t}\n",
        m.screening.len()
    );

    let mut t = table(&[
        "#",
        "Feature 特征",
        "Coef 系数",
        "Std err",
        "p-value",
        "VIF",
        "IV",
        "Bins 分箱",
    ]);
    for (i, f) in m.features.iter().enumerate() {
        let name = if f.display(Lang::En) != f.name {
            format!("{} ({})", f.name, f.display(Lang::En))
        } else {
            f.name.clone()
        };
        t.add_row(vec![
            format!("{}", i + 1),
            name,
            format!("{:.4}", f.coefficient),
            format!("{:.4}", f.std_err),
            format!("{:.2e}", f.p_value),
            format!("{:.2}", f.vif),
            format!("{:.4}", f.binning.iv),
            format!(
                "{}",
                f.binning.bins.iter().filter(|b| b.counts.n() > 0).count()
            ),
        ]);
    }
    right(&mut t, 2);
    println!(
        "Model 模型 (intercept {:.4}, base points {:.2}):\n{t}\n",
        m.intercept, m.base_points
    );

    let mut t = table(&[
        "Set 数据集",
        "Rows",
        "Bad rate",
        "AUC",
        "KS",
        "KS at score",
        "Gini",
        "H-L p",
    ]);
    let mut row = |name: &str, s: &SetMetrics| {
        t.add_row(vec![
            name.to_string(),
            s.rows.to_string(),
            format!("{:.4}", s.bad_rate),
            format!("{:.4}", s.auc),
            format!("{:.4}", s.ks),
            format!("{:.2}", s.ks_score),
            format!("{:.4}", s.gini),
            format!("{:.3}", s.hosmer_lemeshow_p),
        ]);
    };
    row("train 训练", &m.metrics.train);
    if let Some(s) = &m.metrics.test {
        row("test 测试", s);
    }
    right(&mut t, 1);
    println!("Performance 模型表现:\n{t}");
    if let Some(p) = m.metrics.score_psi {
        println!("Score PSI 评分稳定性 train→test: {p:.4}");
    }
    println!();

    let mut t = table(&[
        "Grade 等级",
        "Score 分数",
        "Train n",
        "Train share",
        "Train bad rate",
        "Test n",
        "Test bad rate",
    ]);
    let test: Option<&Vec<Band>> = m.metrics.test.as_ref().map(|s| &s.grades);
    for (g, b) in m.metrics.train.grades.iter().enumerate() {
        let range = m.grades.range_label(g);
        let tb = test.map(|v| &v[g]);
        t.add_row(vec![
            b.label.clone(),
            range,
            b.count.to_string(),
            format!("{:.3}", b.count as f64 / m.metrics.train.rows as f64),
            format!("{:.4}", b.bad_rate),
            tb.map(|x| x.count.to_string()).unwrap_or_default(),
            tb.map(|x| format!("{:.4}", x.bad_rate)).unwrap_or_default(),
        ]);
    }
    right(&mut t, 2);
    println!(
        "Grades 等级 ({}; bad rates {}monotone on train):\n{t}\n",
        m.grades.method,
        if m.metrics.grades_monotone {
            ""
        } else {
            "NOT "
        }
    );
    for n in &m.notes {
        println!("note: {n}");
    }
    let phases: Vec<String> = timings
        .iter()
        .map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64()))
        .collect();
    println!(
        "Time 用时: {:.2}s ({})",
        total.as_secs_f64(),
        phases.join(", ")
    );
}

pub fn summary_json(m: &Scorecard, timings: &[(String, Duration)]) -> serde_json::Value {
    json!({
        "train": { "auc": m.metrics.train.auc, "ks": m.metrics.train.ks, "rows": m.metrics.train.rows },
        "test": m.metrics.test.as_ref().map(|s| json!({ "auc": s.auc, "ks": s.ks, "rows": s.rows })),
        "score_psi": m.metrics.score_psi,
        "features": m.features.iter().map(|f| json!({
            "name": f.name, "coefficient": f.coefficient, "p_value": f.p_value, "iv": f.binning.iv
        })).collect::<Vec<_>>(),
        "screened_in": m.screening.iter().filter(|r| r.kept).count(),
        "candidates": m.screening.len(),
        "grades_monotone": m.metrics.grades_monotone,
        "timings_s": timings.iter().map(|(n, d)| json!({ "phase": n, "seconds": d.as_secs_f64() })).collect::<Vec<_>>(),
    })
}
