//! Criterion benchmarks of the engine's hot paths on generated data.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::collections::HashMap;
use std::hint::black_box;
use xinrong_scorecard::binning::fit_feature;
use xinrong_scorecard::config::BinningConfig;
use xinrong_scorecard::design::{ColumnDesign, Design, WoeColumn};
use xinrong_scorecard::{Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent, fit};

/// `cols` standard-normal columns and a logistic target on the first ten.
fn table(rows: usize, cols: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = vec![Vec::with_capacity(rows); cols];
    let mut y = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut logit = -2.0;
        for (j, c) in x.iter_mut().enumerate() {
            let v: f64 = rng.sample(StandardNormal);
            if j < 10 {
                logit += 0.5 * v;
            }
            c.push(v);
        }
        y.push(u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp())));
    }
    (x, y)
}

fn views(x: &[Vec<f64>]) -> Vec<(String, &[f64])> {
    x.iter()
        .enumerate()
        .map(|(j, c)| (format!("x{j:02}"), c.as_slice()))
        .collect()
}

fn benches(c: &mut Criterion) {
    let (x, y) = table(200_000, 20, 1);
    let names = views(&x);
    let cfg = BinningConfig::default();
    c.bench_function("bin one numeric feature, 200k rows", |b| {
        let v = FeatureView {
            name: "x00",
            data: FeatureData::Numeric(&x[0]),
        };
        b.iter(|| black_box(fit_feature(&v, &y, &cfg).unwrap().unwrap()))
    });

    let binned: Vec<_> = names
        .iter()
        .map(|(n, c)| {
            fit_feature(
                &FeatureView {
                    name: n,
                    data: FeatureData::Numeric(c),
                },
                &y,
                &cfg,
            )
            .unwrap()
            .unwrap()
        })
        .collect();
    let cols: Vec<WoeColumn<'_>> = binned
        .iter()
        .map(|b| WoeColumn {
            slots: &b.slots,
            woe: &b.woe,
        })
        .collect();
    let beta: Vec<f64> = std::iter::once(-1.5)
        .chain(std::iter::repeat_n(0.8, 20))
        .collect();
    let design = ColumnDesign { cols: cols.clone() };
    c.bench_function("newton pass, 200k rows x 20 WOE columns", |b| {
        b.iter(|| black_box(design.pass(&y, &beta)))
    });

    let features: Vec<FeatureView<'_>> = names
        .iter()
        .map(|(n, c)| FeatureView {
            name: n,
            data: FeatureData::Numeric(c),
        })
        .collect();
    let input = FitInput {
        train: Dataset {
            features: features.clone(),
            target: y.clone(),
        },
        test: None,
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);
    group.bench_function("fit 200k rows x 20 features", |b| {
        b.iter(|| black_box(fit(&input, &FitConfig::default(), &Silent).unwrap()))
    });
    group.finish();

    let model = fit(&input, &FitConfig::default(), &Silent).unwrap();
    let (sx, _) = table(1_000_000, 20, 2);
    let snames = views(&sx);
    let data: HashMap<&str, FeatureData<'_>> = snames
        .iter()
        .map(|(n, c)| (n.as_str(), FeatureData::Numeric(c)))
        .collect();
    let mut group = c.benchmark_group("score");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Elements(1_000_000));
    group.bench_function("score 1M rows with reasons", |b| {
        b.iter(|| black_box(model.score(&data, 1_000_000, 4).unwrap()))
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
