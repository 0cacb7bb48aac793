//! `xinrong demo`: the whole platform on one machine with embedded defaults. It generates a
//! portfolio, ingests it, computes indicators, fits and publishes a scorecard, registers the
//! data sets in the ledger, creates a bank, a guarantor, a regulator and three enterprises
//! with consents, and serves the API, printing `curl` calls that work as pasted.
//!
//! A second run on the same directory skips the set-up and serves again.

use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Months, NaiveDate};
use clap::Args;
use serde::{Deserialize, Serialize};
use xinrong_core::{Industry, Purpose, Uscc};
use xinrong_platform::{Kind, Name, Platform, Registration, Snapshot};
use xinrong_scorecard::Scorecard;

use crate::BadInput;
use crate::platform_args::{StoreArgs, feature_groups};
use crate::serve_cmd::{init_logging, runtime, serve};

#[derive(Args)]
pub struct DemoArgs {
    /// Directory for everything the demo makes.
    #[arg(long, default_value = "xinrong-demo")]
    data_dir: PathBuf,
    /// Database URL (default: SQLite file in the directory).
    #[arg(long, env = "XINRONG_DB_URL")]
    db: Option<String>,
    /// Enterprises in the generated portfolio.
    #[arg(long, default_value_t = 2000)]
    enterprises: usize,
    /// Months of history (at least 24).
    #[arg(long, default_value_t = 36)]
    months: u32,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Set everything up, print the calls, and exit without serving.
    #[arg(long)]
    no_serve: bool,
    #[command(flatten)]
    net: crate::serve_cmd::NetArgs,
}

/// What the set-up made, kept in `demo.json` (with the demo's API keys: a demo secret, not a
/// production practice) so that a second run can serve again.
#[derive(Serialize, Deserialize)]
pub struct DemoState {
    pub operator_key: String,
    pub bank: String,
    pub bank_key: String,
    pub guarantor: String,
    pub guarantor_key: String,
    pub regulator_key: String,
    pub enterprises: Vec<DemoEnterprise>,
    pub model_version: String,
    /// Date of the latest indicator snapshots (what the demo's upload call dates its rows).
    #[serde(default)]
    pub latest_snapshot: String,
}

#[derive(Serialize, Deserialize)]
pub struct DemoEnterprise {
    pub uscc: String,
    pub name: String,
    pub key: String,
}

/// Who the demo's set-up actions are logged as.
const DEMO: &str = "cli:demo";

/// First month of the generated history (year, month).
const START: (i32, u32) = (2023, 1);

pub fn run(args: DemoArgs) -> Result<()> {
    if args.months < 24 {
        bail!(BadInput(
            "--months must be at least 24 (fit, test and score dates)".into()
        ));
    }
    let state_file = args.data_dir.join("demo.json");
    let store = StoreArgs {
        dir: crate::ledger_cmd::DataDir {
            data_dir: args.data_dir.clone(),
        },
        db: args.db.clone(),
    };
    let state: DemoState = if state_file.is_file() {
        eprintln!("reusing the demo set up in {}", args.data_dir.display());
        serde_json::from_str(&std::fs::read_to_string(&state_file)?)
            .with_context(|| format!("{}", state_file.display()))?
    } else {
        if args.data_dir.join("model.json").is_file() {
            eprintln!(
                "reusing the data and model prepared in {}",
                args.data_dir.display()
            );
        } else {
            prepare_data(&args)?;
        }
        // A set-up interrupted earlier left a partial platform: start it again from scratch.
        for stale in [
            "platform.db",
            "platform.db-wal",
            "platform.db-shm",
            "ledger",
        ] {
            let path = args.data_dir.join(stale);
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else if path.is_file() {
                std::fs::remove_file(&path)?;
            }
        }
        let state = runtime()?.block_on(set_up(&args, &store))?;
        write_private(&state_file, &serde_json::to_string_pretty(&state)?)?;
        state
    };
    print_calls(&state, args.listen);
    if args.no_serve {
        return Ok(());
    }
    init_logging();
    let options = args.net.options()?;
    runtime()?.block_on(async {
        let platform = store.open().await?;
        crate::rescore::install(&platform, &[]).await?;
        serve(platform, args.listen, options).await
    })
}

/// Last day of the month `months` after `START`'s first month, minus `back` months.
fn month_end(months: u32, back: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(START.0, START.1, 1).expect("valid date");
    let next = first + Months::new(months - back);
    next.pred_opt().expect("not the first day ever")
}

fn step(title: &str) {
    eprintln!("\n== {title}");
}

