//! The log on disk: receipts from concurrent writers, reopening, torn tails, tampering,
//! and both cryptographic suites.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;

use xinrong_ledger::{Checkpoint, Layout, Ledger, LedgerError, Suite, audit, verify_consistency};

fn entry(i: usize) -> String {
    format!(r#"{{"kind":"test","n":{i}}}"#)
}

fn fill(dir: &Path, suite: Suite, n: usize) -> Ledger {
    let ledger = Ledger::create(dir, "test.example/log", suite).unwrap();
    for i in 0..n {
        ledger.append(entry(i)).unwrap();
    }
    ledger
}

fn audit_ok(dir: &Path) -> xinrong_ledger::AuditReport {
    let key = Layout::new(dir).read_verifier().unwrap();
    let report = audit(dir, &key, |_, _| {}).unwrap();
    assert_eq!(report.problem, None, "{report:?}");
    report
}

/// Appends entry `n` (its receipt verified), closes the log, and audits `n + 1` entries.
fn append_close_and_audit(dir: &Path, ledger: Ledger, n: usize) {
    ledger
        .append(entry(n))
        .unwrap()
        .verify(ledger.verifier())
        .unwrap();
    drop(ledger);
    assert_eq!(audit_ok(dir).entries, n as u64 + 1);
}

#[test]
fn concurrent_appends_get_verifiable_receipts_in_both_suites() {
    for suite in Suite::ALL {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::create(dir.path(), "test.example/log", suite).unwrap();
        assert_eq!(ledger.config().origin, format!("test.example/log/{suite}"));
        let receipts: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let ledger = &ledger;
                    s.spawn(move || {
                        (0..50)
                            .map(|i| {
                                // The index given at submission is the one the entry gets.
                                let pending = ledger.submit(entry(t * 1000 + i)).unwrap();
                                let index = pending.index();
                                let receipt = pending.wait().unwrap();
                                assert_eq!(receipt.leaf_index, index);
                                receipt
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(ledger.size(), 400);
        let mut indices: Vec<u64> = receipts.iter().map(|r| r.leaf_index).collect();
        indices.sort();
        assert_eq!(
            indices,
            (0..400).collect::<Vec<_>>(),
            "every entry gets its own index"
        );
        for receipt in &receipts {
            let verified = receipt.verify(ledger.verifier()).unwrap();
            assert!(verified.checkpoint.size > receipt.leaf_index);
            assert_eq!(ledger.entry(receipt.leaf_index).unwrap(), receipt.entry);
            // A receipt re-issued against the latest checkpoint verifies too.
            ledger
                .receipt(receipt.leaf_index)
                .unwrap()
                .verify(ledger.verifier())
                .unwrap();
        }
        // A receipt altered anywhere fails.
        let mut forged = receipts[0].clone();
        forged.entry = forged.entry.replace('}', ",\"x\":1}");
        assert!(forged.verify(ledger.verifier()).is_err());
        drop(ledger);
        let report = audit_ok(dir.path());
        assert_eq!(report.entries, 400);
        assert!(report.checkpoints >= 2);
    }
}

#[test]
fn reopening_keeps_everything_and_later_checkpoints_are_consistent_with_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = fill(dir.path(), Suite::Sha256Ed25519, 37);
    let old = ledger.checkpoint().unwrap();
    drop(ledger);
    let ledger = Ledger::open(dir.path()).unwrap();
    assert_eq!(ledger.recovery().cut_entries, 0);
    assert_eq!(ledger.size(), 37);
    for i in 37..100 {
        ledger.append(entry(i)).unwrap();
    }
    let new = ledger.checkpoint().unwrap().checkpoint;
    let proof = ledger
        .consistency_proof(old.checkpoint.size, new.size)
        .unwrap();
    assert!(verify_consistency(
        Suite::Sha256Ed25519,
        37,
        100,
        &old.checkpoint.root,
        &new.root,
        &proof
    ));
    assert_eq!(ledger.entry(5).unwrap(), entry(5));
    assert!(matches!(ledger.entry(100), Err(LedgerError::OutOfRange(_))));
    assert!(
        matches!(Ledger::open(dir.path()), Err(LedgerError::Locked(_))),
        "one writer at a time"
    );
}

#[test]
fn a_torn_tail_is_detected_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    drop(fill(dir.path(), Suite::Sha256Ed25519, 20));
    let layout = Layout::new(dir.path());
    // A crash mid-batch: half a record, an index entry and a node for it, half a checkpoint.
    for (path, bytes) in [
        (layout.entries(), &[0, 0, 0, 40, b'{', b'"'][..]),
        (layout.index(), &[0, 0, 0, 0, 0, 0, 9][..]),
        (layout.tree(), &[7u8; 32][..]),
        (layout.checkpoints(), &b"{\"note\":\"test.exa"[..]),
    ] {
        OpenOptions::new()
            .append(true)
            .open(path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }
    let ledger = Ledger::open(dir.path()).unwrap();
    assert_eq!(ledger.size(), 20);
    assert!(ledger.recovery().cut_bytes > 0 && ledger.recovery().cut_checkpoint_line);
    append_close_and_audit(dir.path(), ledger, 20);
}

/// The 16 bytes of `derived.mark` for `size` (see the ledger's `mark` module).
fn mark(size: u64) -> Vec<u8> {
    [
        size.to_be_bytes(),
        (size ^ 0x7869_6e72_6f6e_676d).to_be_bytes(),
    ]
    .concat()
}

/// The byte offset of record `i` in `entries.log` of a log filled by [`fill`].
fn record_offset(i: usize) -> u64 {
    (0..i).map(|k| 36 + entry(k).len() as u64).sum()
}

/// Cuts `checkpoints.log` back to its line for `size` (a line lost with the power).
fn keep_checkpoints_up_to(dir: &Path, size: u64) {
    let path = Layout::new(dir).checkpoints();
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: String = text
        .split_inclusive('\n')
        .take_while(|line| {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            let size_line = line["note"].as_str().unwrap().lines().nth(1).unwrap();
            size_line.parse::<u64>().unwrap() <= size
        })
        .collect();
    std::fs::write(&path, kept).unwrap();
}

#[test]
fn the_index_and_tree_lost_with_the_power_are_derived_again_from_the_entries() {
    // A batch is acknowledged once `entries.log` is on disk; the index and the tree are
    // flushed later. A power loss in between leaves them short or garbled past the mark.
    for suite in Suite::ALL {
        let dir = tempfile::tempdir().unwrap();
        let ledger = fill(dir.path(), suite, 20);
        let receipts: Vec<_> = (0..20).map(|i| ledger.receipt(i).unwrap()).collect();
        drop(ledger);
        let layout = Layout::new(dir.path());
        assert_eq!(
            std::fs::read(layout.derived_mark()).unwrap(),
            mark(20),
            "{suite}: closing flushes the derived files and marks them"
        );
        // Pages written back out of order: the ends of both files reached the disk, their
        // middles (entries 12..19) did not. Only the mark says not to trust them.
        std::fs::write(layout.derived_mark(), mark(8)).unwrap();
        let index = OpenOptions::new().write(true).open(layout.index()).unwrap();
        index.write_all_at(&[0u8; 7 * 8], 12 * 8).unwrap();
        let tree = OpenOptions::new().write(true).open(layout.tree()).unwrap();
        let (from, to) = (
            xinrong_ledger::node_count(12) * 32,
            xinrong_ledger::node_count(19) * 32,
        );
        tree.write_all_at(&vec![7u8; (to - from) as usize], from)
            .unwrap();

        let ledger = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.size(), 20, "{suite}: no acknowledged entry is lost");
        for (i, held) in receipts.iter().enumerate() {
            assert_eq!(ledger.entry(i as u64).unwrap(), entry(i), "{suite}");
            let fresh = ledger.receipt(i as u64).unwrap();
            fresh.verify(ledger.verifier()).unwrap();
            assert_eq!(fresh.checkpoint, held.checkpoint, "{suite}: the same tree");
        }
        append_close_and_audit(dir.path(), ledger, 20);
    }
}

#[test]
fn recovery_derives_up_to_the_first_torn_record_after_the_mark() {
    // Ten entries flushed and marked, ten more written whose flush the power cut: the
    // fifteenth record is torn, so the log keeps fourteen and signs them.
    let dir = tempfile::tempdir().unwrap();
    drop(fill(dir.path(), Suite::Sha256Ed25519, 10));
    let ledger = Ledger::open(dir.path()).unwrap();
    for i in 10..20 {
        ledger.append(entry(i)).unwrap();
    }
    drop(ledger);
    let layout = Layout::new(dir.path());
    std::fs::write(layout.derived_mark(), mark(10)).unwrap();
    keep_checkpoints_up_to(dir.path(), 10);
    OpenOptions::new()
        .write(true)
        .open(layout.entries())
        .unwrap()
        .write_all_at(b"X", record_offset(14) + 4 + 2)
        .unwrap();

    let ledger = Ledger::open(dir.path()).unwrap();
    assert_eq!(ledger.size(), 14);
    assert_eq!(ledger.recovery().cut_entries, 6);
    assert!(ledger.recovery().cut_bytes > 0);
    assert_eq!(ledger.entry(13).unwrap(), entry(13));
    let receipt = ledger.append(entry(99)).unwrap();
    assert_eq!(
        receipt.leaf_index, 14,
        "the cut record's index is given again"
    );
    receipt.verify(ledger.verifier()).unwrap();
    drop(ledger);
    assert_eq!(audit_ok(dir.path()).entries, 15);
}

#[test]
fn without_a_mark_the_index_and_tree_are_derived_again_whole() {
    // A log from before marks, or one whose mark was lost: nothing of the derived files is
    // trusted, so even a garbled middle of the tree is put right.
    let dir = tempfile::tempdir().unwrap();
    drop(fill(dir.path(), Suite::Sm3Sm2, 12));
    let layout = Layout::new(dir.path());
    std::fs::remove_file(layout.derived_mark()).unwrap();
    OpenOptions::new()
        .write(true)
        .open(layout.tree())
        .unwrap()
        .write_all_at(&[7u8; 64], 4 * 32)
        .unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    assert_eq!((ledger.size(), ledger.recovery().cut_entries), (12, 0));
    assert_eq!(std::fs::read(layout.derived_mark()).unwrap(), mark(12));
    drop(ledger);
    assert_eq!(audit_ok(dir.path()).entries, 12);
}

#[test]
fn a_checkpoint_line_lost_after_its_receipt_is_signed_again_on_open() {
    // A batch is acknowledged once its entries are durable; its checkpoint line reaches the
    // disk with the next batch. A crash in between loses the line but not the entries.
    for suite in Suite::ALL {
        let dir = tempfile::tempdir().unwrap();
        let ledger = fill(dir.path(), suite, 9);
        let receipt = ledger.append(entry(9)).unwrap();
        drop(ledger);
        let layout = Layout::new(dir.path());
        let log = std::fs::read(layout.checkpoints()).unwrap();
        let last_line = log[..log.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap();
        OpenOptions::new()
            .write(true)
            .open(layout.checkpoints())
            .unwrap()
            .set_len(last_line as u64 + 1)
            .unwrap();

        let ledger = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.size(), 10, "{suite}: no acknowledged entry is lost");
        let held = receipt.verify(ledger.verifier()).unwrap().checkpoint;
        let signed = ledger.checkpoint().unwrap();
        assert_eq!(
            (signed.checkpoint.size, signed.checkpoint.root),
            (held.size, held.root),
            "{suite}: the log signs the receipt's tree again"
        );
        if suite == Suite::Sha256Ed25519 {
            assert_eq!(
                signed.note, receipt.checkpoint,
                "Ed25519 signs the same note"
            );
        }
        drop(ledger);
        assert_eq!(audit_ok(dir.path()).entries, 10);
    }
}

#[test]
fn a_record_written_beside_its_entry_can_wait_for_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = fill(dir.path(), Suite::Sha256Ed25519, 3);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pending = ledger.submit(entry(3)).unwrap();
        let index = pending.index();
        assert_eq!(index, 3, "the index is known before the entry is durable");
        ledger.durable(index).await.unwrap();
        // Once it is durable, a reader of the record gets the entry's receipt.
        let receipt = ledger.receipt(index).unwrap();
        receipt.verify(ledger.verifier()).unwrap();
        assert_eq!(receipt.entry, entry(3));
        assert!(
            matches!(
                ledger.durable(index + 1).await,
                Err(LedgerError::OutOfRange(_))
            ),
            "an index never submitted is refused, not waited for"
        );
        assert_eq!(pending.receipt().await.unwrap().leaf_index, index);
    });
}

