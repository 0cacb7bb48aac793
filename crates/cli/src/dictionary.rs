//! Feature dictionaries: English and Chinese display names for columns, from CSV or TOML.

use crate::BadInput;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;
use xinrong_scorecard::Label;
use xinrong_tabular::{ColumnData, ReadOptions, read_table};

/// Reads `feature,en,zh` CSV (headers may also be name/english/chinese or 特征/英文名/中文名;
/// UTF-8 or GBK) or TOML `[features.NAME] en = "…" zh = "…"`.
pub fn load(path: &Path) -> Result<BTreeMap<String, Label>> {
    if path.extension().is_some_and(|e| e == "toml") {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            features: BTreeMap<String, Label>,
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
        let f: File =
            toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
        return Ok(f.features);
    }
    let t = read_table(path, &ReadOptions::default())?;
    let find = |names: &[&str]| {
        t.columns
            .iter()
            .position(|c| names.contains(&c.name.to_lowercase().as_str()))
    };
    let key = find(&["feature", "name", "variable", "特征", "变量", "变量名"])
        .ok_or_else(|| BadInput(format!("{}: needs a 'feature' column", path.display())))?;
    let en = find(&["en", "english", "label_en", "英文名"]);
    let zh = find(&["zh", "chinese", "label_zh", "中文名"]);
    let cell = |col: Option<usize>, row: usize| -> Option<String> {
        match &t.columns[col?].data {
            ColumnData::Text { codes, levels } => levels.get(codes[row] as usize).cloned(),
            ColumnData::Numeric(v) => v[row].is_finite().then(|| v[row].to_string()),
        }
    };
    let mut out = BTreeMap::new();
    for r in 0..t.n_rows {
        if let Some(k) = cell(Some(key), r) {
            out.insert(
                k,
                Label {
                    en: cell(en, r),
                    zh: cell(zh, r),
                },
            );
        }
    }
    Ok(out)
}
