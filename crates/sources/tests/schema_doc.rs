//! docs/sources.md is the schema table of the code, not a copy that drifts from it.
//! Regenerate with `XINRONG_UPDATE_DOCS=1 cargo test -p xinrong-sources --test schema_doc`.

#[test]
fn the_schema_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sources.md");
    let expected = format!(
        "# Source schemas / 数据源结构\n\nGenerated from `crates/sources/src/schema.rs`. Personal data marked *keyed hash* \
         is replaced by HMAC-SHA-256 under the platform key before it is stored; *masked* keeps only a few characters.\n{}",
        xinrong_sources::markdown()
    );
    if std::env::var("XINRONG_UPDATE_DOCS").is_ok() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/sources.md is stale: run XINRONG_UPDATE_DOCS=1 cargo test -p xinrong-sources --test schema_doc"
    );
}
