//! The files on disk: reading nodes and entries, appending a batch durably, and recovering
//! a consistent state after a crash.
//!
//! A batch is acknowledged once `entries.log` is on disk and its checkpoint is signed. The
//! files derived from the entries (`entries.idx`, `tree.hashes`) and the checkpoint lines are
//! flushed a little later, in the background, and `derived.mark` then records how far the
//! derived files are on disk (see [`crate::mark`]); a checkpoint line is written only after
//! the entries it covers are on disk. After a crash, `entries.log` may therefore end in a
//! partial, unacknowledged batch, the derived files may lack or garble what was written after
//! the mark, and intact entries may lie past the last stored checkpoint (acknowledged or not:
//! opening the log signs a checkpoint of them). Recovery keeps the derived files up to the
//! mark, derives the rest from the intact records that follow, and cuts what is left (a "torn
//! tail"). It never cuts below the last stored checkpoint: if that would be needed, the log
//! was damaged rather than interrupted, and opening it fails.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::LedgerError;
use crate::keys::VerifierKey;
use crate::layout::Layout;
use crate::note::Checkpoint;
use crate::proof::TreeAt;
use crate::suite::{Hash, Suite};
use crate::tree::{Frontier, Nodes, node_count, node_position, size_for_nodes};

/// Bytes in a record besides the entry itself: the length prefix and the leaf hash.
pub const RECORD_OVERHEAD: u64 = 4 + 32;
/// The largest entry accepted; it bounds what a torn length prefix can claim.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
const CACHE_SLOTS: usize = 1 << 17;

/// Read access to `tree.hashes` through a small direct-mapped cache, so that proofs for
/// recent entries (the hot path: one per append) rarely touch the file, while memory stays
/// fixed (about 5 MiB) however large the log grows.
pub struct NodeFile {
    path: PathBuf,
    file: File,
    cache: Mutex<Vec<(u64, Hash)>>,
}

impl NodeFile {
    pub(crate) fn open(path: &Path) -> Result<NodeFile, LedgerError> {
        let file = File::open(path).map_err(LedgerError::io(path))?;
        Ok(NodeFile {
            path: path.to_path_buf(),
            file,
            cache: Mutex::new(vec![(0, [0; 32]); CACHE_SLOTS]),
        })
    }

    /// Hash at `position` (in hashes) of the node file.
    pub fn at(&self, position: u64) -> Result<Hash, LedgerError> {
        let slot = (position as usize) & (CACHE_SLOTS - 1);
        {
            let cache = self.cache.lock().expect("node cache lock");
            if cache[slot].0 == position + 1 {
                return Ok(cache[slot].1);
            }
        }
        let mut hash = [0u8; 32];
        self.file
            .read_exact_at(&mut hash, position * 32)
            .map_err(LedgerError::io(&self.path))?;
        self.cache.lock().expect("node cache lock")[slot] = (position + 1, hash);
        Ok(hash)
    }

    /// Records freshly written nodes in the cache (write-through).
    pub(crate) fn remember(&self, first_position: u64, hashes: &[Hash]) {
        let mut cache = self.cache.lock().expect("node cache lock");
        for (i, hash) in hashes.iter().enumerate() {
            let position = first_position + i as u64;
            cache[(position as usize) & (CACHE_SLOTS - 1)] = (position + 1, *hash);
        }
    }
}

impl Nodes for NodeFile {
    type Error = LedgerError;
    fn node(&self, level: u32, index: u64) -> Result<Hash, LedgerError> {
        self.at(node_position(level, index))
    }
}

/// Random access to entries through `entries.idx`.
pub(crate) struct EntryFile {
    entries_path: PathBuf,
    entries: File,
    index_path: PathBuf,
    index: File,
}

/// One record of `entries.log`.
#[derive(Debug)]
pub(crate) struct Record {
    /// The entry bytes.
    pub data: Vec<u8>,
    /// The leaf hash stored after the entry.
    pub leaf_hash: Hash,
}

