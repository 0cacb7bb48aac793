//! `xinrong ledger`: registration receipts that verify offline, audits that find tampering,
//! consistency between checkpoints, the SM suite, and a writer killed with SIGKILL many times
//! without losing anything it acknowledged.

use std::io::Read as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::Rng as _;
use xinrong_ledger::{Layout, Ledger, audit, verify_consistency};

mod common;
use common::{bad, ok};

const USCC: &str = "91350100M000100Y43";

fn data(dir: &Path) -> String {
    dir.display().to_string()
}

/// `xinrong ledger --data-dir DIR` followed by `rest`.
fn ledger<'a>(data_dir: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    [&["ledger", "--data-dir", data_dir][..], rest].concat()
}

fn register(data_dir: &str, file: &Path, out: &Path) -> String {
    ok(&ledger(
        data_dir,
        &[
            "register",
            &file.display().to_string(),
            "--enterprise",
            USCC,
            "--name",
            "tax filings 2026",
            "--provider",
            "tax-bureau",
            "--out",
            &out.display().to_string(),
        ],
    ))
}

#[test]
fn a_registration_receipt_verifies_offline_and_catches_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = data(&dir.path().join("data"));
    let file = dir.path().join("tax.csv");
    std::fs::write(&file, "period,declared\n2026-01,1000\n").unwrap();
    let receipt = dir.path().join("receipt.json");
    register(&d, &file, &receipt);
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(
        text.contains("data_asset_registered") && text.contains("sha256:"),
        "{text}"
    );

    // Verification needs only the public key: copy it elsewhere and use no data directory.
    let key = ok(&ledger(&d, &["key"]));
    let out = ok(&ledger(
        "/nonexistent",
        &[
            "verify",
            &receipt.display().to_string(),
            "--key",
            key.trim(),
            "--file",
            &file.display().to_string(),
        ],
    ));
    assert!(
        out.contains("OK: entry 0") && out.contains("content hash matches"),
        "{out}"
    );

    std::fs::write(&file, "period,declared\n2026-01,1001\n").unwrap();
    let err = bad(&ledger(
        &d,
        &[
            "verify",
            &receipt.display().to_string(),
            "--file",
            &file.display().to_string(),
        ],
    ));
    assert!(err.contains("differs from the registered"), "{err}");

    // A receipt edited in any field is refused.
    let forged = text.replace("tax filings 2026", "tax filings 2025");
    std::fs::write(&receipt, forged).unwrap();
    let err = bad(&ledger(&d, &["verify", &receipt.display().to_string()]));
    assert!(err.contains("INVALID"), "{err}");

    // So is a genuine receipt checked against another log's key.
    let other = data(&dir.path().join("other"));
    ok(&ledger(&other, &["init"]));
    std::fs::write(&receipt, &text).unwrap();
    let err = bad(&ledger(&other, &["verify", &receipt.display().to_string()]));
    assert!(err.contains("no signature by the trusted key"), "{err}");
}

#[test]
fn audit_finds_the_edited_entry_and_consistency_holds_across_appends() {
    let dir = tempfile::tempdir().unwrap();
    let d = data(&dir.path().join("data"));
    let file = dir.path().join("f.csv");
    std::fs::write(&file, "a\n1\n").unwrap();
    for i in 0..5 {
        register(&d, &file, &dir.path().join(format!("r{i}.json")));
    }
    let old = dir.path().join("old.checkpoint");
    std::fs::write(&old, ok(&ledger(&d, &["checkpoint"]))).unwrap();
    for i in 5..9 {
        register(&d, &file, &dir.path().join(format!("r{i}.json")));
    }
    let out = ok(&ledger(&d, &["consistency", &old.display().to_string()]));
    assert!(
        out.contains("size 9 extends the checkpoint of size 5"),
        "{out}"
    );
    let out = ok(&ledger(&d, &["audit"]));
    assert!(out.contains("OK: 9 entries"), "{out}");

    // Change one character of entry 6 on disk.
    let layout = Layout::new(dir.path().join("data/ledger"));
    let reader = xinrong_ledger::Reader::open(layout.dir()).unwrap();
    let sixth = reader.entry(6).unwrap();
    let bytes = std::fs::read(layout.entries()).unwrap();
    let at = bytes
        .windows(sixth.len())
        .position(|w| w == sixth.as_bytes())
        .unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(layout.entries())
        .unwrap();
    file.write_all_at(b"8", (at + sixth.find(USCC).unwrap() + 2) as u64)
        .unwrap();
    let err = bad(&ledger(&d, &["audit"]));
    assert!(err.contains("AUDIT FAILED at entry 6"), "{err}");
    // No receipt is handed out for the edited entry: it would not verify.
    let err = bad(&ledger(&d, &["receipt", "6"]));
    assert!(
        err.contains("entry 6") && err.contains("ledger audit"),
        "{err}"
    );
    ok(&ledger(&d, &["receipt", "2"]));
}

