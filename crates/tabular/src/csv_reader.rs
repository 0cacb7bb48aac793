//! Delimited text: encoding and delimiter detection, type inference, typed parsing.

use crate::table::{
    CellPolicy, ColumnData, ColumnKind, NumCell, TextBuilder, check_header, parse_num,
};
use crate::{Column, ReadError, ReadOptions, Table, sniff};
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::Path;

/// Rows looked at to decide whether an undeclared column is numeric or text.
const INFER_ROWS: usize = 10_000;

pub(crate) fn read(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    let (text, encoding_note) = decode(path, &bytes)?;
    if text.trim().is_empty() {
        return Err(ReadError::Empty {
            path: path.into(),
            what: "the file is empty",
        });
    }
    let delimiter = crate::sniff::delimiter(text.as_bytes());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| malformed(path, text.as_bytes(), &e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    check_header(path, &names)?;
    let body_start = reader.position().byte() as usize;

    let mut records = reader.byte_records();
    let mut head: Vec<csv::ByteRecord> = Vec::new();
    for rec in records.by_ref().take(INFER_ROWS) {
        let rec = rec.map_err(|e| malformed(path, text.as_bytes(), &e))?;
        head.push(rec);
    }
    if head.is_empty() {
        return Err(ReadError::Empty {
            path: path.into(),
            what: "the file has a header but no data rows",
        });
    }
    let kinds: Vec<ColumnKind> = names
        .iter()
        .enumerate()
        .map(|(j, n)| {
            options
                .declared(n)
                .unwrap_or_else(|| infer(head.iter().map(|r| field(r, j))))
        })
        .collect();

    drop(head);
    drop(records);
    let keep: Vec<bool> = names.iter().map(|n| options.keeps(n)).collect();

    // The body is cut at line ends into pieces parsed on all cores, unless a quote could hide a
    // line end inside a field; pieces are joined in order, so the result is the same either way.
    let body = &text.as_bytes()[body_start..];
    let pieces = split_lines(body, !body.contains(&b'"'));
    let parsed: Vec<Result<(Vec<Builder>, usize), ReadError>> = pieces
        .par_iter()
        .map(|&(from, to)| {
            let line_of = |pos: Option<&csv::Position>| {
                line_at(
                    text.as_bytes(),
                    body_start + from + pos.map_or(0, |p| p.byte() as usize),
                )
            };
            let mut builders = new_builders(&kinds, &keep);
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(&body[from..to]);
            let mut rec = csv::ByteRecord::new();
            let mut rows = 0;
            loop {
                match reader.read_byte_record(&mut rec) {
                    Ok(true) => {
                        let line = || line_of(rec.position());
                        if rec.len() != names.len() {
                            return Err(ReadError::Malformed {
                                path: path.into(),
                                line: line(),
                                message: format!(
                                    "has {} fields where the header has {}",
                                    rec.len(),
                                    names.len()
                                ),
                            });
                        }
                        for (j, b) in builders.iter_mut().enumerate() {
                            b.push(field(&rec, j), options, path, &line, &names[j])?;
                        }
                        rows += 1;
                    }
                    Ok(false) => break,
                    Err(e) => {
                        return Err(ReadError::Malformed {
                            path: path.into(),
                            line: line_of(e.position()),
                            message: e.to_string(),
                        });
                    }
                }
            }
            Ok((builders, rows))
        })
        .collect();
    let mut builders = new_builders(&kinds, &keep);
    let mut n_rows = 0;
    for piece in parsed {
        let (part, rows) = piece?;
        for (b, p) in builders.iter_mut().zip(part) {
            b.append(p);
        }
        n_rows += rows;
    }
    let mut notes: Vec<String> = encoding_note.into_iter().collect();
    let columns = names
        .into_iter()
        .zip(builders)
        .filter_map(|(name, b)| {
            let (data, replaced) = b.finish()?;
            if replaced > 0 {
                notes.push(format!(
                    "column '{name}': {replaced} unreadable cell(s) read as missing"
                ));
            }
            Some(Column { name, data })
        })
        .collect();
    Ok(Table {
        source: path.into(),
        columns,
        n_rows,
        notes,
    })
}

enum Builder {
    /// Values and the count of cells replaced by missing under a `Missing` policy.
    Num(Vec<f64>, usize),
    Text(TextBuilder),
    /// A column not selected: its cells are not parsed.
    Skip,
}

fn new_builders(kinds: &[ColumnKind], keep: &[bool]) -> Vec<Builder> {
    kinds
        .iter()
        .zip(keep)
        .map(|(k, &keep)| match (k, keep) {
            (_, false) => Builder::Skip,
            (ColumnKind::Numeric, true) => Builder::Num(Vec::new(), 0),
            (ColumnKind::Text, true) => Builder::Text(TextBuilder::default()),
        })
        .collect()
}

/// Pieces `(from, to)` of `body`, each ending just after a line end, of a few MiB each; a
/// single piece when `split` is false.
fn split_lines(body: &[u8], split: bool) -> Vec<(usize, usize)> {
    const PIECE: usize = 4 << 20;
    if !split || body.len() <= PIECE {
        return vec![(0, body.len())];
    }
    let mut cuts = vec![0];
    let mut at = PIECE;
    while at < body.len() {
        match body[at..].iter().position(|&b| b == b'\n') {
            Some(k) if at + k + 1 < body.len() => {
                cuts.push(at + k + 1);
                at = at + k + 1 + PIECE;
            }
            _ => break,
        }
    }
    cuts.push(body.len());
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The file's line (1-based, the header is line 1) of the record the csv reader placed at
/// byte `offset` of `text`. The reader's own line count is not used: with CRLF line ends it
/// places a record at the CR of the line before, one line early. The count is made only when
/// an error is reported, so it costs nothing on good files.
fn line_at(text: &[u8], offset: usize) -> u64 {
    let mut start = offset.min(text.len());
    while matches!(text.get(start), Some(b'\r' | b'\n')) {
        start += 1;
    }
    1 + text[..start].iter().filter(|&&b| b == b'\n').count() as u64
}

impl Builder {
    /// Appends the rows of a later piece.
    fn append(&mut self, other: Builder) {
        match (self, other) {
            (Builder::Num(v, r), Builder::Num(w, q)) => {
                v.extend(w);
                *r += q;
            }
            (Builder::Text(t), Builder::Text(u)) => t.append(u),
            (Builder::Skip, Builder::Skip) => {}
            _ => unreachable!("pieces share the column kinds"),
        }
    }

    fn push(
        &mut self,
        cell: &str,
        opt: &ReadOptions,
        path: &Path,
        line: &dyn Fn() -> u64,
        name: &str,
    ) -> Result<(), ReadError> {
        match self {
            Builder::Skip => {}
            Builder::Text(t) => {
                let v = cell.trim();
                t.push((!crate::table::is_missing_token(v)).then_some(v));
            }
            Builder::Num(values, replaced) => {
                let v = cell.trim();
                let x = match parse_num(v) {
                    NumCell::Value(x) => x,
                    NumCell::Missing => f64::NAN,
                    NumCell::NonFinite if opt.non_finite == CellPolicy::Missing => {
                        *replaced += 1;
                        f64::NAN
                    }
                    NumCell::NotANumber if opt.non_numeric == CellPolicy::Missing => {
                        *replaced += 1;
                        f64::NAN
                    }
                    NumCell::NonFinite => {
                        return Err(ReadError::NonFinite {
                            path: path.into(),
                            line: line(),
                            column: name.into(),
                            value: v.into(),
                        });
                    }
                    NumCell::NotANumber => {
                        return Err(ReadError::NonNumeric {
                            path: path.into(),
                            line: line(),
                            column: name.into(),
                            value: v.into(),
                        });
                    }
                };
                values.push(x);
            }
        }
        Ok(())
    }

    fn finish(self) -> Option<(ColumnData, usize)> {
        match self {
            Builder::Num(v, r) => Some((ColumnData::Numeric(v), r)),
            Builder::Text(t) => Some((t.finish(), 0)),
            Builder::Skip => None,
        }
    }
}

fn field(rec: &csv::ByteRecord, j: usize) -> &str {
    let bytes = rec.get(j).unwrap_or_default();
    // SAFETY: the whole text was validated (or decoded) as UTF-8 before parsing, and the csv
    // reader splits only at ASCII bytes (delimiter, quote, line end), which never occur inside
    // a multi-byte UTF-8 sequence; so every field is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// A column is text when more than 1% of its non-missing sampled cells are not numbers; with
/// fewer, the odd cells are taken as errors in a numeric column and reported as such.
fn infer<'a>(cells: impl Iterator<Item = &'a str>) -> ColumnKind {
    let (mut filled, mut text) = (0usize, 0usize);
    for c in cells {
        match parse_num(c.trim()) {
            NumCell::Missing => {}
            NumCell::NotANumber => {
                filled += 1;
                text += 1;
            }
            _ => filled += 1,
        }
    }
    if text > 0 && text * 100 >= filled {
        ColumnKind::Text
    } else {
        ColumnKind::Numeric
    }
}

fn malformed(path: &Path, text: &[u8], e: &csv::Error) -> ReadError {
    let line = line_at(text, e.position().map_or(0, |p| p.byte() as usize));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields where the header has {expected_len}")
        }
        _ => e.to_string(),
    };
    ReadError::Malformed {
        path: path.into(),
        line,
        message,
    }
}