/// gen → ingest → indicators at four dates → fit, each step the command's own function
/// called with its arguments as values (no command line is rebuilt).
fn prepare_data(args: &DemoArgs) -> Result<()> {
    let dir = &args.data_dir;
    let data_dir = crate::ledger_cmd::DataDir {
        data_dir: dir.clone(),
    };
    step(&format!(
        "generate {} enterprises × {} months",
        args.enterprises, args.months
    ));
    crate::gen_cmd::run(crate::gen_cmd::GenArgs {
        enterprises: args.enterprises,
        months: args.months,
        seed: 7,
        start: format!("{}-{:02}", START.0, START.1),
        no_faults: false,
        out: dir.join("raw"),
    })?;
    step("ingest every source (validate, quarantine, desensitise)");
    crate::ingest_cmd::run(crate::ingest_cmd::IngestArgs {
        dir: data_dir.clone(),
        source: None,
        paths: Vec::new(),
        provider: "demo-generator".into(),
        all: Some(dir.join("raw")),
        enterprise: None,
        unknown_fields: xinrong_sources::UnknownFields::Report,
    })?;
    for (back, name, label) in [
        (18, "train", true),
        (12, "test", true),
        (6, "mid", false),
        (0, "latest", false),
    ] {
        let as_of = month_end(args.months, back);
        step(&format!("indicators as of {as_of} ({name})"));
        crate::indicators_cmd::run(crate::indicators_cmd::IndicatorsArgs {
            dir: data_dir.clone(),
            as_of: Some(as_of.to_string()),
            out: Some(dir.join(format!("indicators-{name}.parquet"))),
            sql: Vec::new(),
            label_months: label.then_some(12),
            truth: label.then(|| dir.join("raw/truth.csv")),
            dictionary_out: label.then(|| dir.join("dictionary.csv")),
            list: false,
        })?;
    }
    step("fit a scorecard on the first date, test out of time on the second");
    crate::fit_cmd::run(crate::fit_cmd::FitArgs {
        train: vec![dir.join("indicators-train.parquet")],
        test: Some(dir.join("indicators-test.parquet")),
        target: "bad".into(),
        id: Some("uscc".into()),
        config: None,
        bins: None,
        write_bins: None,
        dictionary: Some(dir.join("dictionary.csv")),
        exclude: Vec::new(),
        out: dir.join("model.json"),
        json: false,
        quiet: true,
    })?;
    let latest = month_end(args.months, 0);
    step("early warnings at the last three month ends, judged against the generator's truth");
    crate::monitor_cmd::warnings(crate::monitor_cmd::WarningsArgs {
        dir: data_dir.clone(),
        model: dir.join("model.json"),
        from: month_end(args.months, 2).format("%Y-%m").to_string(),
        to: month_end(args.months, 0).format("%Y-%m").to_string(),
        rules: None,
        out: dir.join("warnings"),
        truth: Some(dir.join("raw")),
        lead_days: 30,
    })?;
    step(&format!(
        "need signals as of {latest} (cash-flow forecasts)"
    ));
    crate::signals_cmd::run(crate::signals_cmd::SignalsArgs {
        dir: data_dir,
        as_of: latest.to_string(),
        to: None,
        months: 36,
        method: "mstl".into(),
        out: dir.join("signals.csv"),
        forecasts_out: None,
    })
}

