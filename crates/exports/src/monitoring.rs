//! The monthly monitoring report: score and characteristic stability with their tests,
//! discrimination once outcomes are known, vintage curves, roll rates and five-category
//! migration. One self-contained HTML page with inline SVG, like the model report.

use std::fmt::Write;

use plotters::prelude::*;
use xinrong_monitor::book::{Matrix, Vintage};
use xinrong_monitor::drift::{Discrimination, Stability, Thresholds};
use xinrong_scorecard::Lang;

use crate::markup::escape as esc;
use crate::report::{Words, head, svg_error, table};

/// What a month's monitoring found.
pub struct Monitoring<'a> {
    /// The model watched, if the report covers one.
    pub model: Option<&'a str>,
    /// The month end (`YYYY-MM-DD`).
    pub as_of: &'a str,
    /// Score stability (with a model).
    pub score: Option<&'a Stability>,
    /// Characteristic stability.
    pub characteristics: &'a [Stability],
    /// Discrimination, once outcomes are known.
    pub discrimination: Option<&'a Discrimination>,
    /// Vintage curves of the loan book.
    pub vintages: &'a [Vintage],
    /// Roll rates.
    pub roll: Option<&'a Matrix>,
    /// Five-category migration.
    pub migration: Option<&'a Matrix>,
    /// The thresholds applied.
    pub thresholds: Thresholds,
}

fn shift_chart(s: &Stability, w: &Words) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 240)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = s.bins.len().max(1);
        let top = s
            .bins
            .iter()
            .map(|b| b.expected.max(b.actual))
            .fold(0.0, f64::max)
            .max(0.01)
            * 1.15;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
        else {
            return svg_error();
        };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| format!("{}", *x as usize + 1))
            .y_desc(w.t("share", "占比"))
            .draw();
        let blue = RGBColor(90, 140, 200);
        let orange = RGBColor(230, 140, 40);
        let _ = chart
            .draw_series(s.bins.iter().enumerate().map(|(i, b)| {
                Rectangle::new(
                    [(i as f64 + 0.1, 0.0), (i as f64 + 0.48, b.expected)],
                    blue.filled(),
                )
            }))
            .map(|a| {
                a.label(w.t("development", "开发样本"))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 10, y + 5)], blue.filled())
                    })
            });
        let _ = chart
            .draw_series(s.bins.iter().enumerate().map(|(i, b)| {
                Rectangle::new(
                    [(i as f64 + 0.52, 0.0), (i as f64 + 0.9, b.actual)],
                    orange.filled(),
                )
            }))
            .map(|a| {
                a.label(w.t("this month", "本月")).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], orange.filled())
                })
            });
        let _ = chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw();
        let _ = root.present();
    }
    svg
}

fn vintage_chart(vintages: &[Vintage], w: &Words) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 280)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let mob = vintages
            .iter()
            .map(|v| v.bad_rate.len())
            .max()
            .unwrap_or(1)
            .max(2);
        let top = vintages
            .iter()
            .flat_map(|v| v.bad_rate.iter().copied())
            .fold(0.0, f64::max)
            .max(0.01)
            * 1.1;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(52)
            .build_cartesian_2d(0f64..(mob - 1) as f64, 0f64..top)
        else {
            return svg_error();
        };
        let _ = chart
            .configure_mesh()
            .x_desc(w.t("months on book", "账龄（月）"))
            .y_desc(w.t("cumulative 90+ rate", "累计90天以上逾期率"))
            .y_label_formatter(&|y| format!("{:.1}%", 100.0 * y))
            .draw();
        for (k, v) in vintages.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let _ = chart.draw_series(LineSeries::new(
                v.bad_rate.iter().enumerate().map(|(m, r)| (m as f64, *r)),
                color.stroke_width(2),
            ));
        }
        let _ = root.present();
    }
    svg
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn p_value(p: Option<f64>) -> String {
    p.map_or_else(|| "—".into(), |p| format!("{p:.4}"))
}

fn status(s: &str, w: &Words) -> String {
    match s {
        "act" => w.t("act", "需处置").into(),
        "watch" => w.t("watch", "需关注").into(),
        _ => w.t("stable", "稳定").into(),
    }
}

fn matrix_table(h: &mut String, m: &Matrix, w: &Words) {
    let mut head: Vec<&str> = vec![w.t("from \\ to", "从 \\ 到")];
    head.extend(m.states.iter().map(String::as_str));
    head.push(w.t("loans", "笔数"));
    let rates = m.rates();
    let rows = m
        .states
        .iter()
        .enumerate()
        .filter(|(i, _)| m.counts[*i].iter().sum::<u64>() > 0)
        .map(|(i, s)| {
            let mut r = vec![s.clone()];
            r.extend(rates[i].iter().map(|x| pct(*x)));
            r.push(m.counts[i].iter().sum::<u64>().to_string());
            r
        })
        .collect();
    table(h, &head, rows);
}

