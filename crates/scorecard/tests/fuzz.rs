//! Untrusted inputs of the engine, fuzzed (proptest): a model file someone hands the platform
//! and a fit configuration someone writes. Whatever they hold, the engine answers with a
//! typed error or a result, never a panic; a model it accepts scores any row without one.

use proptest::prelude::*;
use serde_json::Value;
use xinrong_scorecard::{
    Dataset, FeatureData, FeatureView, FitConfig, FitInput, Scorecard, Silent, fit,
};

/// A small fitted model with a numeric and a categorical characteristic, special values and
/// missing values, so every kind of bin is in the file.
fn model_json() -> String {
    let n = 1200;
    let x: Vec<f64> = (0..n)
        .map(|i| match i % 37 {
            0 => f64::NAN,
            1 => -999.0,
            _ => ((i * 7919) % 1000) as f64 / 10.0,
        })
        .collect();
    let codes: Vec<u32> = (0..n)
        .map(|i| {
            if i % 29 == 0 {
                u32::MAX
            } else {
                (i % 5) as u32
            }
        })
        .collect();
    let levels: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
    let y: Vec<u8> = (0..n)
        .map(|i| u8::from(x[i].is_finite() && x[i] > 60.0 || codes[i] == 3 || i % 11 == 0))
        .collect();
    let mut config = FitConfig::default();
    config.binning.special_values = vec![-999.0];
    config.screening.min_iv = 0.0;
    let input = FitInput {
        train: Dataset {
            features: vec![
                FeatureView {
                    name: "x",
                    data: FeatureData::Numeric(&x),
                },
                FeatureView {
                    name: "c",
                    data: FeatureData::Categorical {
                        codes: &codes,
                        levels: &levels,
                    },
                },
            ],
            target: y,
        },
        test: None,
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    fit(&input, &config, &Silent)
        .expect("fixture fits")
        .to_json()
}

/// Every path to a leaf or container of a JSON value.
fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Step::Key(k.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get_mut(k),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// What a mutation puts in place of a value.
fn replacement() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(serde_json::json!(-1))),
        Just(Some(serde_json::json!(0))),
        Just(Some(serde_json::json!(1e308))),
        Just(Some(serde_json::json!(-1e308))),
        Just(Some(serde_json::json!(4_294_967_295u64))),
        Just(Some(serde_json::json!(""))),
        Just(Some(serde_json::json!("x\u{0}y"))),
        Just(Some(serde_json::json!([]))),
        Just(Some(serde_json::json!([1, 2, 3]))),
        Just(Some(serde_json::json!({}))),
        any::<f64>().prop_map(|f| Some(serde_json::json!(f))),
        any::<i32>().prop_map(|i| Some(serde_json::json!(i))),
    ]
}

/// Scores rows of edge values with `model`: it must not panic.
fn score_everything(model: &Scorecard) {
    let edge = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -999.0,
        0.0,
        -1e300,
        1e300,
        3.0,
        50.0,
    ];
    for (k, &v) in edge.iter().enumerate() {
        for top_n in [0, 1, 4, 60] {
            let _ = model.score_one(|_| Some(v), |_| true, top_n);
            let _ = model.score_one(
                |name| (k % 2 == 0).then_some(v).filter(|_| name != "c"),
                |_| k % 3 == 0,
                top_n,
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Any text at all is a model file or a typed error.
    #[test]
    fn any_text_is_a_model_or_a_typed_error(text in ".{0,400}") {
        if let Ok(model) = Scorecard::from_json(&text) {
            score_everything(&model);
        }
    }

    /// A real model file with a few values changed, removed or replaced is accepted (and then
    /// scores any row) or refused with a typed error.
    #[test]
    fn a_damaged_model_file_is_refused_or_scores_safely(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), replacement()), 1..4)
    ) {
        static MODEL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let text = MODEL.get_or_init(model_json);
        let mut value: Value = serde_json::from_str(text).unwrap();
        for (index, new) in picks {
            let mut all = Vec::new();
            paths(&value, &mut Vec::new(), &mut all);
            let path = index.get(&all).clone();
            if path.is_empty() {
                continue;
            }
            let (last, parent) = path.split_last().unwrap();
            let Some(parent) = at(&mut value, parent) else { continue };
            match (new, last, parent) {
                (None, Step::Key(k), Value::Object(m)) => { m.remove(k); }
                (None, Step::Index(i), Value::Array(a)) => { a.remove(*i); }
                (Some(v), Step::Key(k), Value::Object(m)) => { m.insert(k.clone(), v); }
                (Some(v), Step::Index(i), Value::Array(a)) => { a[*i] = v; }
                _ => {}
            }
        }
        if let Ok(model) = Scorecard::from_json(&value.to_string()) {
            score_everything(&model);
        }
    }
}