async fn set_up(args: &DemoArgs, store: &StoreArgs) -> Result<DemoState> {
    let dir = &args.data_dir;
    let platform = store.open().await?;
    step("publish the model to the registry");
    let version = format!("demo-{}", chrono::Utc::now().format("%Y%m%d"));
    let text = std::fs::read_to_string(dir.join("model.json"))?;
    let card = Scorecard::from_json(&text)?;
    let version = xinrong_platform::Version::parse("version", &version)?;
    let (summary, _) = platform
        .registry()
        .publish(&text, &version, feature_groups(&card)?, DEMO, true)
        .await?;
    eprintln!(
        "published {} ({} characteristics, test AUC {:.4})",
        summary.version, summary.features, summary.auc
    );

    step("load indicator snapshots for online scoring (three dates: a score history)");
    let mut latest: Vec<Snapshot> = Vec::new();
    for (back, name) in [(12, "test"), (6, "mid"), (0, "latest")] {
        let as_of = month_end(args.months, back);
        let (snaps, rejected) = xinrong_platform::snapshots::read_snapshots(
            &dir.join(format!("indicators-{name}.parquet")),
            as_of,
        )?;
        if !rejected.is_empty() {
            eprintln!(
                "{} rows not loaded: {}",
                rejected.len(),
                rejected.join("; ")
            );
        }
        platform.snapshots().load(&snaps).await?;
        eprintln!("{} snapshots as of {as_of}", snaps.len());
        latest = snaps;
    }

    step("register the generated data sets in the ledger");
    register_datasets(&platform, &dir.join("raw")).await?;

    step("create institutions, keys and consents");
    let access = platform.access();
    let operator = access
        .add_institution("信融征信 Xinrong Bureau", Kind::Operator, None, DEMO)
        .await?;
    let bank = access
        .add_institution("示例银行 Demo Bank", Kind::Bank, None, DEMO)
        .await?;
    let guarantor = access
        .add_institution("示例融资担保 Demo Guarantor", Kind::Guarantor, None, DEMO)
        .await?;
    let regulator = access
        .add_institution("示例监管 Demo Regulator", Kind::Regulator, None, DEMO)
        .await?;
    let (names, refused) = registry(&dir.join("raw/registry.csv"))?;
    let new = platform.register_enterprises(&operator, &names).await?;
    eprintln!(
        "{new} enterprises of the business registry registered (name and industry){}",
        if refused.is_empty() {
            String::new()
        } else {
            format!(
                "; {} rows with a problem: {}",
                refused.len(),
                refused.join("; ")
            )
        }
    );
    // Three enterprises with indicators: a strong, a middling and a weak one.
    let model = platform.registry().get(None)?;
    let mut scored: Vec<(f64, &Snapshot)> = latest
        .iter()
        .filter_map(|s| Some((xinrong_platform::scoring::explain(&model, s).ok()?.score, s)))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    if scored.len() < 3 {
        bail!("too few enterprises were scored to pick three for the demo");
    }
    let picks = [
        scored[scored.len() / 10].1,
        scored[scored.len() / 2].1,
        scored[scored.len() * 9 / 10].1,
    ];
    let mut enterprises = Vec::new();
    for snap in picks {
        let uscc = snap.enterprise.clone();
        let name = names
            .iter()
            .find(|r| r.uscc == uscc)
            .map(|r| r.name.as_str().to_string())
            .unwrap_or_else(|| format!("Enterprise {uscc}"));
        let inst = access
            .add_institution(&name, Kind::Enterprise, Some(uscc.clone()), DEMO)
            .await?;
        let key = access.issue_key(&inst.id, DEMO).await?;
        enterprises.push((
            inst,
            DemoEnterprise {
                uscc: uscc.to_string(),
                name,
                key: key.token,
            },
        ));
    }
    let in_a_year = xinrong_platform::today() + chrono::Days::new(365);
    // The bank monitors (post-loan) the demo enterprise the early warnings flag highest, so
    // its alerts call shows some.
    let warnings = dir.join("warnings");
    let mut raised = xinrong_platform::alerts::read_alerts(&warnings.join("alerts.csv"))?;
    let rank = |level: &str| ["blue", "yellow", "red"].iter().position(|l| *l == level);
    let monitored = (0..enterprises.len())
        .max_by_key(|&k| {
            raised
                .alerts
                .iter()
                .filter(|a| a.uscc.as_str() == enterprises[k].1.uscc)
                .filter_map(|a| rank(&a.level))
                .max()
        })
        .unwrap_or(0);
    let grants = [
        (0, &bank, Purpose::PreLoan),
        (0, &guarantor, Purpose::Guarantee),
        (1, &bank, Purpose::InLoan),
        (monitored, &bank, Purpose::PostLoan),
    ];
    for (e, to, purpose) in grants {
        let to_id = xinrong_platform::Id::parse("institution", &to.id)?;
        let (c, _) = platform
            .grant_consent(&enterprises[e].0, &to_id, purpose, in_a_year)
            .await?;
        eprintln!(
            "{} consents to {} for {} until {} ({})",
            enterprises[e].1.uscc, to.name, purpose, c.expires, c.id
        );
    }
    step("financing: need signals loaded (shortfalls become offers to consenting institutions)");
    let mut read = xinrong_platform::signals::read_signals(&dir.join("signals.csv"))?;
    // The platform knows the demo's three enterprises only; the batch covered the portfolio.
    read.signals.retain(|s| {
        enterprises
            .iter()
            .any(|(_, e)| e.uscc == s.enterprise.as_str())
    });
    xinrong_platform::signals::load(platform.pool(), &read.signals).await?;
    eprintln!(
        "{} signals, {} projected shortfalls",
        read.signals.len(),
        read.signals.iter().filter(|s| s.is_shortfall()).count()
    );
    step("early warnings: loaded for the bank monitoring the enterprise they flag highest");
    // The platform knows the demo's three enterprises only; the batch covered the portfolio.
    raised
        .alerts
        .retain(|a| enterprises.iter().any(|(_, e)| e.uscc == a.uscc.as_str()));
    let loaded = xinrong_platform::alerts::load(platform.pool(), &raised.alerts, DEMO).await?;
    eprintln!(
        "{} alerts about the demo's enterprises: {} opened, {} updated",
        raised.alerts.len(),
        loaded.opened,
        loaded.updated
    );
    step(&format!(
        "financing: {} asks which products it qualifies for (working capital)",
        enterprises[0].1.name
    ));
    let (record, _) = platform
        .match_financing(
            &enterprises[0].0,
            &enterprises[0].0.uscc.clone().expect("an enterprise"),
            Purpose::PreLoan,
            &xinrong_platform::Need::new(Some("working_capital"), None)?,
            false,
        )
        .await?;
    if let Some(answer) = &record.financing {
        eprintln!("{}", crate::match_cmd::offers_table(&answer.value()));
    }
    let state = DemoState {
        operator_key: access.issue_key(&operator.id, DEMO).await?.token,
        bank_key: access.issue_key(&bank.id, DEMO).await?.token,
        bank: bank.id,
        guarantor_key: access.issue_key(&guarantor.id, DEMO).await?.token,
        guarantor: guarantor.id,
        regulator_key: access.issue_key(&regulator.id, DEMO).await?.token,
        enterprises: enterprises.into_iter().map(|e| e.1).collect(),
        model_version: version.as_str().to_string(),
        latest_snapshot: month_end(args.months, 0).to_string(),
    };
    platform.append_admin_actions().await?;
    platform.close().await;
    Ok(state)
}

