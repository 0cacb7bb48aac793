//! README's first command, `xinrong demo`, sets the platform up from nothing, and the `curl`
//! calls it prints work exactly as pasted against the server it starts.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::ok;

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
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
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

    let mut server = Command::new(env!("CARGO_BIN_EXE_xinrong"))
        .args(["serve", "--data-dir", &data, "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::blocking::get(format!("http://{listen}/ready"))
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "server not ready");
        std::thread::sleep(Duration::from_millis(50));
    }
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
    check("The third enterprise grants", "\"consent\"");
    server.kill().unwrap();
    server.wait().unwrap();
}
