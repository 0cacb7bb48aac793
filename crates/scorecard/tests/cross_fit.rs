//! Cross-fitted selection on a low-default portfolio with many noise candidates: the situation
//! where in-sample WOE lets noise features into the model.

use xinrong_scorecard::config::CrossFit;
use xinrong_scorecard::{Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent, fit};

/// Deterministic uniform numbers in [0, 1) (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

const SIGNALS: usize = 2;
const NOISE: usize = 60;

/// Rows of `SIGNALS` informative and `NOISE` pure-noise features; about 3% bad.
fn portfolio(rows: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<u8>) {
    let mut rng = Rng(seed);
    let mut cols: Vec<Vec<f64>> = (0..SIGNALS + NOISE)
        .map(|_| Vec::with_capacity(rows))
        .collect();
    let mut y = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut eta = -3.9;
        for (j, col) in cols.iter_mut().enumerate() {
            let x = rng.normal();
            if j < SIGNALS {
                eta += 0.8 * x;
            }
            col.push(x);
        }
        y.push(u8::from(rng.next() < 1.0 / (1.0 + (-eta).exp())));
    }
    (cols, y)
}

fn names() -> Vec<String> {
    (0..SIGNALS)
        .map(|j| format!("signal_{j}"))
        .chain((0..NOISE).map(|j| format!("noise_{j}")))
        .collect()
}

fn dataset<'a>(names: &'a [String], cols: &'a [Vec<f64>], y: &[u8]) -> Dataset<'a> {
    Dataset {
        features: names
            .iter()
            .zip(cols)
            .map(|(n, c)| FeatureView {
                name: n,
                data: FeatureData::Numeric(c),
            })
            .collect(),
        target: y.to_vec(),
    }
}

#[test]
fn cross_fitting_keeps_noise_out_and_predicts_better() {
    let names = names();
    let (train_cols, train_y) = portfolio(6000, 17);
    let (test_cols, test_y) = portfolio(20000, 29);
    let bads = train_y.iter().filter(|&&t| t == 1).count();
    assert!(
        bads < 10 * (SIGNALS + NOISE),
        "the test needs scarce bads ({bads})"
    );
    let input = FitInput {
        train: dataset(&names, &train_cols, &train_y),
        test: Some(dataset(&names, &test_cols, &test_y)),
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    let run = |mode: CrossFit| {
        let mut config = FitConfig::default();
        config.selection.cross_fit = mode;
        let m = fit(&input, &config, &Silent).unwrap();
        let noise = m
            .features
            .iter()
            .filter(|f| f.name.starts_with("noise"))
            .count();
        let signals = m.features.len() - noise;
        (m.metrics.test.unwrap().auc, noise, signals, m.notes)
    };
    let (auc_in, noise_in, signals_in, _) = run(CrossFit::Never);
    let (auc_cf, noise_cf, signals_cf, notes) = run(CrossFit::Auto);
    eprintln!(
        "in-sample: AUC {auc_in:.4}, {noise_in} noise, {signals_in} signals; \
         cross-fitted: AUC {auc_cf:.4}, {noise_cf} noise, {signals_cf} signals"
    );
    assert!(
        notes.iter().any(|n| n.contains("cross-fitted WOE")),
        "auto must cross-fit here and say so: {notes:?}"
    );
    assert_eq!(signals_cf, SIGNALS, "both real features stay in");
    assert!(
        noise_cf < noise_in,
        "cross-fitting must let in fewer noise features ({noise_cf} vs {noise_in})"
    );
    assert!(
        auc_cf > auc_in,
        "cross-fitting must predict better out of sample ({auc_cf:.4} vs {auc_in:.4})"
    );
}
