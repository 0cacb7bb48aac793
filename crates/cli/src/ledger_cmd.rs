//! `xinrong ledger …`: register data assets, verify receipts, audit the log, prove
//! consistency, and measure durable append throughput.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use xinrong_core::Uscc;
use xinrong_ledger::{
    Checkpoint, Entry, Layout, Ledger, NotExtended, Reader, Receipt, Suite, VerifierKey, audit,
    check_extends, file_content_hash,
};

use crate::BadInput;
use crate::data::write_output;

/// Where the platform keeps its state: `--data-dir`, else `$XINRONG_DATA_DIR`, else
/// `./xinrong-data`.
#[derive(Args, Clone, Debug)]
pub struct DataDir {
    /// Data directory (default: $XINRONG_DATA_DIR, else ./xinrong-data).
    #[arg(
        long,
        global = true,
        env = "XINRONG_DATA_DIR",
        default_value = "xinrong-data"
    )]
    pub data_dir: PathBuf,
}

impl DataDir {
    /// The ledger directory inside the data directory.
    pub fn ledger(&self) -> PathBuf {
        self.data_dir.join("ledger")
    }
}

#[derive(Args)]
pub struct LedgerArgs {
    #[command(flatten)]
    dir: DataDir,
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Create the log: its name, its algorithms (SHA-256/Ed25519, or SM3/SM2 with --sm) and keys.
    Init(InitArgs),
    /// Hash a data file and register it as an enterprise data asset; prints the receipt.
    Register(RegisterArgs),
    /// Check a receipt offline with the log's public key (and optionally the data file).
    Verify(VerifyArgs),
    /// Re-hash the whole log and check it against every stored checkpoint.
    Audit(AuditArgs),
    /// Prove that the log today extends an earlier signed checkpoint (nothing rewritten).
    Consistency(ConsistencyArgs),
    /// Print the latest signed checkpoint (keep it: later `consistency` checks start from it).
    Checkpoint,
    /// Print the public verifier key to hand to banks, regulators and enterprises.
    Key,
    /// Print a fresh receipt for entry INDEX against the latest checkpoint.
    Receipt {
        /// Entry index, from 0.
        index: u64,
    },
    /// Load the log with concurrent writers and report durable appends per second and
    /// acknowledgement latency (the load behind bench/ledger.sh and the crash test; the
    /// criterion benchmark is `cargo bench -p xinrong-ledger --bench appends`).
    Bench(BenchArgs),
}

#[derive(Args)]
struct InitArgs {
    /// Log name, a schema-less URL; the suite is appended to form the origin line.
    #[arg(long, default_value = "xinrong.local/ledger")]
    name: String,
    /// Use the Chinese national algorithms: SM3 hashing and SM2 signatures.
    #[arg(long)]
    sm: bool,
}

#[derive(Args)]
struct RegisterArgs {
    /// The data file to register (its content hash goes in the log, not its content).
    file: PathBuf,
    /// USCC of the enterprise the data describes.
    #[arg(long)]
    enterprise: String,
    /// Name of the data set.
    #[arg(long)]
    name: String,
    /// Schema or source the data follows.
    #[arg(long, default_value = "unspecified")]
    schema: String,
    /// Who provided the data.
    #[arg(long, default_value = "unspecified")]
    provider: String,
    /// Where to write the receipt (`-` for stdout).
    #[arg(long, default_value = "-")]
    out: PathBuf,
}

#[derive(Args)]
struct KeyArg {
    /// Trusted verifier key (the text, or a file holding it); default: the log's verifier.key.
    #[arg(long)]
    key: Option<String>,
}

#[derive(Args)]
struct VerifyArgs {
    /// Receipt file (JSON), `-` for stdin.
    receipt: PathBuf,
    /// The registered data file: its hash must match the receipt's entry.
    #[arg(long)]
    file: Option<PathBuf>,
    #[command(flatten)]
    key: KeyArg,
}

#[derive(Args)]
struct AuditArgs {
    #[command(flatten)]
    key: KeyArg,
}

