//! Helpers shared by the integration tests that call the libraries directly.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Says a test skipped, on the real stderr: `cargo test` captures `eprintln!` of passing tests,
/// and a skip must be visible without `--nocapture`.
#[macro_export]
macro_rules! skipped {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
use xinrong_scorecard::{
    Dataset, FeatureData, FeatureView, FitConfig, FitInput, Scorecard, Silent, fit,
};
use xinrong_tabular::{ColumnData, ReadOptions, Table, read_table};

/// Says a test skipped, on the real stderr: `cargo test` captures `eprintln!` of passing
/// tests, and a skip must show without `--nocapture`.
pub fn skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// `../shared/data` when present; `None` (test skipped, said so) when absent, unless
/// `XINRONG_REQUIRE_SHARED_DATA=1`, when its absence fails the test.
pub fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.join("german_credit_train.csv").exists() {
        return Some(dir);
    }
    if std::env::var("XINRONG_REQUIRE_SHARED_DATA").is_ok_and(|v| v == "1") {
        panic!(
            "XINRONG_REQUIRE_SHARED_DATA=1 but {} is absent",
            dir.display()
        );
    }
    skipped(&format!(
        "SKIPPED: {} is absent; this test needs the shared data sets",
        dir.display()
    ));
    None
}

/// Every column but `bad` as a feature view.
pub fn views(t: &Table) -> Vec<FeatureView<'_>> {
    t.columns
        .iter()
        .filter(|c| c.name != "bad")
        .map(|c| FeatureView {
            name: &c.name,
            data: match &c.data {
                ColumnData::Numeric(v) => FeatureData::Numeric(v),
                ColumnData::Text { codes, levels } => FeatureData::Categorical { codes, levels },
            },
        })
        .collect()
}

/// The 0/1 `bad` column.
pub fn target(t: &Table) -> Vec<u8> {
    match &t.column("bad").expect("target column").data {
        ColumnData::Numeric(v) => v.iter().map(|&x| u8::from(x == 1.0)).collect(),
        ColumnData::Text { .. } => panic!("numeric target"),
    }
}

/// NAME_train.csv and NAME_test.csv of the shared data, the test read with the train's kinds.
pub fn split(dir: &std::path::Path, name: &str) -> (Table, Table) {
    let train = read_table(
        &dir.join(format!("{name}_train.csv")),
        &ReadOptions::default(),
    )
    .unwrap();
    let text: Vec<String> = train
        .columns
        .iter()
        .filter(|c| matches!(c.data, ColumnData::Text { .. }))
        .map(|c| c.name.clone())
        .collect();
    let test = read_table(
        &dir.join(format!("{name}_test.csv")),
        &ReadOptions {
            text_columns: text,
            ..Default::default()
        },
    )
    .unwrap();
    (train, test)
}

/// Fits on `train`, measuring on `test`.
pub fn fit_on(train: &Table, test: &Table, config: &FitConfig) -> Scorecard {
    let input = FitInput {
        train: Dataset {
            features: views(train),
            target: target(train),
        },
        test: Some(Dataset {
            features: views(test),
            target: target(test),
        }),
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    fit(&input, config, &Silent).unwrap()
}

/// Runs the `xinrong` binary built for these tests.
pub fn xinrong(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xinrong"))
        .args(args)
        .output()
        .expect("run xinrong")
}

/// Runs a command that must succeed and returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = xinrong(args);
    assert!(
        out.status.success(),
        "xinrong {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command expected to fail with exit 2 and returns its stderr.
pub fn bad(args: &[&str]) -> String {
    let out = xinrong(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "xinrong {args:?} should exit 2; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A loopback address with a port nothing listens on.
pub fn free_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// `xinrong serve` on `data` at `listen`, ready to answer; killed (SIGKILL) when dropped, so a
/// failing test leaves no server behind.
pub struct Served {
    child: std::process::Child,
    /// `http://<listen>`.
    pub base: String,
}

impl Served {
    /// Starts the server and waits (up to a minute) until `/ready` answers 200.
    pub fn start(data: &str, listen: &str) -> Served {
        let child = Command::new(env!("CARGO_BIN_EXE_xinrong"))
            .args(["serve", "--data-dir", data, "--listen", listen])
            .env("XINRONG_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let served = Served {
            child,
            base: format!("http://{listen}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !reqwest::blocking::get(format!("{}/ready", served.base))
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "server not ready in 60 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        served
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}
