//! README's first command, `xinrong demo`, sets the platform up from nothing, and the `curl`
//! calls it prints work exactly as pasted against the server it starts.

use std::process::Command;

mod common;
use common::{Served, free_address, ok};

/// The shell commands of the printed block that follows `# {title}`.
fn call_after(printed: &str, title: &str) -> String {
    let start = printed
        .find(title)
        .unwrap_or_else(|| panic!("no '{title}' in\n{printed}"));
    let mut lines = printed[start..].lines().skip(1);
    let mut cmd = String::new();
    for line in lines.by_ref() {
        cmd.push_str(line);
        cmd.push('\n');
        if !line.ends_with('\\') {
            break;
        }
    }
    cmd
}

fn sh(cmd: &str) -> String {
    let out = Command::new("bash").arg("-c").arg(cmd).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn demo_sets_up_and_its_printed_calls_work() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("demo").display().to_string();
    let listen = free_address();
    let printed = ok(&[
        "demo",
        "--enterprises",
        "300",
        "--months",
        "24",
        "--no-serve",
        "--data-dir",
        &data,
        "--listen",
        &listen,
    ]);
    // A second run reuses the set-up and prints the same working calls.
    let again = ok(&[
        "demo",
        "--no-serve",
        "--data-dir",
        &data,
        "--listen",
        &listen,
    ]);
    assert!(
        printed.ends_with(&again),
        "the second run prints the same calls:\n{again}"
    );

    let server = Served::start(&data, &listen);
    let check = |title: &str, expect: &str| {
        let out = sh(&call_after(&printed, title));
        assert!(
            out.contains(expect),
            "{title}: expected {expect:?} in {out}"
        );
    };
    check("A bank asks for a score", "\"grade\"");
    check("The same bank for a purpose", "wrong_purpose");
    check("The guarantor, under the guarantee consent", "\"receipt\"");
    check("The enterprise sees its portrait", "\"history\"");
    check(
        "the same request key again gets the same decision",
        "\"digest\"",
    );
    check("The regulator's view of credit activity", "\"decisions\"");
    check("The third enterprise grants", "\"consent\"");
    server.kill();
}
