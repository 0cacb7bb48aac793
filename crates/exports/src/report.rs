//! A self-contained HTML report of a model: tables and inline SVG charts (plotters), no
//! scripts, fonts or other network resources, so it can be mailed and opened anywhere.

use plotters::prelude::*;
use std::fmt::Write;
use xinrong_scorecard::metrics::ScoreBin;
use xinrong_scorecard::{Lang, ModelFeature, Scorecard};

/// Labels in the report's language.
pub(crate) struct Words {
    pub(crate) lang: Lang,
}

impl Words {
    pub(crate) fn t<'a>(&self, en: &'a str, zh: &'a str) -> &'a str {
        match self.lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

use crate::markup::escape as esc;

/// Bars of each bin's share of rows with its bad rate as a line, on a second axis.
fn bin_chart(f: &ModelFeature, w: &Words) -> String {
    let bins: Vec<_> = f.binning.bins.iter().filter(|b| b.counts.n() > 0).collect();
    let total: f64 = bins
        .iter()
        .map(|b| b.counts.n() as f64)
        .sum::<f64>()
        .max(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 260)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = bins.len().max(1);
        let max_share = bins
            .iter()
            .map(|b| b.counts.n() as f64 / total)
            .fold(0.0, f64::max)
            .max(0.01)
            * 1.15;
        let max_rate = bins
            .iter()
            .map(|b| b.counts.bad_rate())
            .fold(0.0, f64::max)
            .max(0.01)
            * 1.15;
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .right_y_label_area_size(48)
            .build_cartesian_2d(0f64..n as f64, 0f64..max_share);
        let Ok(chart) = chart else { return svg_error() };
        let mut chart = chart.set_secondary_coord(0f64..n as f64, 0f64..max_rate);
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| format!("{}", *x as usize + 1))
            .y_desc(w.t("share of rows", "样本占比"))
            .draw();
        let _ = chart
            .configure_secondary_axes()
            .y_desc(w.t("bad rate", "坏账率"))
            .draw();
        let _ = chart.draw_series(bins.iter().enumerate().map(|(i, b)| {
            let share = b.counts.n() as f64 / total;
            Rectangle::new(
                [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, share)],
                RGBColor(90, 140, 200).filled(),
            )
        }));
        let _ = chart.draw_secondary_series(LineSeries::new(
            bins.iter()
                .enumerate()
                .map(|(i, b)| (i as f64 + 0.5, b.counts.bad_rate())),
            RGBColor(200, 60, 40).stroke_width(2),
        ));
        let _ = chart.draw_secondary_series(bins.iter().enumerate().map(|(i, b)| {
            Circle::new(
                (i as f64 + 0.5, b.counts.bad_rate()),
                3,
                RGBColor(200, 60, 40).filled(),
            )
        }));
        let _ = root.present();
    }
    svg
}

/// Observed bad rate against mean predicted PD per score decile.
fn calibration_chart(model: &Scorecard, w: &Words) -> String {
    let sets: Vec<(&str, &Vec<xinrong_scorecard::metrics::Band>, RGBColor)> = std::iter::once((
        w.t("train", "训练"),
        &model.metrics.train.deciles,
        RGBColor(90, 140, 200),
    ))
    .chain(
        model
            .metrics
            .test
            .as_ref()
            .map(|t| (w.t("test", "测试"), &t.deciles, RGBColor(200, 60, 40))),
    )
    .collect();
    let top = sets
        .iter()
        .flat_map(|s| {
            s.1.iter()
                .filter(|b| b.count > 0)
                .map(|b| b.bad_rate.max(b.mean_pd))
        })
        .fold(0.0, f64::max)
        .max(0.01)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (420, 360)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..top, 0f64..top)
        else {
            return svg_error();
        };
        let _ = chart
            .configure_mesh()
            .x_desc(w.t("mean predicted PD", "平均预测违约率"))
            .y_desc(w.t("observed bad rate", "实际坏账率"))
            .draw();
        let _ = chart.draw_series(LineSeries::new([(0.0, 0.0), (top, top)], BLACK.mix(0.4)));
        for (name, deciles, color) in sets {
            let pts: Vec<(f64, f64)> = deciles
                .iter()
                .filter(|b| b.count > 0)
                .map(|b| (b.mean_pd, b.bad_rate))
                .collect();
            let _ = chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))
                .map(|s| {
                    s.label(name)
                        .legend(move |(x, y)| Circle::new((x, y), 4, color.filled()))
                });
        }
        let _ = chart
            .configure_series_labels()
            .border_style(BLACK.mix(0.3))
            .background_style(WHITE)
            .draw();
        let _ = root.present();
    }
    svg
}

