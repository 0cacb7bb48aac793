//! Full audit: re-hash every entry, rebuild the whole tree, and check it against every
//! checkpoint the log ever stored. Read-only, streaming, memory independent of log size.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;

use crate::error::LedgerError;
use crate::keys::VerifierKey;
use crate::layout::Layout;
use crate::note::Checkpoint;
use crate::store::{RecordReader, parse_checkpoint_line};
use crate::suite::Hash;
use crate::tree::{Frontier, node_count, size_for_nodes};

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The first entry found bad, when the problem can be pinned to one.
    pub entry: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

/// The outcome of an audit.
#[derive(Clone, Debug, Default)]
pub struct AuditReport {
    /// Entries re-hashed.
    pub entries: u64,
    /// Signed checkpoints verified and matched against the rebuilt tree.
    pub checkpoints: u64,
    /// The first problem, if any; `None` means the log is intact.
    pub problem: Option<Problem>,
    /// Observations that are not failures (such as an unrecovered torn tail).
    pub notes: Vec<String>,
}

fn open(path: &Path) -> Result<(BufReader<File>, u64), LedgerError> {
    let file = File::open(path).map_err(LedgerError::io(path))?;
    let len = file.metadata().map_err(LedgerError::io(path))?.len();
    Ok((BufReader::with_capacity(1 << 20, file), len))
}

fn read_array<const N: usize>(reader: &mut impl Read, path: &Path) -> Result<[u8; N], LedgerError> {
    let mut buf = [0u8; N];
    reader.read_exact(&mut buf).map_err(LedgerError::io(path))?;
    Ok(buf)
}

/// Audits the log in `dir` against `key`, calling `progress(done, total)` now and then.
pub fn audit(
    dir: &Path,
    key: &VerifierKey,
    progress: impl FnMut(u64, u64),
) -> Result<AuditReport, LedgerError> {
    audit_upto(dir, key, false, progress)
}

/// Audits the entries covered by the stored checkpoints only, leaving alone what a writer may
/// be appending at the same moment: the audit a running server makes of its own log.
pub fn audit_checkpointed(
    dir: &Path,
    key: &VerifierKey,
    progress: impl FnMut(u64, u64),
) -> Result<AuditReport, LedgerError> {
    audit_upto(dir, key, true, progress)
}

fn audit_upto(
    dir: &Path,
    key: &VerifierKey,
    checkpointed_only: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<AuditReport, LedgerError> {
    let layout = Layout::new(dir);
    let config = layout.read_config()?;
    let suite = config.suite;
    let mut report = AuditReport::default();
    let fail = |report: &mut AuditReport, entry: Option<u64>, reason: String| {
        report.problem = Some(Problem { entry, reason });
    };

    // Every stored checkpoint must be signed by the trusted key, and sizes never shrink.
    let mut checkpoints: Vec<(usize, Checkpoint)> = Vec::new();
    let (reader, _) = open(&layout.checkpoints())?;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(LedgerError::io(layout.checkpoints()))?;
        let checkpoint = parse_checkpoint_line(&line)
            .ok_or_else(|| "not a {\"note\": …} line".to_string())
            .and_then(|note| Checkpoint::open(&note, key).map_err(|e| e.to_string()));
        match checkpoint {
            Ok(c) => {
                if checkpoints
                    .last()
                    .is_some_and(|(_, prev)| prev.size > c.size)
                {
                    fail(
                        &mut report,
                        None,
                        format!(
                            "checkpoint line {}: tree size went backwards to {}",
                            i + 1,
                            c.size
                        ),
                    );
                    return Ok(report);
                }
                checkpoints.push((i + 1, c));
            }
            Err(reason) => {
                fail(
                    &mut report,
                    None,
                    format!("checkpoint line {}: {reason}", i + 1),
                );
                return Ok(report);
            }
        }
    }

    let entries_len = std::fs::metadata(layout.entries())
        .map_err(LedgerError::io(layout.entries()))?
        .len();
    let mut entries = RecordReader::open(&layout.entries(), 0, entries_len)?;
    let (mut index, index_len) = open(&layout.index())?;
    let (mut tree, tree_len) = open(&layout.tree())?;
    let mut size = (index_len / 8).min(size_for_nodes(tree_len / 32));
    if checkpointed_only {
        let signed = checkpoints.last().map_or(0, |(_, c)| c.size);
        if signed > size {
            fail(
                &mut report,
                Some(size),
                format!(
                    "the last checkpoint covers {signed} entries but the log holds only {size}: entries were removed"
                ),
            );
            return Ok(report);
        }
        size = signed;
    } else if tree_len > node_count(size) * 32 || index_len > size * 8 {
        report.notes.push(
            "the files end in an unrecovered partial batch; opening the log for writing cuts it"
                .into(),
        );
    }
    let mut frontier = Frontier::new(suite);
    let mut nodes: Vec<Hash> = Vec::with_capacity(64);
    let mut pending = checkpoints.iter().peekable();
    let mut last_good = 0u64;
    while let Some((line, c)) = pending.next_if(|(_, c)| c.size == 0) {
        if c.root != suite.empty_root() {
            fail(
                &mut report,
                None,
                format!("checkpoint line {line}: size 0 with a non-empty root"),
            );
            return Ok(report);
        }
        report.checkpoints += 1;
    }
    for i in 0..size {
        if i % 65_536 == 0 {
            progress(i, size);
        }
        let stated = u64::from_be_bytes(read_array::<8>(&mut index, &layout.index())?);
        let offset = entries.offset();
        if stated != offset {
            fail(
                &mut report,
                Some(i),
                format!("entries.idx says entry {i} is at byte {stated}, it is at {offset}"),
            );
            return Ok(report);
        }
        let Some((data, stored)) = entries.next_record()? else {
            fail(
                &mut report,
                Some(i),
                format!("entry {i}: its record runs past the end of entries.log"),
            );
            return Ok(report);
        };
        let leaf = suite.leaf_hash(data);
        if leaf != stored {
            fail(
                &mut report,
                Some(i),
                format!(
                    "entry {i}: its content does not hash to its stored leaf hash (the entry was edited)"
                ),
            );
            return Ok(report);
        }
        nodes.clear();
        frontier.push(leaf, &mut nodes);
        for (k, node) in nodes.iter().enumerate() {
            if read_array::<32>(&mut tree, &layout.tree())? != *node {
                let what = if k == 0 {
                    "leaf hash"
                } else {
                    "a subtree hash it completes"
                };
                fail(
                    &mut report,
                    Some(i),
                    format!("entry {i}: tree.hashes holds a wrong {what}"),
                );
                return Ok(report);
            }
        }
        report.entries += 1;
        while let Some((line, c)) = pending.next_if(|(_, c)| c.size == i + 1) {
            if frontier.root() != c.root {
                fail(
                    &mut report,
                    None,
                    format!(
                        "checkpoint line {line} (size {}) does not match the log: some entry from {last_good} to {i} \
                         was rewritten together with its hashes",
                        c.size
                    ),
                );
                return Ok(report);
            }
            report.checkpoints += 1;
            last_good = c.size;
        }
    }
    progress(size, size);
    if let Some((line, c)) = pending.next() {
        fail(
            &mut report,
            Some(size),
            format!(
                "checkpoint line {line} covers {} entries but the log holds only {size}: entries were removed",
                c.size
            ),
        );
    } else if entries.offset() < entries_len && !checkpointed_only {
        report.notes.push(format!(
            "{} bytes after the last entry (unacknowledged tail)",
            entries_len - entries.offset()
        ));
    }
    Ok(report)
}
