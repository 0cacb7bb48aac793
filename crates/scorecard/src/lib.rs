//! The scorecard engine: binning, WOE, screening, logistic regression, metrics, scaling,
//! grades and reason codes, and the versioned model artifact.
//!
//! It is pure computation over columns in memory: no files beyond its own JSON artifact, no
//! HTTP, no SQL, no DataFusion. Binning decisions are made from good/bad counts per pre-bin
//! alone, so counting could move to any engine without touching the merging logic.
//!
//! ```
//! use xinrong_scorecard::{fit, Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent};
//! // Risk rises with x: rows with x >= 50 are bad one time in three, others one time in ten.
//! let x: Vec<f64> = (0..2000).map(|i| (i % 100) as f64).collect();
//! let y: Vec<u8> = (0..2000).map(|i| u8::from(if i % 100 >= 50 { i % 3 == 0 } else { i % 10 == 0 })).collect();
//! let input = FitInput {
//!     train: Dataset { features: vec![FeatureView { name: "x", data: FeatureData::Numeric(&x) }], target: y },
//!     test: None,
//!     target_name: "bad".into(),
//!     id_column: None,
//!     labels: Default::default(),
//! };
//! let model = fit(&input, &FitConfig::default(), &Silent).unwrap();
//! assert_eq!(model.features.len(), 1);
//! assert!(model.metrics.train.auc > 0.6);
//! ```
#![deny(missing_docs)]

pub mod binning;
pub mod config;
pub mod counts;
mod crossfit;
pub mod design;
mod error;
mod fit;
mod linalg;
pub mod logistic;
pub mod metrics;
mod model;
mod nan_null;
mod refine;
pub mod scaling;
pub mod screening;
mod single;
pub mod stepwise;
pub mod woe;

pub use binning::{FeatureBinning, FeatureData, FeatureView};
pub use config::FitConfig;
pub use design::WoeColumn;
pub use error::ScorecardError;
pub use fit::{Dataset, FitInput, Progress, Silent, fingerprint, fit, target_from_numeric};
pub use model::{
    DataFingerprint, Label, Lang, Metrics, ModelFeature, SCHEMA_VERSION, Scorecard, Scores,
    SetMetrics,
};
pub use single::{FeaturePoints, RowScore};