#[test]
fn losing_checkpointed_entries_refuses_to_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(fill(dir.path(), Suite::Sha256Ed25519, 10));
    let layout = Layout::new(dir.path());
    let len = std::fs::metadata(layout.entries()).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(layout.entries())
        .unwrap()
        .set_len(len - 50)
        .unwrap();
    let error = Ledger::open(dir.path())
        .err()
        .expect("damaged log must not open");
    assert!(
        error.to_string().contains("checkpoint covers 10"),
        "{error}"
    );
}

#[test]
fn audit_names_the_first_edited_entry() {
    let dir = tempfile::tempdir().unwrap();
    drop(fill(dir.path(), Suite::Sm3Sm2, 30));
    let layout = Layout::new(dir.path());
    let key = layout.read_verifier().unwrap();
    // Entry 12 starts after 12 records of `4 + len + 32` bytes.
    let offset: u64 = (0..12).map(|i| 36 + entry(i).len() as u64).sum();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(layout.entries())
        .unwrap();
    file.write_all_at(b"X", offset + 4 + 3).unwrap();
    let report = audit(dir.path(), &key, |_, _| {}).unwrap();
    let problem = report.problem.expect("edit must be found");
    assert_eq!(problem.entry, Some(12), "{problem:?}");

    // A smarter forger rewrites the entry, its stored hash and every tree node: only the
    // signed checkpoints can tell, and they do.
    let dir = tempfile::tempdir().unwrap();
    drop(fill(dir.path(), Suite::Sha256Ed25519, 30));
    let forged = tempfile::tempdir().unwrap();
    let forger = Ledger::create(forged.path(), "test.example/log", Suite::Sha256Ed25519).unwrap();
    for i in 0..30 {
        forger
            .append(if i == 12 { entry(999) } else { entry(i) })
            .unwrap();
    }
    drop(forger);
    let (real, fake) = (Layout::new(dir.path()), Layout::new(forged.path()));
    for (to, from) in [
        (real.entries(), fake.entries()),
        (real.index(), fake.index()),
        (real.tree(), fake.tree()),
    ] {
        std::fs::copy(from, to).unwrap();
    }
    let key = real.read_verifier().unwrap();
    let report = audit(dir.path(), &key, |_, _| {}).unwrap();
    let problem = report.problem.expect("rewrite must be found");
    assert!(
        problem.reason.contains("does not match the log"),
        "{problem:?}"
    );
    assert!(
        Ledger::open(dir.path()).is_err(),
        "the writer refuses it too"
    );
}