/// UTF-8 (with or without BOM) is taken as is; anything else must decode as GB18030, the
/// superset of GBK that Chinese spreadsheets write.
fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<(Cow<'a, str>, Option<String>), ReadError> {
    // The whole file is in memory, so the whole of it decides (a reader that streams decides
    // from its first `sniff::SAMPLE` bytes by the same rule).
    match sniff::Encoding::detect(bytes) {
        sniff::Encoding::Utf8 { bom } => {
            let body = if bom { &bytes[3..] } else { bytes };
            std::str::from_utf8(body)
                .map(|s| (Cow::Borrowed(s), None))
                .map_err(|e| ReadError::Encoding {
                    path: path.into(),
                    offset: e.valid_up_to() + if bom { 3 } else { 0 },
                })
        }
        sniff::Encoding::Gb18030 => sniff::decode_gb18030(bytes)
            .map(|text| {
                (
                    Cow::Owned(text),
                    Some("decoded from GBK/GB18030".to_string()),
                )
            })
            .map_err(|offset| ReadError::Encoding {
                path: path.into(),
                offset,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MISSING_CODE, read_table};
    use std::io::Write;

    fn write(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(content).unwrap();
        f
    }

    #[test]
    fn reads_gbk_semicolon_with_chinese_header() {
        let utf8 = "企业名称;营业收入;违约\n甲公司;1.5;0\n乙公司;;1\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(utf8);
        let f = write(&gbk);
        let t = read_table(f.path(), &ReadOptions::default()).unwrap();
        assert_eq!(t.n_rows, 2);
        assert_eq!(t.columns[0].name, "企业名称");
        match &t.column("企业名称").unwrap().data {
            ColumnData::Text { codes, levels } => {
                assert_eq!(levels, &["甲公司", "乙公司"]);
                assert_eq!(codes, &[0, 1]);
            }
            other => panic!("{other:?}"),
        }
        match &t.column("营业收入").unwrap().data {
            ColumnData::Numeric(v) => assert!(v[0] == 1.5 && v[1].is_nan()),
            other => panic!("{other:?}"),
        }
        assert!(t.notes.iter().any(|n| n.contains("GBK")));
    }

    #[test]
    fn errors_name_line_and_column() {
        let mut body = String::from("a,b\n");
        for i in 0..500 {
            body.push_str(&format!("{i},x\n"));
        }
        body.push_str("oops,x\n");
        let f = write(body.as_bytes());
        let err = read_table(f.path(), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 502") && err.contains("'a'") && err.contains("oops"),
            "{err}"
        );

        let opts = ReadOptions {
            non_numeric: CellPolicy::Missing,
            ..Default::default()
        };
        let t = read_table(f.path(), &opts).unwrap();
        assert_eq!(t.n_rows, 501);
        assert!(t.notes[0].contains("1 unreadable"));
    }

    /// Every error names the file's own line (the header is line 1), whatever the line ends,
    /// a byte-order mark, or whether the row was seen while inferring column kinds.
    #[test]
    fn errors_name_the_files_line_with_any_line_ending() {
        let filler = |end: &str| format!("1,2{end}").repeat(300);
        for end in ["\n", "\r\n"] {
            for bom in ["", "\u{feff}"] {
                let rows = |k: usize| format!("1,2{end}").repeat(k);
                let cases = [
                    // A bad cell on line 6 (the fifth data row).
                    (
                        format!("{bom}a,b{end}{}x,2{end}{}", rows(4), filler(end)),
                        "line 6,",
                    ),
                    // A short row on line 8.
                    (
                        format!("{bom}a,b{end}{}1{end}{}", rows(6), filler(end)),
                        "line 8:",
                    ),
                    // A short row after the rows used to infer kinds.
                    (format!("{bom}a,b{end}{}1{end}", filler(end)), "line 302:"),
                ];
                for (body, want) in cases {
                    let f = write(body.as_bytes());
                    let err = read_table(f.path(), &ReadOptions::default())
                        .unwrap_err()
                        .to_string();
                    assert!(err.contains(want), "{end:?} {bom:?}: {err}");
                }
            }
        }
    }

    #[test]
    fn non_finite_and_ragged_rows_are_errors() {
        let f = write(b"a,b\n1,2\ninf,3\n");
        let err = read_table(f.path(), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("not a finite number"),
            "{err}"
        );
        let f = write(b"a,b\n1,2\n1,2,3\n");
        let err = read_table(f.path(), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("3 fields"), "{err}");
    }

    #[test]
    fn large_files_parse_in_pieces_with_exact_lines_and_levels() {
        // About 9 MiB: several pieces. Text levels must keep first-appearance order across
        // pieces, and an error deep in the file must name its true line.
        let mut body = String::from("x,cat,y\n");
        for i in 0..400_000u32 {
            let cat = ["b", "a", "c"][(i / 150_000) as usize];
            body.push_str(&format!("{}.25,{cat},{}\n", i, i % 2));
        }
        let f = write(body.as_bytes());
        let t = read_table(f.path(), &ReadOptions::default()).unwrap();
        assert_eq!(t.n_rows, 400_000);
        match &t.column("cat").unwrap().data {
            ColumnData::Text { codes, levels } => {
                assert_eq!(levels, &["b", "a", "c"]);
                assert_eq!((codes[0], codes[150_000], codes[399_999]), (0, 1, 2));
            }
            other => panic!("{other:?}"),
        }
        match &t.column("x").unwrap().data {
            ColumnData::Numeric(v) => assert_eq!(v[399_999], 399_999.25),
            other => panic!("{other:?}"),
        }
        let bad = body.replacen("300000.25,c", "300000.25x,c", 1);
        let f = write(bad.as_bytes());
        let err = read_table(f.path(), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 300002") && err.contains("'300000.25x'"),
            "{err}"
        );
        let ragged = body.replacen("350000.25,c,0", "350000.25,c", 1);
        let f = write(ragged.as_bytes());
        let err = read_table(f.path(), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 350002") && err.contains("2 fields"),
            "{err}"
        );
    }

    #[test]
    fn empty_and_duplicate_headers() {
        let f = write(b"");
        assert!(matches!(
            read_table(f.path(), &ReadOptions::default()),
            Err(ReadError::Empty { .. })
        ));
        let f = write(b"a,b\n");
        assert!(matches!(
            read_table(f.path(), &ReadOptions::default()),
            Err(ReadError::Empty { .. })
        ));
        let f = write(b"a,b,a\n1,2,3\n");
        let err = read_table(f.path(), &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::DuplicateColumn {
                    first: 1,
                    second: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn declared_text_and_missing_tokens() {
        let f = write(b"code\tv\n01\tNA\n02\t3\n\t4\n");
        let opts = ReadOptions {
            text_columns: vec!["code".into()],
            ..Default::default()
        };
        let t = read_table(f.path(), &opts).unwrap();
        match &t.column("code").unwrap().data {
            ColumnData::Text { codes, levels } => {
                assert_eq!(levels, &["01", "02"]);
                assert_eq!(codes[2], MISSING_CODE);
            }
            other => panic!("{other:?}"),
        }
        let opts = ReadOptions {
            required: vec!["v".into(), "bad".into(), "zz".into()],
            ..Default::default()
        };
        let err = read_table(f.path(), &opts).unwrap_err().to_string();
        assert!(err.ends_with("missing column(s): bad, zz"), "{err}");
    }
}