#[derive(Args)]
struct ConsistencyArgs {
    /// An earlier signed checkpoint (as printed by `xinrong ledger checkpoint`).
    old_checkpoint: PathBuf,
    #[command(flatten)]
    key: KeyArg,
}

#[derive(Args)]
struct BenchArgs {
    /// Concurrent writer threads, each appending and waiting for its receipt.
    #[arg(long, default_value_t = 256)]
    writers: usize,
    /// How long to run.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Use the SM3/SM2 suite.
    #[arg(long)]
    sm: bool,
    /// Log directory to use (default: a fresh temporary one, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// After appending, time this many inclusion proofs of random entries (read-only, as a
    /// verifier-facing server would serve them).
    #[arg(long, default_value_t = 0)]
    proofs: usize,
    /// Print `ack <index> <checkpoint size> <root> <entry>` for every acknowledged append
    /// (used by the crash test).
    #[arg(long)]
    print_acks: bool,
}

pub fn run(args: LedgerArgs) -> Result<()> {
    let dir = args.dir.ledger();
    match args.command {
        LedgerCommand::Init(a) => init(&dir, &a),
        LedgerCommand::Register(a) => register(&dir, &a),
        LedgerCommand::Verify(a) => verify(&dir, &a),
        LedgerCommand::Audit(a) => run_audit(&dir, &a),
        LedgerCommand::Consistency(a) => consistency(&dir, &a),
        LedgerCommand::Checkpoint => {
            let reader = open_reader(&dir)?;
            print!(
                "{}",
                reader
                    .checkpoint()
                    .context("the log has no checkpoint yet")?
                    .note
            );
            Ok(())
        }
        LedgerCommand::Key => {
            println!("{}", open_reader(&dir)?.verifier().encode());
            Ok(())
        }
        LedgerCommand::Receipt { index } => {
            let reader = open_reader(&dir)?;
            let receipt = reader.receipt(index).map_err(|e| BadInput(e.to_string()))?;
            // A receipt is printed only if it proves what it claims: a tampered log yields
            // receipts that fail, and handing one out would mislead its holder.
            receipt.verify(reader.verifier()).map_err(|e| {
                BadInput(format!(
                    "entry {index}: the log cannot give a valid receipt ({e}); run `xinrong ledger audit`"
                ))
            })?;
            println!("{}", serde_json::to_string_pretty(&receipt)?);
            Ok(())
        }
        LedgerCommand::Bench(a) => bench(&a),
    }
}

fn suite(sm: bool) -> Suite {
    if sm {
        Suite::Sm3Sm2
    } else {
        Suite::Sha256Ed25519
    }
}

fn init(dir: &Path, args: &InitArgs) -> Result<()> {
    let ledger =
        Ledger::create(dir, &args.name, suite(args.sm)).map_err(|e| BadInput(e.to_string()))?;
    eprintln!(
        "created ledger {} in {}",
        ledger.config().origin,
        dir.display()
    );
    println!("{}", ledger.verifier().encode());
    Ok(())
}

fn open_reader(dir: &Path) -> Result<Reader> {
    Reader::open(dir).map_err(|e| BadInput(e.to_string()).into())
}

/// Opens the log for appending, creating it with default settings on first use.
pub fn open_or_create(dir: &Path) -> Result<Ledger> {
    let (ledger, created) = Ledger::open_or_create(dir, "xinrong.local/ledger")?;
    if created {
        eprintln!(
            "no ledger in {} yet: created one (SHA-256/Ed25519; use `ledger init --sm` for SM3/SM2)",
            dir.display()
        );
    }
    let recovery = ledger.recovery();
    if recovery.cut_entries > 0 || recovery.cut_bytes > 0 || recovery.cut_checkpoint_line {
        eprintln!(
            "recovered from an interrupted write: cut {} unacknowledged entries ({} bytes)",
            recovery.cut_entries, recovery.cut_bytes
        );
    }
    Ok(ledger)
}

