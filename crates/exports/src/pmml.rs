//! The scorecard as PMML 4.4 `Scorecard`, with reason codes, PD and grade as outputs.

use std::fmt::Write;
use xinrong_core::Grade;
use xinrong_scorecard::binning::{BinKind, BinRule};
use xinrong_scorecard::{ModelFeature, Scorecard};

use crate::markup::escape as esc;

fn num(v: f64) -> String {
    format!("{v:?}")
}

/// One `Attribute` per bin, in the engine's order of precedence: missing, special values,
/// intervals (or category groups), then everything else (the last interval, or unseen
/// categories).
fn characteristic(f: &ModelFeature, out: &mut String) {
    let field = esc(&f.name);
    let bins = &f.binning.bins;
    let points_of = |kind: BinKind| {
        bins.iter()
            .position(|b| b.kind == kind)
            .map_or(0.0, |i| f.points[i])
    };
    let _ = writeln!(
        out,
        "      <Characteristic name=\"{field}_points\" reasonCode=\"{field}\" baselineScore=\"{}\">",
        num(f.max_points())
    );
    let attr = |out: &mut String, points: f64, predicate: String| {
        let _ = writeln!(
            out,
            "        <Attribute partialScore=\"{}\">{predicate}</Attribute>",
            num(points)
        );
    };
    attr(
        out,
        points_of(BinKind::Missing),
        format!("<SimplePredicate field=\"{field}\" operator=\"isMissing\"/>"),
    );
    match &f.binning.rule {
        BinRule::Numeric {
            cuts,
            special_values,
        } => {
            for (k, v) in special_values.iter().enumerate() {
                attr(
                    out,
                    f.points[cuts.len() + 1 + k],
                    format!(
                        "<SimplePredicate field=\"{field}\" operator=\"equal\" value=\"{}\"/>",
                        num(*v)
                    ),
                );
            }
            for (i, c) in cuts.iter().enumerate() {
                attr(
                    out,
                    f.points[i],
                    format!(
                        "<SimplePredicate field=\"{field}\" operator=\"lessThan\" value=\"{}\"/>",
                        num(*c)
                    ),
                );
            }
            attr(out, f.points[cuts.len()], "<True/>".into());
        }
        BinRule::Categorical { groups } => {
            for (g, members) in groups.iter().enumerate() {
                let items: Vec<String> = members
                    .iter()
                    .map(|m| format!("\"{}\"", esc(&m.replace('"', "\\\""))))
                    .collect();
                attr(
                    out,
                    f.points[g],
                    format!(
                        "<SimpleSetPredicate field=\"{field}\" booleanOperator=\"isIn\"><Array n=\"{}\" type=\"string\">{}</Array></SimpleSetPredicate>",
                        members.len(),
                        items.join(" ")
                    ),
                );
            }
            attr(out, points_of(BinKind::Unseen), "<True/>".into());
        }
    }
    let _ = writeln!(out, "      </Characteristic>");
}

/// PMML 4.4 text of the model. The `Scorecard` element carries the initial score (base points),
/// one characteristic per feature with the partial score of every bin, and reason codes
/// ranked by points below each characteristic's maximum (`pointsBelow`, baseline `max`), as
/// `xinrong score` ranks them. Outputs: `score`, `pd` (from the score through the scaling),
/// `grade` and `reason_1..top_n`.
pub fn pmml(model: &Scorecard, top_n: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        s,
        "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">"
    );
    let _ = writeln!(
        s,
        "  <Header copyright=\"\" description=\"Xinrong scorecard; training data SHA-256 {}\"><Application name=\"xinrong\" version=\"{}\"/></Header>",
        model.data.train_sha256,
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        s,
        "  <DataDictionary numberOfFields=\"{}\">",
        model.features.len()
    );
    for f in &model.features {
        let (optype, dtype) = match f.binning.rule {
            BinRule::Numeric { .. } => ("continuous", "double"),
            BinRule::Categorical { .. } => ("categorical", "string"),
        };
        let _ = writeln!(
            s,
            "    <DataField name=\"{}\" optype=\"{optype}\" dataType=\"{dtype}\"/>",
            esc(&f.name)
        );
    }
    let _ = writeln!(s, "  </DataDictionary>");
    let _ = writeln!(
        s,
        "  <Scorecard modelName=\"xinrong\" functionName=\"regression\" useReasonCodes=\"true\" reasonCodeAlgorithm=\"pointsBelow\" baselineMethod=\"max\" initialScore=\"{}\">",
        num(model.base_points)
    );
    let _ = writeln!(s, "    <MiningSchema>");
    for f in &model.features {
        let _ = writeln!(
            s,
            "      <MiningField name=\"{}\" usageType=\"active\" invalidValueTreatment=\"asMissing\"/>",
            esc(&f.name)
        );
    }
    let _ = writeln!(s, "    </MiningSchema>");
    let _ = writeln!(s, "    <Output>");
    let _ = writeln!(
        s,
        "      <OutputField name=\"score\" optype=\"continuous\" dataType=\"double\" feature=\"predictedValue\"/>"
    );
    let _ = writeln!(
        s,
        "      <OutputField name=\"pd\" optype=\"continuous\" dataType=\"double\" feature=\"transformedValue\"><Apply function=\"/\"><Constant dataType=\"double\">1.0</Constant><Apply function=\"+\"><Constant dataType=\"double\">1.0</Constant><Apply function=\"exp\"><Apply function=\"/\"><Apply function=\"-\"><FieldRef field=\"score\"/><Constant dataType=\"double\">{}</Constant></Apply><Constant dataType=\"double\">{}</Constant></Apply></Apply></Apply></Apply></OutputField>",
        num(model.scaling.offset),
        num(model.scaling.factor)
    );
    // Grades: A at or above cuts[0], …, F below cuts[5].
    let mut grade = String::from("<Discretize field=\"score\" dataType=\"string\">");
    let cuts = &model.grades.cuts;
    for (k, g) in Grade::ALL.iter().enumerate() {
        let lo = cuts
            .get(k)
            .map(|c| format!(" leftMargin=\"{}\"", num(*c)))
            .unwrap_or_default();
        let hi = if k == 0 {
            String::new()
        } else {
            format!(" rightMargin=\"{}\"", num(cuts[k - 1]))
        };
        let _ = write!(
            grade,
            "<DiscretizeBin binValue=\"{g}\"><Interval closure=\"closedOpen\"{lo}{hi}/></DiscretizeBin>"
        );
    }
    grade.push_str("</Discretize>");
    let _ = writeln!(
        s,
        "      <OutputField name=\"grade\" optype=\"categorical\" dataType=\"string\" feature=\"transformedValue\">{grade}</OutputField>"
    );
    for k in 1..=top_n {
        let _ = writeln!(
            s,
            "      <OutputField name=\"reason_{k}\" optype=\"categorical\" dataType=\"string\" feature=\"reasonCode\" rank=\"{k}\"/>"
        );
    }
    let _ = writeln!(s, "    </Output>");
    let _ = writeln!(s, "    <Characteristics>");
    for f in &model.features {
        characteristic(f, &mut s);
    }
    let _ = writeln!(s, "    </Characteristics>");
    let _ = writeln!(s, "  </Scorecard>");
    let _ = writeln!(s, "</PMML>");
    s
}