#[test]
fn serve_says_why_it_cannot_open_rather_than_blaming_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = data(&dir.path().join("data"));
    let file = dir.path().join("f.csv");
    std::fs::write(&file, "a\n1\n").unwrap();
    for i in 0..3 {
        register(&d, &file, &dir.path().join(format!("r{i}.json")));
    }
    // A database that cannot be opened.
    let err = bad_or_failed(&[
        "serve",
        "--data-dir",
        &d,
        "--db",
        "sqlite:///nonexistent/dir/x.db",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(
        err.contains("database") && !err.contains("holds the ledger"),
        "{err}"
    );
    // A ledger cut short below its last checkpoint: damage, not a crash.
    let layout = Layout::new(dir.path().join("data/ledger"));
    let len = std::fs::metadata(layout.entries()).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(layout.entries())
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let err = bad_or_failed(&["serve", "--data-dir", &d, "--listen", "127.0.0.1:0"]);
    assert!(
        err.contains("ledger is damaged") && !err.contains("holds the ledger"),
        "{err}"
    );
}

/// The stderr of a command that must fail (with status 1 or 2).
fn bad_or_failed(args: &[&str]) -> String {
    let out = common::xinrong(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn an_sm_log_uses_sm3_and_sm2_throughout() {
    let dir = tempfile::tempdir().unwrap();
    let d = data(&dir.path().join("data"));
    let key = ok(&ledger(
        &d,
        &["init", "--sm", "--name", "bureau.example/ledger"],
    ));
    assert!(key.starts_with("bureau.example/ledger/sm3-sm2+"), "{key}");
    let file = dir.path().join("f.csv");
    std::fs::write(&file, "a\n1\n").unwrap();
    let receipt = dir.path().join("r.json");
    register(&d, &file, &receipt);
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(
        text.contains("sm3:") && text.contains("bureau.example/ledger/sm3-sm2\\n1\\n"),
        "{text}"
    );
    let out = ok(&ledger(
        &d,
        &[
            "verify",
            &receipt.display().to_string(),
            "--file",
            &file.display().to_string(),
        ],
    ));
    assert!(out.contains("OK"), "{out}");
    ok(&ledger(&d, &["audit"]));
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = data(&dir.path().join("data"));
    let file = dir.path().join("f.csv");
    std::fs::write(&file, "a\n").unwrap();
    let err = bad(&ledger(
        &d,
        &[
            "register",
            &file.display().to_string(),
            "--enterprise",
            "91350100M000100Y44",
            "--name",
            "x",
        ],
    ));
    assert!(err.contains("--enterprise"), "{err}");
    let err = bad(&ledger(&d, &["verify", &file.display().to_string()]));
    assert!(
        err.contains("not a receipt") || err.contains("verifier.key"),
        "{err}"
    );
    let err = bad(&ledger(&d, &["audit"]));
    assert!(
        err.contains("verifier.key") || err.contains("no ledger"),
        "{err}"
    );
    ok(&ledger(&d, &["init"]));
    let err = bad(&ledger(&d, &["init"]));
    assert!(err.contains("already exists"), "{err}");
}

/// One acknowledged append, as the writer printed it.
struct Ack {
    index: u64,
    size: u64,
    root: String,
    entry: String,
}

fn parse_acks(stdout: &[u8]) -> Vec<Ack> {
    let complete = stdout
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    String::from_utf8_lossy(&stdout[..complete])
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(5, ' ');
            (parts.next()? == "ack").then_some(())?;
            Some(Ack {
                index: parts.next()?.parse().ok()?,
                size: parts.next()?.parse().ok()?,
                root: parts.next()?.to_string(),
                entry: parts.next()?.to_string(),
            })
        })
        .collect()
}

#[test]
fn a_writer_killed_at_random_moments_loses_nothing_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ledger");
    let mut rng = rand::rng();
    let mut acknowledged: Vec<Ack> = Vec::new();
    let rounds = 20;
    for round in 0..rounds {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xinrong"))
            .args([
                "ledger",
                "bench",
                "--writers",
                "64",
                "--seconds",
                "60",
                "--print-acks",
                "--dir",
            ])
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start writer");
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(60..400)));
        child.kill().expect("SIGKILL the writer");
        child.wait().unwrap();
        let acks = parse_acks(&reader.join().unwrap());
        assert!(
            round > 0 || !acks.is_empty(),
            "the writer acknowledged nothing before the kill"
        );

        acknowledged.extend(acks);
        let ledger =
            Ledger::open(&log).unwrap_or_else(|e| panic!("round {round}: recovery failed: {e}"));
        for ack in &acknowledged {
            assert_eq!(
                ledger.entry(ack.index).unwrap(),
                ack.entry,
                "round {round}: acknowledged entry {} lost",
                ack.index
            );
        }
        // The tree still has every root a receipt was signed with, and extends it.
        let newest = ledger.checkpoint().unwrap().checkpoint;
        if let Some(last) = acknowledged.iter().max_by_key(|a| a.size) {
            let root = ledger.root_at(last.size).unwrap();
            assert_eq!(
                hex::encode(root),
                last.root,
                "round {round}: checkpoint {} no longer matches",
                last.size
            );
            let proof = ledger.consistency_proof(last.size, newest.size).unwrap();
            assert!(verify_consistency(
                ledger.config().suite,
                last.size,
                newest.size,
                &root,
                &newest.root,
                &proof
            ));
        }
        drop(ledger);
        let key = Layout::new(&log).read_verifier().unwrap();
        let report = audit(&log, &key, |_, _| {}).unwrap();
        assert_eq!(report.problem, None, "round {round}");
    }
    assert!(
        acknowledged.len() > 1000,
        "only {} appends acknowledged in {rounds} rounds",
        acknowledged.len()
    );
}