#[test]
fn checkpoints_carry_the_suite_and_verify_with_the_published_key() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = fill(dir.path(), Suite::Sm3Sm2, 3);
    let note = ledger.checkpoint().unwrap().note;
    assert!(note.starts_with("test.example/log/sm3-sm2\n3\n"), "{note}");
    let key = Layout::new(dir.path()).read_verifier().unwrap();
    assert_eq!(Checkpoint::open(&note, &key).unwrap().size, 3);
    let other = tempfile::tempdir().unwrap();
    let stranger = fill(other.path(), Suite::Sm3Sm2, 0);
    assert!(Checkpoint::open(&note, stranger.verifier()).is_err());
}

#[test]
fn recent_checkpoints_are_the_last_issued_newest_first_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    // One checkpoint per sequential append: sizes 1..=300, more than the tail read holds.
    let ledger = fill(dir.path(), Suite::Sha256Ed25519, 300);
    let recent = ledger.recent_checkpoints(5).unwrap();
    let sizes: Vec<u64> = recent.iter().map(|c| c.checkpoint.size).collect();
    assert_eq!(sizes, vec![300, 299, 298, 297, 296]);
    assert_eq!(recent[0].note, ledger.checkpoint().unwrap().note);
    // Asking for more than the tail holds gives whole lines only, still newest first.
    let many = ledger.recent_checkpoints(10_000).unwrap();
    assert!(many.len() > 100 && many.len() < 300, "{}", many.len());
    assert!(
        many.windows(2)
            .all(|w| w[0].checkpoint.size > w[1].checkpoint.size)
    );
    // A checkpoint line whose signature no longer verifies is an error, not a silent gap.
    drop(ledger);
    let path = Layout::new(dir.path()).checkpoints();
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    let forged = last.replacen("\\n300\\n", "\\n301\\n", 1);
    assert_ne!(forged, last, "the size is in the note");
    std::fs::write(&path, text.replace(last, &forged)).unwrap();
    let reader = xinrong_ledger::Reader::open(dir.path());
    let err = match reader {
        Ok(r) => r.recent_checkpoints(3).unwrap_err(),
        Err(e) => e,
    };
    assert!(matches!(err, LedgerError::Checkpoint { .. }), "{err}");
}