impl Record {
    /// Bytes the record occupies.
    pub fn len(&self) -> u64 {
        self.data.len() as u64 + RECORD_OVERHEAD
    }

    /// The record as written to disk.
    pub fn encode(data: &[u8], leaf_hash: &Hash, out: &mut Vec<u8>) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(leaf_hash);
    }
}

impl EntryFile {
    pub(crate) fn open(layout: &Layout) -> Result<EntryFile, LedgerError> {
        let (entries_path, index_path) = (layout.entries(), layout.index());
        Ok(EntryFile {
            entries: File::open(&entries_path).map_err(LedgerError::io(&entries_path))?,
            index: File::open(&index_path).map_err(LedgerError::io(&index_path))?,
            entries_path,
            index_path,
        })
    }

    /// Byte offset of entry `index` in `entries.log`.
    pub fn offset(&self, index: u64) -> Result<u64, LedgerError> {
        let mut bytes = [0u8; 8];
        self.index
            .read_exact_at(&mut bytes, index * 8)
            .map_err(LedgerError::io(&self.index_path))?;
        Ok(u64::from_be_bytes(bytes))
    }

    /// The record at byte `offset`, or `None` if it is not complete within `file_len`.
    pub fn record_at(&self, offset: u64, file_len: u64) -> Result<Option<Record>, LedgerError> {
        if offset + RECORD_OVERHEAD > file_len {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        self.entries
            .read_exact_at(&mut len, offset)
            .map_err(LedgerError::io(&self.entries_path))?;
        let len = u32::from_be_bytes(len) as u64;
        if len as usize > MAX_ENTRY_BYTES || offset + RECORD_OVERHEAD + len > file_len {
            return Ok(None);
        }
        let mut buf = vec![0u8; len as usize + 32];
        self.entries
            .read_exact_at(&mut buf, offset + 4)
            .map_err(LedgerError::io(&self.entries_path))?;
        let leaf_hash: Hash = buf[len as usize..].try_into().expect("32 bytes");
        buf.truncate(len as usize);
        Ok(Some(Record {
            data: buf,
            leaf_hash,
        }))
    }

    /// Entry `index` (which must be below the log size).
    pub fn entry(&self, index: u64) -> Result<Record, LedgerError> {
        let offset = self.offset(index)?;
        let len = self
            .entries
            .metadata()
            .map_err(LedgerError::io(&self.entries_path))?
            .len();
        self.record_at(offset, len)?
            .ok_or_else(|| LedgerError::Corrupt {
                path: self.entries_path.clone(),
                reason: format!("entry {index} at byte {offset} is incomplete"),
            })
    }
}

/// The records of `entries.log` read in order through a buffer, from a given byte on: the
/// sequential scan that recovery and the audit make (random access goes through
/// [`EntryFile`]).
pub(crate) struct RecordReader {
    reader: std::io::BufReader<File>,
    path: PathBuf,
    file_len: u64,
    /// Where the next record starts.
    offset: u64,
    data: Vec<u8>,
}

impl RecordReader {
    /// Reads `entries.log` at `path` (of `file_len` bytes) from byte `start`.
    pub(crate) fn open(
        path: &Path,
        start: u64,
        file_len: u64,
    ) -> Result<RecordReader, LedgerError> {
        let mut file = File::open(path).map_err(LedgerError::io(path))?;
        file.seek(SeekFrom::Start(start))
            .map_err(LedgerError::io(path))?;
        Ok(RecordReader {
            reader: std::io::BufReader::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
            file_len,
            offset: start,
            data: Vec::new(),
        })
    }