fn register(dir: &Path, args: &RegisterArgs) -> Result<()> {
    let enterprise: Uscc = args
        .enterprise
        .parse()
        .map_err(|e| BadInput(format!("--enterprise {:?}: {e}", args.enterprise)))?;
    if args.name.trim().is_empty() {
        bail!(BadInput("--name must not be empty".into()));
    }
    let ledger = open_or_create(dir)?;
    let (content_hash, bytes) = file_content_hash(&args.file, ledger.config().suite)
        .map_err(|e| BadInput(e.to_string()))?;
    let entry = Entry::DataAssetRegistered {
        enterprise,
        dataset: args.name.clone(),
        content_hash,
        bytes,
        schema: args.schema.clone(),
        provider: args.provider.clone(),
        time: Entry::now(),
    };
    let receipt = ledger.append(entry.to_canonical())?;
    eprintln!(
        "registered as entry {} of {}",
        receipt.leaf_index,
        ledger.config().origin
    );
    write_output(
        &args.out,
        format!("{}\n", serde_json::to_string_pretty(&receipt)?).as_bytes(),
    )?;
    Ok(())
}

fn trusted_key(dir: &Path, arg: &KeyArg) -> Result<VerifierKey> {
    let text = match &arg.key {
        Some(k) if Path::new(k).is_file() => std::fs::read_to_string(k)?,
        Some(k) => k.clone(),
        None => {
            let path = Layout::new(dir).verifier_key();
            std::fs::read_to_string(&path).map_err(|e| {
                BadInput(format!(
                    "{}: {e} (pass the log's public key with --key)",
                    path.display()
                ))
            })?
        }
    };
    VerifierKey::decode(&text).map_err(|e| BadInput(format!("verifier key: {e}")).into())
}

fn read_text(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        return Ok(std::io::read_to_string(std::io::stdin())?);
    }
    std::fs::read_to_string(path).map_err(|e| BadInput(format!("{}: {e}", path.display())).into())
}

fn verify(dir: &Path, args: &VerifyArgs) -> Result<()> {
    let key = trusted_key(dir, &args.key)?;
    let receipt: Receipt = serde_json::from_str(&read_text(&args.receipt)?)
        .map_err(|e| BadInput(format!("{}: not a receipt: {e}", args.receipt.display())))?;
    let verified = match &args.file {
        Some(file) => receipt.verify_file(&key, file),
        None => receipt.verify(&key),
    }
    .map_err(|e| BadInput(format!("{}: INVALID: {e}", args.receipt.display())))?;
    println!(
        "OK: entry {} is in {} (tree size {}), signed by {}",
        verified.leaf_index,
        verified.checkpoint.origin,
        verified.checkpoint.size,
        key.encode()
    );
    if args.file.is_some() {
        println!("OK: the file's content hash matches the registration");
    }
    Ok(())
}

