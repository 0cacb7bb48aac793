//! A write that fails stops the writer: the entries acknowledged before it stay, every later
//! append is refused with the reason, [`Ledger::stopped`] says why, and opening the log again
//! recovers a whole, verifiable log. The failure is real: the process's file-size limit (the
//! error a full disk gives, `EFBIG` rather than `ENOSPC`). In a test binary of its own, since
//! the limit applies to the whole process.

#[path = "support/file_size.rs"]
mod file_size;

use file_size::FileSizeLimit;
use xinrong_ledger::{Layout, Ledger, LedgerError, Suite, audit};

fn entry(i: usize) -> String {
    format!(r#"{{"kind":"test","n":{i},"pad":"{}"}}"#, "x".repeat(900))
}

#[test]
fn a_failed_write_stops_the_writer_and_the_log_reopens_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::create(dir.path(), "test.example/log", Suite::Sha256Ed25519).unwrap();
    let mut acknowledged: Vec<_> = (0..4).map(|i| ledger.append(entry(i)).unwrap()).collect();
    assert!(ledger.stopped().is_none());
    let largest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|f| f.unwrap().metadata().unwrap().len())
        .max()
        .unwrap();
    let limit = FileSizeLimit::set(largest + 8 * 1024);
    let mut refused = None;
    for i in 4..200 {
        match ledger.append(entry(i)) {
            Ok(r) => acknowledged.push(r),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    drop(limit);
    let refused = refused.expect("an append past the limit fails");
    assert!(
        matches!(refused, LedgerError::WriterStopped(_)),
        "{refused}"
    );
    let reason = ledger.stopped().expect("the ledger says why it stopped");
    assert!(reason.contains("File too large"), "{reason}");
    // Refused from then on, though files may grow again: the files may hold a partial batch.
    let again = ledger.append(entry(1000)).unwrap_err();
    assert!(matches!(again, LedgerError::WriterStopped(_)), "{again}");

    drop(ledger);
    let ledger = Ledger::open(dir.path()).unwrap();
    let key = Layout::new(dir.path()).read_verifier().unwrap();
    assert!(ledger.size() >= acknowledged.len() as u64);
    for receipt in &acknowledged {
        receipt
            .verify(&key)
            .expect("an acknowledged receipt verifies");
        assert_eq!(ledger.entry(receipt.leaf_index).unwrap(), receipt.entry);
    }
    let next = ledger.append(entry(2000)).unwrap();
    next.verify(&key).unwrap();
    drop(ledger);
    let report = audit(dir.path(), &key, |_, _| {}).unwrap();
    assert_eq!(report.problem, None, "{report:?}");
}
