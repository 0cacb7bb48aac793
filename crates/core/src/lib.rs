//! Domain types shared by every Xinrong crate, built so that a bad value cannot exist.
//!
//! A [`Uscc`] is always a well-formed Unified Social Credit Code with a correct check
//! character; a [`Grade`] is always one of the seven grades of the rating scale. Code that
//! receives these types never has to validate them again.
//!
//! This crate depends on nothing heavier than `serde` and `thiserror`: every other crate
//! may use it.
//!
//! ```
//! use xinrong_core::{Grade, Uscc};
//! let code: Uscc = "91350100M000100Y43".parse().unwrap();
//! assert_eq!(code.as_str(), "91350100M000100Y43");
//! assert!(Grade::A.is_better_than(Grade::F));
//! ```
#![deny(missing_docs)]

mod classes;
mod dimension;
mod grade;
mod numbers;
mod purpose;
mod uscc;

pub use classes::{Industry, IndustryError, PROVINCES, SECTIONS, province_name, section_name};
pub use dimension::{DIMENSIONS, VIEWS, group_labels};
pub use grade::{Grade, ParseGradeError};
pub use numbers::{MISSING_CODE, round2};
pub use purpose::{ParsePurposeError, Purpose};
pub use uscc::{Uscc, UsccError};
