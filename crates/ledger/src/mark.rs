//! `derived.mark`: how many entries `entries.idx` and `tree.hashes` are known to hold on disk.
//!
//! Both files are derived from `entries.log` (each record carries its leaf hash, and the tree
//! and the offsets follow from the leaves), so a batch needs only `entries.log` to be durable
//! before it is acknowledged: one flush per batch instead of three. The derived files are
//! flushed a little later by a background thread, which then records the size they were
//! flushed at here. After a crash, recovery trusts them up to this mark and derives the rest
//! from the entries again.
//!
//! The mark is 16 bytes written in place: the size as `u64 BE`, then the size XOR a fixed
//! pattern. The two halves lie in one disk sector, and a mark whose halves disagree (it was
//! damaged) counts as 0, which only makes recovery derive more.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::Path;

use crate::error::LedgerError;

const CHECK: u64 = 0x7869_6e72_6f6e_676d; // "xinrongm"

/// The mark's bytes for `size`.
fn encode(size: u64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&size.to_be_bytes());
    bytes[8..].copy_from_slice(&(size ^ CHECK).to_be_bytes());
    bytes
}

/// The size a mark file records: `None` if there is no mark (a log written before marks,
/// whose derived files were flushed with every batch), `Some(0)` if it is damaged.
pub(crate) fn read(path: &Path) -> Result<Option<u64>, LedgerError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LedgerError::io(path)(e)),
    };
    let Ok(bytes) = <[u8; 16]>::try_from(bytes.as_slice()) else {
        return Ok(Some(0));
    };
    let size = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
    let check = u64::from_be_bytes(bytes[8..].try_into().expect("8 bytes"));
    Ok(Some(if size ^ CHECK == check { size } else { 0 }))
}

/// The mark file, open for writing in place.
pub(crate) struct Mark {
    file: File,
    path: std::path::PathBuf,
}

impl Mark {
    /// Opens (or creates) the mark file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Mark, LedgerError> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(LedgerError::io(path))?;
        Ok(Mark {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Records durably that the derived files hold `size` entries on disk. Call only after
    /// flushing them.
    pub(crate) fn set(&self, size: u64) -> Result<(), LedgerError> {
        self.file
            .write_all_at(&encode(size), 0)
            .map_err(LedgerError::io(&self.path))?;
        self.file.sync_data().map_err(LedgerError::io(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_back_and_a_damaged_one_counts_as_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("derived.mark");
        assert_eq!(
            read(&path).unwrap(),
            None,
            "no mark: a log from before marks"
        );
        let mark = Mark::open(&path).unwrap();
        mark.set(1234).unwrap();
        assert_eq!(read(&path).unwrap(), Some(1234));
        mark.set(7).unwrap();
        assert_eq!(read(&path).unwrap(), Some(7), "written in place");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap(), Some(0));
        std::fs::write(&path, b"short").unwrap();
        assert_eq!(read(&path).unwrap(), Some(0));
    }
}