fn run_audit(dir: &Path, args: &AuditArgs) -> Result<()> {
    let key = trusted_key(dir, &args.key)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({elapsed})")?
            .progress_chars("=> "),
    );
    bar.set_message("audit");
    let started = Instant::now();
    let report = audit(dir, &key, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| BadInput(e.to_string()))?;
    bar.finish_and_clear();
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    match report.problem {
        None => {
            println!(
                "OK: {} entries re-hashed, {} checkpoints verified and matched ({:.2} s)",
                report.entries,
                report.checkpoints,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(problem) => {
            let at = problem
                .entry
                .map(|e| format!(" at entry {e}"))
                .unwrap_or_default();
            bail!(BadInput(format!("AUDIT FAILED{at}: {}", problem.reason)))
        }
    }
}

fn consistency(dir: &Path, args: &ConsistencyArgs) -> Result<()> {
    let key = trusted_key(dir, &args.key)?;
    let earlier = read_text(&args.old_checkpoint)?;
    let reader = open_reader(dir)?;
    let proven = check_extends(&reader, &earlier, &key).map_err(|e| match e {
        NotExtended::Ledger(e) => anyhow::Error::new(e),
        other => BadInput(format!("{}: {other}", args.old_checkpoint.display())).into(),
    })?;
    println!(
        "OK: the log at size {} extends the checkpoint of size {} ({} proof hashes)",
        proven.new.size, proven.old.size, proven.proof_hashes
    );
    Ok(())
}

fn bench(args: &BenchArgs) -> Result<()> {
    let temp = tempfile_dir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.join("ledger"));
    let ledger = Arc::new(if Layout::new(&dir).exists() {
        Ledger::open(&dir)?
    } else {
        Ledger::create(&dir, "bench.local/ledger", suite(args.sm))?
    });
    let start_size = ledger.size();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    // Writers are tasks on a two-thread runtime, as request handlers in `xinrong serve` are.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()?;
    let mut latencies: Vec<Duration> = if args.seconds <= 0.0 {
        Vec::new()
    } else {
        runtime.block_on(async {
            let mut writers = tokio::task::JoinSet::new();
            for w in 0..args.writers {
                let (ledger, print_acks) = (Arc::clone(&ledger), args.print_acks);
                writers.spawn(async move {
                    let mut mine = Vec::new();
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let entry = format!(r#"{{"kind":"bench","n":{n},"writer":{w}}}"#);
                        let t0 = Instant::now();
                        let receipt = ledger.submit(entry)?.receipt().await?;
                        mine.push(t0.elapsed());
                        if print_acks {
                            print_ack(&receipt)?;
                        }
                        n += 1;
                    }
                    anyhow::Ok(mine)
                });
            }
            let mut all = Vec::new();
            while let Some(done) = writers.join_next().await {
                all.extend(done??);
            }
            anyhow::Ok(all)
        })?
    };
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
    };
    let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    let appended = ledger.size() - start_size;
    if appended > 0 {
        eprintln!(
            "{} durable appends in {elapsed:.2} s by {} writers ({}): {:.0}/s; ack latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            appended,
            args.writers,
            ledger.config().suite,
            appended as f64 / elapsed,
            ms(pct(0.50)),
            ms(pct(0.99)),
            ms(latencies.last()),
        );
    }
    drop(ledger);
    if args.proofs > 0 {
        time_proofs(&dir, args.proofs)?;
    }
    if args.dir.is_none() {
        std::fs::remove_dir_all(&temp).ok();
    }
    Ok(())
}

fn time_proofs(dir: &Path, count: usize) -> Result<()> {
    use rand::Rng as _;
    let reader = Reader::open(dir)?;
    let size = reader.size();
    if size == 0 {
        bail!(BadInput("the log is empty: nothing to prove".into()));
    }
    let mut rng = rand::rng();
    let mut times = Vec::with_capacity(count);
    let started = Instant::now();
    for _ in 0..count {
        let index = rng.random_range(0..size);
        let t0 = Instant::now();
        let proof = reader.inclusion_proof(index, size)?;
        times.push(t0.elapsed());
        std::hint::black_box(proof);
    }
    let total = started.elapsed();
    times.sort();
    let us = |p: f64| {
        times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e6
    };
    eprintln!(
        "{count} inclusion proofs of random entries in a log of {size}: median {:.1} µs, p99 {:.1} µs, max {:.1} µs \
         ({:.0} proofs/s on one thread); peak RSS {}",
        us(0.5),
        us(0.99),
        us(1.0),
        count as f64 / total.as_secs_f64(),
        peak_rss()
    );
    Ok(())
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// One line per acknowledged append, for the crash test: what was promised durable.
fn print_ack(receipt: &Receipt) -> Result<()> {
    use std::io::Write as _;
    let body = receipt.checkpoint.split("\n\n").next().unwrap_or("");
    let checkpoint = Checkpoint::parse_body(body).map_err(|e| anyhow::anyhow!("{e}"))?;
    writeln!(
        std::io::stdout().lock(),
        "ack {} {} {} {}",
        receipt.leaf_index,
        checkpoint.size,
        hex::encode(checkpoint.root),
        receipt.entry
    )?;
    Ok(())
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("xinrong-ledger-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