/// The data sets with a histogram, each with a colour.
fn sets<'a>(model: &'a Scorecard, w: &Words) -> Vec<(String, &'a [ScoreBin], RGBColor)> {
    std::iter::once((
        w.t("train", "训练").to_string(),
        model.metrics.train.histogram.as_slice(),
        RGBColor(90, 140, 200),
    ))
    .chain(model.metrics.test.as_ref().map(|t| {
        (
            w.t("test", "测试").to_string(),
            t.histogram.as_slice(),
            RGBColor(200, 60, 40),
        )
    }))
    .filter(|s| !s.1.is_empty())
    .collect()
}

/// Cumulative shares of bads and goods from the lowest score up, with the score reached.
fn cumulative(h: &[ScoreBin]) -> Vec<(f64, f64, f64)> {
    let bads: f64 = h.iter().map(|b| b.bads as f64).sum::<f64>().max(1.0);
    let goods: f64 = h.iter().map(|b| b.goods as f64).sum::<f64>().max(1.0);
    let (mut cb, mut cg) = (0.0, 0.0);
    let mut out = vec![(h.first().map_or(0.0, |b| b.lo), 0.0, 0.0)];
    for b in h {
        cb += b.bads as f64 / bads;
        cg += b.goods as f64 / goods;
        out.push((b.hi, cb, cg));
    }
    out
}

/// ROC (share of bads caught against share of goods declined, lowest scores first), KS (the
/// two cumulative shares against the score, the gap marked where widest) and the score
/// distributions of goods and bads.
fn curve_charts(model: &Scorecard, w: &Words) -> String {
    let sets = sets(model, w);
    if sets.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut roc = String::new();
    {
        let root = SVGBackend::with_string(&mut roc, (380, 360)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        {
            let _ = chart
                .configure_mesh()
                .x_desc(w.t("share of goods", "好客户占比"))
                .y_desc(w.t("share of bads", "坏客户占比"))
                .draw();
            let _ = chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.4)));
            for (name, h, color) in &sets {
                let pts: Vec<(f64, f64)> = cumulative(h).iter().map(|p| (p.2, p.1)).collect();
                let c = *color;
                let _ = chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                    .map(|s| {
                        s.label(name.as_str()).legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2))
                        })
                    });
            }
            let _ = chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .border_style(BLACK.mix(0.3))
                .background_style(WHITE)
                .draw();
        }
        let _ = root.present();
    }
    let _ = write!(out, "<h3>ROC</h3><div class=\"chart\">{roc}</div>");
    let (name, h, _) = &sets[sets.len() - 1];
    let cum = cumulative(h);
    let (lo, hi) = (cum[0].0, cum[cum.len() - 1].0);
    let mut ks = String::new();
    {
        let root = SVGBackend::with_string(&mut ks, (640, 300)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(lo..hi.max(lo + 1.0), 0f64..1f64)
        {
            let _ = chart
                .configure_mesh()
                .x_desc(w.t("score", "分数"))
                .y_desc(w.t("cumulative share", "累计占比"))
                .draw();
            let _ = chart.draw_series(LineSeries::new(
                cum.iter().map(|p| (p.0, p.1)),
                RGBColor(200, 60, 40).stroke_width(2),
            ));
            let _ = chart.draw_series(LineSeries::new(
                cum.iter().map(|p| (p.0, p.2)),
                RGBColor(90, 140, 200).stroke_width(2),
            ));
            if let Some(top) = cum
                .iter()
                .max_by(|a, b| (a.1 - a.2).total_cmp(&(b.1 - b.2)))
            {
                let _ = chart.draw_series(LineSeries::new(
                    [(top.0, top.2), (top.0, top.1)],
                    BLACK.stroke_width(2),
                ));
            }
        }
        let _ = root.present();
    }
    let _ = write!(out, "<h3>KS ({name})</h3><div class=\"chart\">{ks}</div>");
    let mut dist = String::new();
    {
        let root = SVGBackend::with_string(&mut dist, (640, 300)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let goods: f64 = h.iter().map(|b| b.goods as f64).sum::<f64>().max(1.0);
        let bads: f64 = h.iter().map(|b| b.bads as f64).sum::<f64>().max(1.0);
        let top = h
            .iter()
            .map(|b| (b.goods as f64 / goods).max(b.bads as f64 / bads))
            .fold(0.0, f64::max)
            .max(0.01)
            * 1.1;
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(lo..hi.max(lo + 1.0), 0f64..top)
        {
            let _ = chart
                .configure_mesh()
                .x_desc(w.t("score", "分数"))
                .y_desc(w.t("share", "占比"))
                .draw();
            let _ = chart.draw_series(h.iter().map(|b| {
                Rectangle::new(
                    [(b.lo, 0.0), (b.hi, b.goods as f64 / goods)],
                    RGBColor(90, 140, 200).mix(0.5).filled(),
                )
            }));
            let _ = chart.draw_series(h.iter().map(|b| {
                Rectangle::new(
                    [(b.lo, 0.0), (b.hi, b.bads as f64 / bads)],
                    RGBColor(200, 60, 40).mix(0.5).filled(),
                )
            }));
        }
        let _ = root.present();
    }
    let _ = write!(
        out,
        "<h3>{} ({name})</h3><div class=\"chart\">{dist}</div>",
        w.t(
            "Score distribution of goods (blue) and bads (red)",
            "好（蓝）坏（红）客户分数分布"
        )
    );
    out
}

pub(crate) fn svg_error() -> String {
    "<p>(chart could not be drawn)</p>".into()
}

pub(crate) fn table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

/// Opens a report page: the document head, the shared style and the title.
pub(crate) fn head(h: &mut String, title: &str, lang: Lang) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
         body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"PingFang SC\",\"WenQuanYi Micro Hei\",sans-serif;margin:2em;max-width:1100px}} table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\
         th,td{{border:1px solid #ccc;padding:3px 8px;text-align:right}} th{{background:#f0f3f7}} td:first-child,th:first-child{{text-align:left}} td{{white-space:nowrap}} td:last-child{{white-space:normal}}\
         h2{{border-bottom:2px solid #5a8cc8;padding-bottom:3px}} .chart svg{{max-width:100%}} .act{{color:#b3261e;font-weight:bold}} .watch{{color:#a86b00}}</style></head><body>\n<h1>{title}</h1>\n",
        if lang == Lang::Zh { "zh" } else { "en" }
    );
}