/// The report as one HTML document in `lang`.
pub fn monitoring_report(m: &Monitoring, lang: Lang) -> String {
    let w = Words { lang };
    let mut h = String::new();
    head(
        &mut h,
        w.t("Monthly model monitoring", "模型月度监测报告"),
        lang,
    );
    let t = &m.thresholds;
    let _ = write!(
        h,
        "<p>{} <b>{}</b> · {} <b>{}</b> · {} PSI/CSI ≥ {} {}, ≥ {} {}; χ² α = {}</p>",
        w.t("Model", "模型"),
        esc(m.model.unwrap_or("—")),
        w.t("data", "数据"),
        esc(m.as_of),
        w.t("thresholds", "阈值"),
        t.watch,
        w.t("watch", "关注"),
        t.act,
        w.t("act", "处置"),
        t.alpha
    );

    if let Some(s) = m.score {
        score_sections(&mut h, s, m.characteristics, &w);
    }
    discrimination_section(&mut h, m, &w);
    book_sections(&mut h, m, &w);
    h.push_str("</body></html>\n");
    h
}

fn score_sections(h: &mut String, s: &Stability, characteristics: &[Stability], w: &Words) {
    let _ = write!(
        h,
        "<h2>{}</h2><p>PSI <span class=\"{}\">{:.4}</span> ({}) · {} {} · χ² p {}</p>",
        w.t("Score stability", "评分稳定性"),
        s.status,
        s.index,
        status(s.status, w),
        w.t("rows", "样本数"),
        s.rows,
        p_value(s.p_value)
    );
    if let Some(why) = &s.not_meaningful {
        let _ = write!(h, "<p><i>{}</i></p>", esc(why));
    }
    let _ = write!(h, "<div class=\"chart\">{}</div>", shift_chart(s, w));
    bins_table(h, s, w);
    let _ = write!(
        h,
        "<h2>{}</h2>",
        w.t("Characteristic stability (CSI)", "特征稳定性（CSI）")
    );
    table(
        h,
        &[
            w.t("characteristic", "特征"),
            "CSI",
            w.t("status", "状态"),
            "χ²",
            "p",
            w.t("note", "说明"),
        ],
        characteristics
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    format!("{:.4}", c.index),
                    status(c.status, w),
                    c.chi2.map_or_else(|| "—".into(), |x| format!("{x:.2}")),
                    p_value(c.p_value),
                    c.not_meaningful.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    );
    for c in characteristics.iter().filter(|c| c.status != "stable") {
        let _ = write!(h, "<h3>{}</h3>", esc(&c.name));
        bins_table(h, c, w);
    }
}

fn discrimination_section(h: &mut String, m: &Monitoring, w: &Words) {
    let Some(d) = m.discrimination else { return };
    let _ = write!(h, "<h2>{}</h2>", w.t("Discrimination", "区分能力"));
    let opt = |x: Option<f64>| x.map_or_else(|| "—".into(), |x| format!("{x:.4}"));
    table(
        h,
        &[
            w.t("measure", "指标"),
            w.t("now", "当前"),
            w.t("development", "开发样本"),
        ],
        vec![
            vec!["AUC".into(), opt(d.auc), format!("{:.4}", d.dev_auc)],
            vec!["KS".into(), opt(d.ks), format!("{:.4}", d.dev_ks)],
            vec![
                w.t("rows (bads)", "样本（坏样本）").into(),
                format!("{} ({})", d.rows, d.bads),
                String::new(),
            ],
        ],
    );
}

fn book_sections(h: &mut String, m: &Monitoring, w: &Words) {
    if !m.vintages.is_empty() {
        let _ = write!(
            h,
            "<h2>{}</h2><div class=\"chart\">{}</div>",
            w.t("Vintage curves", "账龄分析（Vintage）"),
            vintage_chart(m.vintages, w)
        );
        table(
            h,
            &[
                w.t("vintage", "放款月"),
                w.t("loans", "笔数"),
                w.t("amount", "金额"),
                w.t("months observed", "观察月数"),
                w.t("cumulative 90+ (count)", "累计90+（笔数）"),
                w.t("cumulative 90+ (amount)", "累计90+（金额）"),
            ],
            m.vintages
                .iter()
                .map(|v| {
                    vec![
                        v.vintage.clone(),
                        v.loans.to_string(),
                        v.amount.to_string(),
                        v.bad_rate.len().saturating_sub(1).to_string(),
                        pct(*v.bad_rate.last().unwrap_or(&0.0)),
                        pct(*v.bad_amount_rate.last().unwrap_or(&0.0)),
                    ]
                })
                .collect(),
        );
    }
    if let Some(r) = m.roll {
        let _ = write!(
            h,
            "<h2>{}</h2>",
            w.t("Roll rates, month to month", "逾期迁移率（月度）")
        );
        matrix_table(h, r, w);
    }
    if let Some(r) = m.migration {
        let _ = write!(
            h,
            "<h2>{}</h2>",
            w.t(
                "Five-category migration, month to month",
                "五级分类迁移（月度）"
            )
        );
        matrix_table(h, r, w);
    }
}

fn bins_table(h: &mut String, s: &Stability, w: &Words) {
    table(
        h,
        &[
            w.t("bin", "分箱"),
            w.t("development", "开发样本"),
            w.t("this month", "本月"),
            w.t("rows", "样本数"),
            w.t("contribution", "贡献"),
            "p",
        ],
        s.bins
            .iter()
            .map(|b| {
                vec![
                    b.label.clone(),
                    pct(b.expected),
                    pct(b.actual),
                    b.rows.to_string(),
                    format!("{:.4}", b.contribution),
                    p_value(b.p_value),
                ]
            })
            .collect(),
    );
}