    /// Where the next record starts (after the last one read).
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The next record's entry bytes and stored leaf hash, or `None` if no complete record
    /// starts here (the file ends, or a length runs past its end).
    pub(crate) fn next_record(&mut self) -> Result<Option<(&[u8], Hash)>, LedgerError> {
        let io = |e| LedgerError::io(&self.path)(e);
        if self.offset + RECORD_OVERHEAD > self.file_len {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        self.reader.read_exact(&mut len).map_err(io)?;
        let len = u64::from(u32::from_be_bytes(len));
        if len as usize > MAX_ENTRY_BYTES || self.offset + RECORD_OVERHEAD + len > self.file_len {
            return Ok(None);
        }
        self.data.resize(len as usize, 0);
        self.reader.read_exact(&mut self.data).map_err(io)?;
        let mut leaf: Hash = [0; 32];
        self.reader.read_exact(&mut leaf).map_err(io)?;
        self.offset += RECORD_OVERHEAD + len;
        Ok(Some((&self.data, leaf)))
    }
}

/// What recovery found and did when a log was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Entries in the log after recovery.
    pub size: u64,
    /// Unacknowledged entries at the tail that were cut.
    pub cut_entries: u64,
    /// Bytes cut from the ends of the data files.
    pub cut_bytes: u64,
    /// Whether a partial checkpoint line was cut.
    pub cut_checkpoint_line: bool,
}

/// The last complete checkpoint line of `checkpoints.log`, cutting a torn partial line.
pub(crate) fn last_checkpoint(
    path: &Path,
    key: &VerifierKey,
    repair: bool,
) -> Result<(Option<(String, Checkpoint)>, bool), LedgerError> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(repair)
        .open(path)
        .map_err(LedgerError::io(path))?;
    let (start, tail, complete) = checkpoint_tail(&mut file, path)?;
    let torn = complete < tail.len();
    if torn && repair {
        file.set_len(start + complete as u64)
            .map_err(LedgerError::io(path))?;
        file.sync_all().map_err(LedgerError::io(path))?;
    }
    let lines = &tail[..complete];
    let Some(last) = lines[..lines.len().saturating_sub(1)]
        .rsplit(|&b| b == b'\n')
        .next()
        .filter(|l| !l.is_empty())
    else {
        return Ok((None, torn));
    };
    Ok((Some(open_checkpoint_line(last, key, path)?), torn))
}

/// The last 64 KiB of `checkpoints.log` (a checkpoint line is a few hundred bytes, so they
/// always hold the last one): where they start in the file, the bytes, and how many of them
/// end in a complete line.
fn checkpoint_tail(file: &mut File, path: &Path) -> Result<(u64, Vec<u8>, usize), LedgerError> {
    let len = file.metadata().map_err(LedgerError::io(path))?.len();
    let start = len.saturating_sub(64 * 1024);
    file.seek(SeekFrom::Start(start))
        .map_err(LedgerError::io(path))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(LedgerError::io(path))?;
    let complete = tail.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    Ok((start, tail, complete))
}