/// The report as one HTML document in `lang` (Chinese labels of features come from the
/// model's dictionary when it has them).
pub fn report(model: &Scorecard, lang: Lang) -> String {
    let w = Words { lang };
    let mut h = String::new();
    let title = w.t("Scorecard report", "评分卡模型报告");
    head(&mut h, title, lang);
    let d = &model.data;
    let _ = write!(h, "<h2>{}</h2>", w.t("Data", "数据概况"));
    table(
        &mut h,
        &[w.t("Item", "项目"), w.t("Value", "取值")],
        vec![
            vec![
                w.t("training rows", "训练样本数").into(),
                d.train_rows.to_string(),
            ],
            vec![
                w.t("training bad rate", "训练坏账率").into(),
                format!("{:.4}", d.train_bads as f64 / d.train_rows.max(1) as f64),
            ],
            vec![
                w.t("test rows", "测试样本数").into(),
                d.test_rows
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "-".into()),
            ],
            vec![
                w.t("candidate features", "候选变量数").into(),
                d.candidate_features.to_string(),
            ],
            vec![
                w.t("training data SHA-256", "训练数据指纹").into(),
                d.train_sha256.clone(),
            ],
            vec![w.t("target", "目标变量").into(), model.target.clone()],
        ],
    );

    let _ = write!(h, "<h2>{}</h2>", w.t("Performance", "模型表现"));
    let mut perf = vec![];
    for (name, s) in std::iter::once((w.t("train", "训练"), &model.metrics.train)).chain(
        model
            .metrics
            .test
            .as_ref()
            .map(|t| (w.t("test", "测试"), t)),
    ) {
        perf.push(vec![
            name.to_string(),
            s.rows.to_string(),
            format!("{:.4}", s.auc),
            format!("{:.4}", s.ks),
            format!("{:.2}", s.ks_score),
            format!("{:.4}", s.gini),
            format!("{:.3}", s.hosmer_lemeshow_p),
        ]);
    }
    table(
        &mut h,
        &[
            w.t("set", "数据集"),
            w.t("rows", "样本数"),
            "AUC",
            "KS",
            w.t("KS at score", "KS 对应分数"),
            "Gini",
            "H-L p",
        ],
        perf,
    );
    if let Some(p) = model.metrics.score_psi {
        let _ = write!(
            h,
            "<p>{}: {p:.4}</p>",
            w.t("Score PSI, train to test", "评分稳定性 PSI（训练→测试）")
        );
    }
    h.push_str(&curve_charts(model, &w));
    let _ = write!(
        h,
        "<h3>{}</h3><div class=\"chart\">{}</div>",
        w.t("Calibration by score decile", "分数十分位校准"),
        calibration_chart(model, &w)
    );

    let _ = write!(h, "<h2>{}</h2>", w.t("Grades", "信用等级"));
    let mut rows = vec![];
    for (g, b) in model.metrics.train.grades.iter().enumerate() {
        let range = model.grades.range_label(g);
        let t = model.metrics.test.as_ref().map(|t| &t.grades[g]);
        rows.push(vec![
            b.label.clone(),
            range,
            b.count.to_string(),
            format!("{:.4}", b.bad_rate),
            t.map(|x| x.count.to_string()).unwrap_or_default(),
            t.map(|x| format!("{:.4}", x.bad_rate)).unwrap_or_default(),
        ]);
    }
    table(
        &mut h,
        &[
            w.t("grade", "等级"),
            w.t("score", "分数"),
            w.t("train rows", "训练样本"),
            w.t("train bad rate", "训练坏账率"),
            w.t("test rows", "测试样本"),
            w.t("test bad rate", "测试坏账率"),
        ],
        rows,
    );
    let _ = write!(
        h,
        "<p>{}: {}</p>",
        w.t(
            "Bad rates rise from A to F on training data",
            "训练集坏账率自 A 至 F 单调上升"
        ),
        if model.metrics.grades_monotone {
            w.t("yes", "是")
        } else {
            w.t("no", "否")
        }
    );

    let _ = write!(h, "<h2>{}</h2>", w.t("Model", "模型"));
    let coef_rows = model
        .features
        .iter()
        .map(|f| {
            vec![
                f.name.clone(),
                f.display(lang).to_string(),
                format!("{:.4}", f.coefficient),
                format!("{:.4}", f.std_err),
                format!("{:.2e}", f.p_value),
                format!("{:.2}", f.vif),
                format!("{:.4}", f.binning.iv),
            ]
        })
        .collect();
    table(
        &mut h,
        &[
            w.t("feature", "变量"),
            w.t("label", "名称"),
            w.t("coefficient", "系数"),
            w.t("std. error", "标准误"),
            "p",
            "VIF",
            "IV",
        ],
        coef_rows,
    );
    let _ = write!(
        h,
        "<p>{}: {:.2}</p>",
        w.t("Base points", "基础分"),
        model.base_points
    );
    for f in &model.features {
        let _ = write!(h, "<h3>{} — {}</h3>", esc(&f.name), esc(f.display(lang)));
        let total: f64 = f
            .binning
            .bins
            .iter()
            .map(|b| b.counts.n() as f64)
            .sum::<f64>()
            .max(1.0);
        let mut k = 0;
        let rows = f
            .binning
            .bins
            .iter()
            .zip(&f.points)
            .map(|(b, p)| {
                let idx = if b.counts.n() > 0 {
                    k += 1;
                    k.to_string()
                } else {
                    "-".into()
                };
                vec![
                    idx,
                    b.label.clone(),
                    b.counts.n().to_string(),
                    format!("{:.3}", b.counts.n() as f64 / total),
                    format!("{:.4}", b.counts.bad_rate()),
                    format!("{:.4}", b.woe),
                    format!("{:.2}", p),
                ]
            })
            .collect();
        table(
            &mut h,
            &[
                "#",
                w.t("bin", "分箱"),
                w.t("rows", "样本数"),
                w.t("share", "占比"),
                w.t("bad rate", "坏账率"),
                "WOE",
                w.t("points", "分值"),
            ],
            rows,
        );
        let _ = write!(h, "<div class=\"chart\">{}</div>", bin_chart(f, &w));
    }

    let _ = write!(h, "<h2>{}</h2>", w.t("Screening", "变量筛选"));
    let mut screen: Vec<_> = model.screening.iter().collect();
    screen.sort_by(|a, b| b.iv.total_cmp(&a.iv));
    let rows = screen
        .iter()
        .map(|r| r.cells(w.t("dropped", "剔除")))
        .collect();
    table(
        &mut h,
        &[
            w.t("feature", "变量"),
            "IV",
            w.t("missing rate", "缺失率"),
            "PSI",
            w.t("outcome", "结论"),
        ],
        rows,
    );

    let _ = write!(h, "<h2>{}</h2><ul>", w.t("Model card", "模型说明"));
    let card = [
        (w.t("Intended use", "用途"), w.t("Ranking applicants by probability of default for credit decisions, with reason codes.", "按违约概率对申请主体排序，辅助授信决策，并给出原因码。")),
        (w.t("Target", "目标定义"), w.t("1 = bad (default), 0 = good, as given in the training data.", "1 表示违约（坏），0 表示正常（好），以训练数据为准。")),
        (w.t("Limitations", "局限"), w.t("Valid for populations like the training data; monitor score PSI and refit when it exceeds 0.25.", "仅适用于与训练样本相似的客群；需监控评分 PSI，超过 0.25 时应重新建模。")),
    ];
    for (k, v) in card {
        let _ = write!(h, "<li><b>{}</b>: {}</li>", esc(k), esc(v));
    }
    for n in &model.notes {
        let _ = write!(h, "<li>{}</li>", esc(n));
    }
    h.push_str("</ul>\n</body></html>\n");
    h
}