async fn register_datasets(platform: &Platform, raw: &Path) -> Result<()> {
    let mut n = 0;
    for source in xinrong_sources::SOURCES {
        let file = raw.join(format!("{}.csv", source.name));
        if file.is_file() {
            platform
                .register_dataset(
                    &format!("demo/{}.csv", source.name),
                    &file,
                    source.name,
                    "demo-generator",
                )
                .await?;
            n += 1;
        }
    }
    eprintln!(
        "{n} data sets registered (ledger size {})",
        platform.ledger_size()
    );
    Ok(())
}

/// The business registry the generator wrote: each enterprise's code, name and industry.
/// Rows whose code or name does not parse are named and not registered; an industry that does
/// not parse is named and left out.
fn registry(path: &Path) -> Result<(Vec<Registration>, Vec<String>)> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(u), Some(n)) = (col("uscc"), col("name")) else {
        bail!("{}: no uscc and name columns", path.display());
    };
    let i = col("industry");
    let (mut out, mut refused) = (Vec::new(), Vec::new());
    for (line, r) in reader.records().enumerate() {
        let r = r?;
        let cell = |k: usize| r.get(k).unwrap_or_default();
        let parsed = cell(u)
            .parse::<Uscc>()
            .map_err(|e| format!("uscc: {e}"))
            .and_then(|code| {
                Name::parse("name", cell(n))
                    .map(|name| (code, name))
                    .map_err(|e| e.to_string())
            });
        match parsed {
            Ok((code, name)) => {
                let industry = i.map(cell).filter(|c| !c.is_empty());
                let industry = match industry.map(str::parse::<Industry>) {
                    Some(Ok(industry)) => Some(industry),
                    Some(Err(e)) => {
                        refused.push(format!(
                            "{} line {}: {e} (registered without an industry)",
                            path.display(),
                            line + 2
                        ));
                        None
                    }
                    None => None,
                };
                out.push(Registration {
                    uscc: code,
                    name,
                    industry,
                });
            }
            Err(why) => refused.push(format!("{} line {}: {why}", path.display(), line + 2)),
        }
    }
    Ok((out, refused))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn print_calls(s: &DemoState, listen: SocketAddr) {
    let url = format!("http://{listen}");
    let e = &s.enterprises;
    let today = xinrong_platform::today();
    let expires = NaiveDate::from_ymd_opt(today.year() + 1, today.month(), 1).unwrap_or(today);
    println!(
        r#"
Xinrong demo: model {model}, bank {bank}, guarantor {guarantor}.
Enterprises: {e0} ({n0}), {e1} ({n1}), {e2} ({n2}).

# A bank asks for a score under consent (grade, PD, reasons, dimension scores, ledger receipt):
curl -s -X POST {url}/v1/scores -H 'Authorization: Bearer {bk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e0}","purpose":"pre_loan"}}'

# The same bank for a purpose the enterprise did not consent to: 403 wrong_purpose
curl -s -X POST {url}/v1/scores -H 'Authorization: Bearer {bk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e1}","purpose":"pre_loan"}}'

# The guarantor, under the guarantee consent:
curl -s -X POST {url}/v1/scores -H 'Authorization: Bearer {gk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e0}","purpose":"guarantee"}}'

# Financing: the products the first enterprise qualifies for, best first, with amount, price,
# rules passed and refused (and what would change them); then one product's limit and price:
curl -s -X POST {url}/v1/matches -H 'Authorization: Bearer {bk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e0}","purpose":"pre_loan","need":{{"purpose":"working_capital"}}}}'
curl -s -X POST {url}/v1/limits -H 'Authorization: Bearer {gk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e0}","purpose":"guarantee","product":"guaranteed_loan"}}'
# Its need signal (projected shortfall, amount, window, evidence), and offers pushed to the bank:
curl -s '{url}/v1/signals?enterprise={e0}&purpose=pre_loan' -H 'Authorization: Bearer {bk}'

# A credit decision by the bank's flow (approve / refer / decline with the rules and reasons,
# its digest in the ledger); the same request key again gets the same decision:
curl -s -X POST {url}/v1/decisions -H 'Authorization: Bearer {bk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e0}","purpose":"pre_loan","product":"credit_loan","amount":"500000","request_key":"demo-1"}}'
# The regulator's view of credit activity (decisions, guarantees, loans by class):
curl -s {url}/v1/credit/summary -H 'Authorization: Bearer {rk}'

# (red / yellow / blue, evidence, suggested action; POST /v1/alerts/ID/acknowledge|resolve)
# Early warnings the bank receives under its post-loan consent:
curl -s '{url}/v1/alerts?limit=5' -H 'Authorization: Bearer {bk}'

# The enterprise sees its portrait: score history, dimensions, strengths, who queried it:
curl -s {url}/v1/portrait -H 'Authorization: Bearer {k0}'

# New data is scored at once ("rescored": the score before and after; the portrait lists it
# under "rescorings"). The operator uploads a court enforcement against {n0}:
printf 'uscc,case_no,date,record_type,amount\n{e0},(2024)沪0115执{case}号,{latest},enforcement,850000\n' | \
  curl -s -X POST {url}/v1/enterprises/{e0}/data/judicial -H 'Authorization: Bearer {ok}' \
  -H 'Content-Type: text/csv' --data-binary @-

# The third enterprise grants the bank pre-loan access (then the bank's query succeeds):
curl -s -X POST {url}/v1/consents -H 'Authorization: Bearer {k2}' -H 'Content-Type: application/json' \
  -d '{{"institution":"{bank}","purpose":"pre_loan","expires":"{expires}"}}'

# The bank's own query log; a regulator sees everyone's:
curl -s {url}/v1/queries -H 'Authorization: Bearer {bk}'
curl -s {url}/v1/queries -H 'Authorization: Bearer {rk}'

# Verify a receipt offline with only the ledger's public key:
curl -s -X POST {url}/v1/scores -H 'Authorization: Bearer {bk}' -H 'Content-Type: application/json' \
  -d '{{"enterprise":"{e0}","purpose":"pre_loan"}}' | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["receipt"]))' > receipt.json
