//! Enterprise data sources: what each source holds (schemas with English and Chinese
//! meanings), a generator of realistic portfolios with a known truth, and (in later
//! modules) validated ingest with quarantine and desensitisation.
#![deny(missing_docs)]

mod catalog;
mod generate;
mod ingest;
mod people;
mod schema;
pub mod truth;

pub use catalog::Catalog;
pub use generate::{GenConfig, GenError, GenSummary, generate};
pub use ingest::{
    Desensitiser, Format, Ingest, IngestError, IngestReport, ManifestEntry, UnknownFields,
    arrow_type, file_sha256, hmac_key, ingest, ingest_with, read_manifest, store_paths,
    stored_fields,
};
pub use schema::{Field, Kind, Pii, SOURCES, Source, TAX_RATINGS, markdown, source};