/// One line of `checkpoints.log`, its note verified against `key`.
fn open_checkpoint_line(
    line: &[u8],
    key: &VerifierKey,
    path: &Path,
) -> Result<(String, Checkpoint), LedgerError> {
    let note = parse_checkpoint_line(line).ok_or_else(|| LedgerError::Corrupt {
        path: path.to_path_buf(),
        reason: "a checkpoint line is not {\"note\": …}".to_string(),
    })?;
    let checkpoint = Checkpoint::open(&note, key).map_err(|source| LedgerError::Checkpoint {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((note, checkpoint))
}

/// The last `n` checkpoints of `checkpoints.log` (at most those its last 64 KiB hold, about
/// two hundred), newest first, each verified against `key`.
pub(crate) fn recent_checkpoints(
    path: &Path,
    key: &VerifierKey,
    n: usize,
) -> Result<Vec<(String, Checkpoint)>, LedgerError> {
    let mut file = File::open(path).map_err(LedgerError::io(path))?;
    let (start, tail, complete) = checkpoint_tail(&mut file, path)?;
    let mut lines: Vec<&[u8]> = tail[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    if start > 0 && !lines.is_empty() {
        // The first line read may have begun before the tail.
        lines.remove(0);
    }
    lines
        .into_iter()
        .rev()
        .take(n)
        .map(|line| open_checkpoint_line(line, key, path))
        .collect()
}

/// The signed note in one line of `checkpoints.log`.
pub fn parse_checkpoint_line(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Line {
        note: String,
    }
    serde_json::from_slice::<Line>(line).ok().map(|l| l.note)
}

/// One line of `checkpoints.log`.
pub fn checkpoint_line(note: &str) -> String {
    format!("{}\n", serde_json::json!({ "note": note }))
}

/// Files as they stand after recovery, ready for appending.
pub(crate) struct Recovered {
    pub entries_len: u64,
    pub frontier: Frontier,
    pub last: Option<(String, Checkpoint)>,
    pub report: Recovery,
}

fn file_len(path: &Path) -> Result<u64, LedgerError> {
    Ok(std::fs::metadata(path)
        .map_err(LedgerError::io(path))?
        .len())
}

fn truncate(path: &Path, len: u64) -> Result<u64, LedgerError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(LedgerError::io(path))?;
    let before = file.metadata().map_err(LedgerError::io(path))?.len();
    if before > len {
        file.set_len(len).map_err(LedgerError::io(path))?;
        file.sync_all().map_err(LedgerError::io(path))?;
    }
    Ok(before.saturating_sub(len))
}

/// Brings the data files to their longest consistent prefix and checks it against the
/// last stored checkpoint.
///
/// `entries.idx` and `tree.hashes` are trusted up to `derived.mark` (where they were last
/// flushed; see [`crate::mark`]) as far as they agree with the entries there; past that, they
/// are derived again from the intact records of `entries.log`, which alone is flushed before
/// a batch is acknowledged. Without a mark (a log from before marks, or a lost mark) nothing
/// of them is trusted and all is derived again: slower, never wrong.
pub(crate) fn recover(
    layout: &Layout,
    suite: Suite,
    key: &VerifierKey,
) -> Result<Recovered, LedgerError> {
    let (last, cut_checkpoint_line) = last_checkpoint(&layout.checkpoints(), key, true)?;
    let checkpointed = last.as_ref().map_or(0, |(_, c)| c.size);
    let entries_len = file_len(&layout.entries())?;
    let (index_len, tree_len) = (file_len(&layout.index())?, file_len(&layout.tree())?);
    let (by_index, by_tree) = (index_len / 8, size_for_nodes(tree_len / 32));
    let marked = crate::mark::read(&layout.derived_mark())?.unwrap_or(0);

    let nodes = NodeFile::open(&layout.tree())?;
    let entries = EntryFile::open(layout)?;
    let mut trusted = by_index.min(by_tree).min(marked);
    let mut start = 0;
    while trusted > 0 {
        let offset = entries.offset(trusted - 1)?;
        if let Some(record) = entries.record_at(offset, entries_len)?
            && record.leaf_hash == suite.leaf_hash(&record.data)
            && record.leaf_hash == nodes.node(0, trusted - 1)?
        {
            start = offset + record.len();
            break;
        }
        trusted -= 1;
    }
    let trusted_frontier = Frontier::load(suite, trusted, &nodes)?;
    // First only count what can be derived, so that a damaged log is refused as it is.
    let mut frontier = trusted_frontier.clone();
    let end = derive(
        &layout.entries(),
        start,
        entries_len,
        suite,
        &mut frontier,
        None,
    )?;
    let size = frontier.size();
    if size < checkpointed {
        return Err(LedgerError::Corrupt {
            path: layout.entries(),
            reason: format!(
                "only {size} intact entries but checkpoint covers {checkpointed}: the log was damaged \
                 (run `xinrong ledger audit` to locate it)"
            ),
        });
    }
    let cut_entries = by_index.max(by_tree).saturating_sub(size);
    let cut_bytes = (entries_len - end)
        + index_len.saturating_sub(size * 8)
        + tree_len.saturating_sub(node_count(size) * 32);
    truncate(&layout.entries(), end)?;
    truncate(&layout.index(), trusted * 8)?;
    truncate(&layout.tree(), node_count(trusted) * 32)?;
    let mut frontier = trusted_frontier;
    if size > trusted {
        let mut out = DerivedWriter::open(layout)?;
        derive(
            &layout.entries(),
            start,
            end,
            suite,
            &mut frontier,
            Some(&mut out),
        )?;
        out.finish()?;
    }
    let nodes = NodeFile::open(&layout.tree())?;
    if let Some((_, checkpoint)) = &last {
        let root = TreeAt::new(suite, checkpoint.size, &nodes)?.root();
        if root != checkpoint.root {
            return Err(LedgerError::Corrupt {
                path: layout.tree(),
                reason: format!(
                    "tree root at size {} differs from the signed checkpoint",
                    checkpoint.size
                ),
            });
        }
    }
    Ok(Recovered {
        entries_len: end,
        frontier,
        last,
        report: Recovery {
            size,
            cut_entries,
            cut_bytes,
            cut_checkpoint_line,
        },
    })
}

/// `entries.idx` and `tree.hashes` being derived again, written through buffers.
struct DerivedWriter {
    index: (std::io::BufWriter<File>, PathBuf),
    tree: (std::io::BufWriter<File>, PathBuf),
}

impl DerivedWriter {
    fn open(layout: &Layout) -> Result<DerivedWriter, LedgerError> {
        let writer = |path: PathBuf| -> Result<_, LedgerError> {
            Ok((
                std::io::BufWriter::with_capacity(1 << 20, append_handle(&path)?),
                path,
            ))
        };
        Ok(DerivedWriter {
            index: writer(layout.index())?,
            tree: writer(layout.tree())?,
        })
    }

    fn push(&mut self, offset: u64, nodes: &[Hash]) -> Result<(), LedgerError> {
        use std::io::Write as _;
        let (index, path) = &mut self.index;
        index
            .write_all(&offset.to_be_bytes())
            .map_err(LedgerError::io(&*path))?;
        let (tree, path) = &mut self.tree;
        for node in nodes {
            tree.write_all(node).map_err(LedgerError::io(&*path))?;
        }
        Ok(())
    }

    /// Writes out what is buffered and makes both files durable.
    fn finish(self) -> Result<(), LedgerError> {
        for (writer, path) in [self.index, self.tree] {
            let file = writer
                .into_inner()
                .map_err(|e| LedgerError::io(&path)(e.into_error()))?;
            file.sync_data().map_err(LedgerError::io(&path))?;
        }
        Ok(())
    }
}

/// Reads the intact records of `entries.log` from byte `start` on (each checked against its
/// own leaf hash, stopping at the first that is not, or at `file_len`), pushing their leaves
/// onto `frontier` and, given `out`, their offsets and nodes onto the derived files. Returns
/// where the last intact record ends.
fn derive(
    path: &Path,
    start: u64,
    file_len: u64,
    suite: Suite,
    frontier: &mut Frontier,
    mut out: Option<&mut DerivedWriter>,
) -> Result<u64, LedgerError> {
    let mut records = RecordReader::open(path, start, file_len)?;
    let mut end = start;
    let mut nodes = Vec::new();
    while let Some((data, leaf)) = records.next_record()? {
        if leaf != suite.leaf_hash(data) {
            break;
        }
        nodes.clear();
        frontier.push(leaf, &mut nodes);
        if let Some(out) = out.as_deref_mut() {
            out.push(end, &nodes)?;
        }
        end = records.offset();
    }
    Ok(end)
}

/// Opens a data file for appending.
pub(crate) fn append_handle(path: &Path) -> Result<File, LedgerError> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(LedgerError::io(path))
}