curl -s {url}/v1/ledger/checkpoint | python3 -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])' > verifier.key
cargo run --release -- ledger verify receipt.json --key verifier.key

# Operations: OpenAPI document, health, readiness, Prometheus metrics
curl -s {url}/openapi.json | head -c 300; echo
curl -s {url}/ready; curl -s {url}/metrics | grep xinrong_http_requests_total | head

Operator key: {ok}
(keys are kept in demo.json for this demo only)

Web console 信用服务台: {url}/console/  (sign in with a key; 用以下密钥登录)
  bank 银行:             {bk}
  guarantor 担保机构:    {gk}
  regulator 监管机构:    {rk}
  enterprise 企业 {e0}: {k0}
  operator 平台运营方:   {ok}"#,
        model = s.model_version,
        bank = s.bank,
        guarantor = s.guarantor,
        e0 = e[0].uscc,
        n0 = e[0].name,
        e1 = e[1].uscc,
        n1 = e[1].name,
        e2 = e[2].uscc,
        n2 = e[2].name,
        bk = s.bank_key,
        gk = s.guarantor_key,
        rk = s.regulator_key,
        ok = s.operator_key,
        k0 = e[0].key,
        k2 = e[2].key,
        latest = s.latest_snapshot,
        case = &e[0].uscc[8..12],
    );
}