/// Keys and values a fit configuration may hold, put together at random.
fn config_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("binning.method"),
        Just("binning.max_prebins"),
        Just("binning.max_bins"),
        Just("binning.min_bin_share"),
        Just("binning.significance"),
        Just("binning.trend"),
        Just("binning.shape_gain"),
        Just("binning.special_values"),
        Just("binning.rare_category_share"),
        Just("binning.features.x.cuts"),
        Just("binning.features.c.groups"),
        Just("binning.features.x.trend"),
        Just("binning.features.x.categorical"),
        Just("binning.features.c.exclude"),
        Just("screening.min_iv"),
        Just("screening.max_missing_rate"),
        Just("screening.max_correlation"),
        Just("selection.max_features"),
        Just("selection.l1"),
        Just("selection.l2"),
        Just("selection.cross_fit"),
        Just("scaling.pdo"),
        Just("scaling.base_odds"),
        Just("grades.cuts"),
        Just("reasons.top_n"),
        Just("nonsense.key"),
    ];
    let value = prop_oneof![
        Just("0"),
        Just("1"),
        Just("2"),
        Just("-1"),
        Just("1e9"),
        Just("0.5"),
        Just("nan"),
        Just("inf"),
        Just("\"optimal\""),
        Just("\"chimerge\""),
        Just("\"auto\""),
        Just("\"ascending\""),
        Just("\"peak\""),
        Just("\"never\""),
        Just("\"x\""),
        Just("true"),
        Just("[]"),
        Just("[1.0, 0.5]"),
        Just("[0.5, 1.0, 80.0]"),
        Just("[nan]"),
        Just("[[\"a\", \"b\"], [\"c\"]]"),
        Just("[[]]"),
        Just("[700, 650, 600, 550, 500, 450]"),
        Just("[1, 2, 3, 4, 5, 6]"),
    ];
    proptest::collection::vec((key, value), 0..6).prop_map(|pairs| {
        let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (key, value) in pairs {
            let (table, leaf) = key.rsplit_once('.').unwrap();
            tables
                .entry(table.to_string())
                .or_default()
                .push(format!("{leaf} = {value}"));
        }
        tables
            .into_iter()
            .map(|(t, lines)| format!("[{t}]\n{}\n", lines.join("\n")))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// A configuration is refused with the key named, or it fits (with hand-set bins and all)
    /// without a panic.
    #[test]
    fn any_configuration_is_refused_by_name_or_fits(text in config_text()) {
        let Ok(config) = toml::from_str::<FitConfig>(&text) else { return Ok(()) };
        if config.validate().is_err() {
            return Ok(());
        }
        let n = 600;
        let x: Vec<f64> = (0..n).map(|i| ((i * 31) % 97) as f64).collect();
        let codes: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let levels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let y: Vec<u8> = (0..n).map(|i| u8::from(x[i] > 70.0 || i % 13 == 0)).collect();
        let input = FitInput {
            train: Dataset {
                features: vec![
                    FeatureView { name: "x", data: FeatureData::Numeric(&x) },
                    FeatureView { name: "c", data: FeatureData::Categorical { codes: &codes, levels: &levels } },
                ],
                target: y,
            },
            test: None,
            target_name: "bad".into(),
            id_column: None,
            labels: Default::default(),
        };
        if let Ok(model) = fit(&input, &config, &Silent) {
            let again = Scorecard::from_json(&model.to_json());
            prop_assert!(again.is_ok(), "a fitted model reads back: {:?}", again.err());
        }
    }
}
