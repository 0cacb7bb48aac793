//! The scorecard as an Excel workbook a credit committee can read.

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use xinrong_scorecard::Scorecard;

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the workbook: {0}")]
pub struct XlsxExportError(#[from] XlsxError);

/// Three sheets: `Scorecard` (characteristic, bin, points, with the base points first),
/// `Bins` (every bin of every characteristic with counts, bad rate, WOE and IV) and `Metrics`
/// (train and test AUC, KS, Gini, PSI and the grade table). Returns the file's bytes.
pub fn xlsx(model: &Scorecard) -> Result<Vec<u8>, XlsxExportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let two = Format::new().set_num_format("0.00");
    let four = Format::new().set_num_format("0.0000");

    let ws = wb.add_worksheet().set_name("Scorecard")?;
    for (c, h) in [
        "Characteristic 特征",
        "Label 名称",
        "Bin 分箱",
        "Points 分值",
    ]
    .iter()
    .enumerate()
    {
        ws.write_with_format(0, c as u16, *h, &bold)?;
    }
    ws.write(1, 0, "(base points)")?;
    ws.write_with_format(1, 3, model.base_points, &two)?;
    let mut r = 2u32;
    for f in &model.features {
        for (b, p) in f.binning.bins.iter().zip(&f.points) {
            ws.write(r, 0, f.name.as_str())?;
            ws.write(r, 1, f.display(xinrong_scorecard::Lang::Zh))?;
            ws.write(r, 2, b.label.as_str())?;
            ws.write_with_format(r, 3, *p, &two)?;
            r += 1;
        }
    }
    ws.set_column_width(0, 32)?;
    ws.set_column_width(2, 40)?;

    let ws = wb.add_worksheet().set_name("Bins")?;
    let head = [
        "Characteristic",
        "Bin",
        "Kind",
        "Count",
        "Goods",
        "Bads",
        "Bad rate",
        "WOE",
        "IV",
        "Points",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_with_format(0, c as u16, *h, &bold)?;
    }
    let mut r = 1u32;
    for f in &model.features {
        for (b, p) in f.binning.bins.iter().zip(&f.points) {
            ws.write(r, 0, f.name.as_str())?;
            ws.write(r, 1, b.label.as_str())?;
            ws.write(r, 2, format!("{:?}", b.kind).to_lowercase())?;
            ws.write(r, 3, b.counts.n() as f64)?;
            ws.write(r, 4, b.counts.good as f64)?;
            ws.write(r, 5, b.counts.bad as f64)?;
            ws.write_with_format(r, 6, b.counts.bad_rate(), &four)?;
            ws.write_with_format(r, 7, b.woe, &four)?;
            ws.write_with_format(r, 8, b.iv, &four)?;
            ws.write_with_format(r, 9, *p, &two)?;
            r += 1;
        }
    }

    let ws = wb.add_worksheet().set_name("Metrics")?;
    for (c, h) in ["Measure", "Train", "Test"].iter().enumerate() {
        ws.write_with_format(0, c as u16, *h, &bold)?;
    }
    let m = &model.metrics;
    let rows: [(&str, f64, Option<f64>); 5] = [
        (
            "Rows",
            m.train.rows as f64,
            m.test.as_ref().map(|t| t.rows as f64),
        ),
        (
            "Bad rate",
            m.train.bad_rate,
            m.test.as_ref().map(|t| t.bad_rate),
        ),
        ("AUC", m.train.auc, m.test.as_ref().map(|t| t.auc)),
        ("KS", m.train.ks, m.test.as_ref().map(|t| t.ks)),
        ("Gini", m.train.gini, m.test.as_ref().map(|t| t.gini)),
    ];
    for (i, (name, train, test)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write(r, 0, *name)?;
        ws.write_with_format(r, 1, *train, &four)?;
        if let Some(t) = test {
            ws.write_with_format(r, 2, *t, &four)?;
        }
    }
    if let Some(p) = m.score_psi {
        ws.write(6, 0, "Score PSI")?;
        ws.write_with_format(6, 2, p, &four)?;
    }
    let g0 = 8u32;
    for (c, h) in [
        "Grade",
        "Min score",
        "Train rows",
        "Train bad rate",
        "Test rows",
        "Test bad rate",
    ]
    .iter()
    .enumerate()
    {
        ws.write_with_format(g0, c as u16, *h, &bold)?;
    }
    for (k, band) in m.train.grades.iter().enumerate() {
        let r = g0 + 1 + k as u32;
        ws.write(r, 0, band.label.as_str())?;
        if let Some(cut) = model.grades.cuts.get(k) {
            ws.write(r, 1, *cut)?;
        }
        ws.write(r, 2, band.count as f64)?;
        ws.write_with_format(r, 3, band.bad_rate, &four)?;
        if let Some(t) = m.test.as_ref().map(|t| &t.grades[k]) {
            ws.write(r, 4, t.count as f64)?;
            ws.write_with_format(r, 5, t.bad_rate, &four)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}
