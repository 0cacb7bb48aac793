//! Invariants of the engine under random data (proptest).

use proptest::prelude::*;
use std::collections::HashMap;
use xinrong_scorecard::binning::{BinKind, BinRule, fit_feature};
use xinrong_scorecard::config::{BinningConfig, Trend};
use xinrong_scorecard::{Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent, fit};

/// Values with ties, a few missing and special values, and targets loosely tied to them.
fn column() -> impl Strategy<Value = (Vec<f64>, Vec<u8>)> {
    proptest::collection::vec((0u32..60, 0u32..100, any::<bool>()), 150..500).prop_map(|rows| {
        let x = rows
            .iter()
            .map(|&(v, m, _)| match m {
                0..=4 => f64::NAN,
                5..=7 => -999.0,
                _ => v as f64 * 0.37 - 5.0,
            })
            .collect();
        let y = rows
            .iter()
            .map(|&(v, _, coin)| u8::from(coin && v % 3 == 0 || v > 45))
            .collect();
        (x, y)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn bins_cover_the_line_and_keep_their_trend((x, y) in column(), probe in proptest::collection::vec(any::<f64>(), 20)) {
        prop_assume!(y.contains(&1) && y.contains(&0));
        for trend in [Trend::Ascending, Trend::Descending, Trend::Auto, Trend::Peak, Trend::None] {
            let cfg = BinningConfig { trend, special_values: vec![-999.0], ..BinningConfig::default() };
            let view = FeatureView { name: "x", data: FeatureData::Numeric(&x) };
            let Ok(binned) = fit_feature(&view, &y, &cfg).unwrap() else { continue };
            let b = &binned.binning;
            let BinRule::Numeric { cuts, .. } = &b.rule else { panic!("numeric rule") };
            prop_assert!(cuts.windows(2).all(|w| w[0] < w[1]), "cuts not ascending: {cuts:?}");
            // Every value, seen or not, lands in a valid slot; training slots match the encoder.
            let enc = b.encoder(&view.data).unwrap();
            for (i, s) in binned.slots.iter().enumerate() {
                prop_assert_eq!(*s, enc.slot(i));
            }
            let probes: Vec<f64> = probe.iter().copied().chain([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -999.0]).collect();
            let pe = b.encoder(&FeatureData::Numeric(&probes)).unwrap();
            for i in 0..probes.len() {
                prop_assert!((pe.slot(i) as usize) < b.n_slots());
            }
            // Counts add up to the rows.
            let total: u64 = b.bins.iter().map(|x| x.counts.n()).sum();
            prop_assert_eq!(total as usize, x.len());
            let rates: Vec<f64> = b.bins.iter().filter(|x| x.kind == BinKind::Regular && x.counts.n() > 0).map(|x| x.counts.bad_rate()).collect();
            match b.trend {
                Some(Trend::Ascending) => prop_assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}"),
                Some(Trend::Descending) => prop_assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}"),
                Some(Trend::Peak) => {
                    let top = rates.iter().cloned().fold(f64::MIN, f64::max);
                    let k = rates.iter().position(|&r| r == top).unwrap();
                    prop_assert!(rates[..=k].windows(2).all(|w| w[0] <= w[1]) && rates[k..].windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
                }
                _ => {}
            }
        }
    }

    #[test]
    fn score_is_the_sum_of_points_and_scoring_repeats((x, y) in column(), (x2, _) in column()) {
        prop_assume!(y.iter().filter(|&&t| t == 1).count() >= 10 && y.iter().filter(|&&t| t == 0).count() >= 10);
        let n = x.len();
        let z: Vec<f64> = (0..n).map(|i| ((i * 37) % 17) as f64 + f64::from(y[i]) * 3.0).collect();
        let input = FitInput {
            train: Dataset {
                features: vec![
                    FeatureView { name: "x", data: FeatureData::Numeric(&x) },
                    FeatureView { name: "z", data: FeatureData::Numeric(&z) },
                ],
                target: y.clone(),
            },
            test: None,
            target_name: "bad".into(),
            id_column: None,
            labels: Default::default(),
        };
        let Ok(model) = fit(&input, &FitConfig::default(), &Silent) else { return Ok(()) };
        let again = fit(&input, &FitConfig::default(), &Silent).unwrap();
        prop_assert_eq!(model.to_json(), again.to_json());
        let reloaded = xinrong_scorecard::Scorecard::from_json(&model.to_json()).unwrap();
        let m = x2.len().min(n);
        let mut data: HashMap<&str, FeatureData<'_>> = HashMap::new();
        data.insert("x", FeatureData::Numeric(&x2[..m]));
        data.insert("z", FeatureData::Numeric(&z[..m]));
        let a = model.score(&data, m, 4).unwrap();
        let b = reloaded.score(&data, m, 4).unwrap();
        prop_assert_eq!(&a, &b);
        let slots = model.encode(&data, m).unwrap();
        for i in 0..m {
            // Online scoring of one row agrees with the batch in every output.
            let one = model.score_one(|name| Some(if name == "x" { x2[i] } else { z[i] }), |_| true, 4).unwrap();
            prop_assert_eq!(one.score, a.score[i]);
            prop_assert_eq!(one.pd, a.pd[i]);
            prop_assert_eq!(one.grade, a.grade[i]);
            let batch_reasons: Vec<usize> = a.reasons[i * 4..i * 4 + 4].iter().filter(|&&r| r != u16::MAX).map(|&r| r as usize).collect();
            prop_assert_eq!(&one.reasons, &batch_reasons);
            let sum: f64 = model.base_points + model.features.iter().zip(&slots).map(|(f, s)| f.points[s[i] as usize]).sum::<f64>();
            prop_assert!((a.score[i] - sum).abs() < 0.005 + 1e-9, "row {i}: {} vs {sum}", a.score[i]);
            // Reasons name features that lost points, worst first.
            let mut last = f64::INFINITY;
            for k in 0..4 {
                let r = a.reasons[i * 4 + k];
                if r == u16::MAX { continue; }
                let f = &model.features[r as usize];
                let lost = f.max_points() - f.points[slots[r as usize][i] as usize];
                prop_assert!(lost > 0.0 && lost <= last);
                last = lost;
            }
        }
    }
}
