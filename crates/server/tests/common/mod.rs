//! A platform served on a loopback port, on SQLite or PostgreSQL, with a bank, a guarantor,
//! a regulator, an operator and two enterprises, a published model and indicator snapshots.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use xinrong_ledger::VerifierKey;
use xinrong_platform::{FeatureGroups, Kind, Platform, Snapshot};
use xinrong_scorecard::{Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent, fit};
use xinrong_server::Limits;

/// The two stores every test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Store {
    Sqlite,
    Postgres,
}

/// A fresh, empty PostgreSQL schema for one test, or `None` (with a note) when no server was
/// given. `.ci/run` sets the variable, so CI never skips.
pub async fn postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("XINRONG_TEST_PG_URL") else {
        eprintln!(
            "SKIPPED the PostgreSQL run of this test: set XINRONG_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
        return None;
    };
    let schema = format!("xr_test_{}_{}", unix_secs(), rand_hex());
    let url = format!(
        "{base}{}options[search_path]={schema}",
        if base.contains('?') { "&" } else { "?" }
    );
    sqlx_create_schema(&base, &schema).await;
    Some(url)
}

async fn sqlx_create_schema(base: &str, schema: &str) {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("XINRONG_TEST_PG_URL={base}: cannot connect: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    // Schemas of test runs more than an hour old are dropped, so the database does not fill up.
    let old: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'xr\\_test\\_%'")
            .fetch_all(&mut conn)
            .await
            .expect("list schemas");
    for (name,) in old {
        let born: u64 = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if born + 3600 < unix_secs() {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(&mut conn)
            .await;
        }
    }
    conn.close().await.unwrap();
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn rand_hex() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", n, std::process::id())
}

pub struct Harness {
    pub base: String,
    pub client: Client,
    pub platform: Option<Arc<Platform>>,
    pub dir: TempDir,
    pub db_url: String,
    pub keys: HashMap<&'static str, String>,
    pub ids: HashMap<&'static str, String>,
    pub enterprises: Vec<String>,
    /// Rate limits and TLS of the server (off and plain by default, so tests are not
    /// throttled unless they ask).
    pub options: xinrong_server::ServeOptions,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Enterprises of the fixture (valid USCCs).
pub const ENTERPRISES: [&str; 3] = [
    "91350100M000100Y43",
    "913502007912345672",
    "91440300MA5FXT0K2Q",
];

fn valid_usccs() -> Vec<String> {
    // Fix the check character of each base so the codes are valid.
    ENTERPRISES.iter().map(|u| fix_check(&u[..17])).collect()
}

/// A valid USCC: `first17` and its GB 32100-2015 check character.
pub fn fix_check(first17: &str) -> String {
    let check = xinrong_core::Uscc::check_char(first17).expect("17 code characters");
    format!("{first17}{check}")
}

/// A small fitted scorecard over two indicators.
pub fn model_json() -> String {
    let n = 2000;
    let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 10.0).collect();
    let z: Vec<f64> = (0..n).map(|i| ((i * 104729) % 997) as f64).collect();
    let y: Vec<u8> = (0..n)
        .map(|i| {
            u8::from((x[i] / 100.0 + z[i] / 997.0 * 0.5 + ((i * 31) % 17) as f64 / 17.0) > 1.25)
        })
        .collect();
    let input = FitInput {
        train: Dataset {
            features: vec![
                FeatureView {
                    name: "cf_net_inflow_6m",
                    data: FeatureData::Numeric(&x),
                },
                FeatureView {
                    name: "ip_patents_granted",
                    data: FeatureData::Numeric(&z),
                },
            ],
            target: y,
        },
        test: None,
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    fit(&input, &FitConfig::default(), &Silent)
        .expect("fixture model fits")
        .to_json()
}

pub fn groups() -> BTreeMap<String, FeatureGroups> {
    BTreeMap::from([
        (
            "cf_net_inflow_6m".to_string(),
            FeatureGroups {
                dimension: "cash_flow".into(),
                view: "financial_health".into(),
            },
        ),
        (
            "ip_patents_granted".to_string(),
            FeatureGroups {
                dimension: "ip".into(),
                view: "development_potential".into(),
            },
        ),
    ])
}

impl Harness {
    pub async fn start(store: Store) -> Option<Harness> {
        Harness::start_with(store, Limits::off()).await
    }

    /// A harness whose server applies `limits`.
    pub async fn start_with(store: Store, limits: Limits) -> Option<Harness> {
        let dir = TempDir::new().unwrap();
        let db_url = match store {
            Store::Sqlite => xinrong_platform::db::default_url(dir.path()),
            Store::Postgres => postgres_url().await?,
        };
        let mut h = Harness {
            base: String::new(),
            client: Client::new(),
            platform: None,
            dir,
            db_url,
            keys: HashMap::new(),
            ids: HashMap::new(),
            enterprises: valid_usccs(),
            options: xinrong_server::ServeOptions { limits, tls: None },
            stop: None,
            task: None,
        };
        h.serve().await;
        h.fixture().await;
        Some(h)
    }

    async fn serve(&mut self) {
        let platform = Platform::open(self.dir.path(), &self.db_url)
            .await
            .expect("platform opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        self.task = Some(tokio::spawn(xinrong_server::serve(
            Arc::clone(&platform),
            listener,
            self.options.clone(),
            async move {
                let _ = stopped.await;
            },
        )));
        self.stop = Some(stop);
        self.platform = Some(platform);
    }

    /// Stops the server, closes the store and the ledger, and starts again on the same data.
    pub async fn restart(&mut self) {
        self.shutdown().await;
        self.serve().await;
    }

    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        if let Some(p) = self.platform.take() {
            p.close().await;
            // The refresher holds only a weak reference; this drop releases the ledger lock.
            drop(p);
        }
    }

    /// Revokes the key of `who`, logged as done `by`; the key's id.
    pub async fn revoke(&self, who: &str, by: &str) -> String {
        let key_id = self.keys[who]
            .trim_start_matches("xr_")
            .split('.')
            .next()
            .unwrap()
            .to_string();
        self.platform()
            .access()
            .revoke_key(&key_id, by)
            .await
            .unwrap();
        key_id
    }

    pub fn platform(&self) -> &Platform {
        self.platform.as_ref().unwrap()
    }

    async fn fixture(&mut self) {
        let access = self.platform().access();
        let mut made = Vec::new();
        for (name, kind, uscc, who) in [
            ("Bureau", Kind::Operator, None, "operator"),
            ("Bank A 甲银行", Kind::Bank, None, "bank"),
            ("Bank B", Kind::Bank, None, "bank2"),
            ("Guarantor", Kind::Guarantor, None, "guarantor"),
            ("Regulator", Kind::Regulator, None, "regulator"),
            (
                "Enterprise 0",
                Kind::Enterprise,
                Some(self.enterprises[0].parse().unwrap()),
                "ent0",
            ),
            (
                "Enterprise 1",
                Kind::Enterprise,
                Some(self.enterprises[1].parse().unwrap()),
                "ent1",
            ),
        ] {
            let inst = access
                .add_institution(name, kind, uscc, "test")
                .await
                .unwrap();
            let key = access.issue_key(&inst.id, "test").await.unwrap();
            made.push((who, inst.id, key.token));
        }
        for (who, id, token) in made {
            self.ids.insert(who, id);
            self.keys.insert(who, token);
        }
        let p = self.platform();
        let v1 = xinrong_platform::Version::parse("name", "v1").unwrap();
        p.registry()
            .publish(&model_json(), &v1, groups(), "test", true)
            .await
            .unwrap();
        let snaps: Vec<Snapshot> = self.enterprises[..2]
            .iter()
            .enumerate()
            .flat_map(|(i, u)| {
                [("2024-06-30", 10.0), ("2024-12-31", 40.0 + 30.0 * i as f64)].map(|(d, x)| {
                    Snapshot {
                        enterprise: u.parse().unwrap(),
                        as_of: d.parse::<NaiveDate>().unwrap(),
                        values: BTreeMap::from([
                            ("cf_net_inflow_6m".to_string(), Some(x)),
                            (
                                "ip_patents_granted".to_string(),
                                if i == 0 { Some(120.0) } else { None },
                            ),
                        ]),
                    }
                })
            })
            .collect();
        p.snapshots().load(&snaps).await.unwrap();
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(w) = who {
            req = req.bearer_auth(self.keys.get(w).map(String::as_str).unwrap_or(w));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        parse(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, who: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(who), None).await
    }

    pub async fn post(&self, path: &str, who: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(who), Some(body)).await
    }

    pub async fn grant(
        &self,
        ent: &str,
        to: &str,
        purpose: &str,
        expires: &str,
    ) -> (StatusCode, Value) {
        let to = self.ids[to].clone();
        self.post(
            "/v1/consents",
            ent,
            json!({"institution": to, "purpose": purpose, "expires": expires}),
        )
        .await
    }

    pub async fn score(&self, who: &str, enterprise: &str, purpose: &str) -> (StatusCode, Value) {
        self.post(
            "/v1/scores",
            who,
            json!({"enterprise": enterprise, "purpose": purpose}),
        )
        .await
    }
}

pub async fn parse(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A date `days` from today.
pub fn in_days(days: i64) -> String {
    (xinrong_platform::today() + chrono::Duration::days(days)).to_string()
}

/// Generates one test per store.
#[macro_export]
macro_rules! on_both_stores {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(h) = Harness::start(Store::Sqlite).await {
                    ($body)(h).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(h) = Harness::start(Store::Postgres).await {
                    ($body)(h).await;
                }
            }
        }
    };
}

pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

pub async fn verifier(h: &Harness) -> VerifierKey {
    let (_, head) = h.get("/v1/ledger/checkpoint", "bank").await;
    VerifierKey::decode(head["verifier_key"].as_str().unwrap()).unwrap()
}

/// A later snapshot of enterprise 0 with every indicator financing reads (enterprise 1 keeps
/// its snapshot without them: the data a rule needs is missing).
pub async fn load_facts(h: &Harness) {
    let values: BTreeMap<String, Option<f64>> = [
        ("cf_net_inflow_6m", Some(40.0)),
        ("ip_patents_granted", Some(120.0)),
        ("reg_age_years", Some(6.5)),
        ("inv_sales_12m", Some(12_000_000.0)),
        ("tax_paid_12m", Some(600_000.0)),
        ("tax_rating_score", Some(5.0)),
        ("cf_op_in_12m", Some(3_000_000.0)),
        ("reg_specialised", Some(1.0)),
        ("reg_high_tech", Some(1.0)),
        ("ip_total_granted", Some(4.0)),
        ("ord_largest_won_3m", Some(3_000_000.0)),
        ("ln_outstanding_latest", Some(1_000_000.0)),
        ("ln_overdue_days_max_3m", Some(0.0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    h.platform()
        .snapshots()
        .load(&[Snapshot {
            enterprise: h.enterprises[0].parse().unwrap(),
            as_of: "2025-01-31".parse::<NaiveDate>().unwrap(),
            values,
        }])
        .await
        .unwrap();
}

/// A bank policy that approves everything the product's limit allows: one row that never fires.
pub fn lenient_flow() -> Value {
    let mut flow: Value = serde_json::from_str(xinrong_credit::flow::BUILTIN_FLOW).unwrap();
    let table = &mut flow["nodes"][1]["content"];
    let first = table["rules"][0].clone();
    let mut row = first.clone();
    for (k, v) in first.as_object().unwrap() {
        if k.starts_with("in_") && !v.as_str().unwrap().is_empty() {
            row[k] = json!("");
        }
    }
    row["in_score"] = json!("< -1000000");
    table["rules"] = json!([row]);
    flow
}

/// A bank whose live flow approves, and an enterprise that consented.
pub async fn lenient_bank(h: &Harness) -> String {
    load_facts(h).await;
    let (s, body) = h.grant("ent0", "bank", "pre_loan", &in_days(30)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let checker = h
        .platform()
        .access()
        .issue_key(&h.ids["bank"], "test")
        .await
        .unwrap()
        .token;
    let (s, v) = h
        .post("/v1/flows", "bank", json!({"rules": lenient_flow()}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        h.post("/v1/flows/1/approve", &checker, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.post("/v1/flows/1/promote", &checker, json!({})).await.0,
        StatusCode::OK
    );
    h.enterprises[0].clone()
}

pub async fn approved(h: &Harness, enterprise: &str, key: &str, amount: &str) -> (String, f64) {
    let (s, d) = h
        .post(
            "/v1/decisions",
            "bank",
            json!({"enterprise": enterprise, "purpose": "pre_loan", "product": "guaranteed_loan",
                   "amount": amount, "request_key": key}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let d = &d["decision"];
    assert_eq!(d["outcome"], "approve", "{d}");
    let amount: f64 = d["amount"].as_str().unwrap().parse().unwrap();
    assert!(
        amount > 0.0,
        "the product lends this enterprise something: {d}"
    );
    (d["decision_id"].as_str().unwrap().to_string(), amount)
}

/// Uploads a generated registry row for a newly registered enterprise and one row with another
/// enterprise's code (quarantined); the upload's id.
pub async fn upload_with_a_bad_row(h: &Harness) -> String {
    let raw = tempfile::TempDir::new().unwrap();
    let cfg = xinrong_sources::GenConfig {
        enterprises: 2,
        months: 2,
        seed: 5,
        start: "2024-01-01".parse().unwrap(),
        faults: false,
    };
    xinrong_sources::generate(&cfg, raw.path(), |_| {}).unwrap();
    let text = std::fs::read_to_string(raw.path().join("registry.csv")).unwrap();
    let mut lines = text.lines();
    let (header, first) = (lines.next().unwrap(), lines.next().unwrap());
    let uscc = first.split(',').next().unwrap().to_string();
    let (s, b) = h
        .post(
            "/v1/enterprises",
            "operator",
            serde_json::json!({"uscc": uscc, "name": "Uploaded Co."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let bad = first.replacen(&uscc, "91350100M000100Y44", 1);
    let r = h
        .client
        .post(format!("{}/v1/enterprises/{uscc}/data/registry", h.base))
        .bearer_auth(&h.keys["operator"])
        .header("content-type", "text/csv")
        .body(format!("{header}\n{first}\n{bad}\n"))
        .send()
        .await
        .unwrap();
    let (s, b) = parse(r).await;
    assert_eq!(
        (s, b["report"]["quarantined"].as_u64()),
        (StatusCode::CREATED, Some(1)),
        "{b}"
    );
    b["report"]["asset_id"].as_str().unwrap().to_string()
}

/// Terms of a guarantee agreement with `bank`: guaranteed loans up to 36 months, `capacity`
/// yuan in all and per firm, warning at 3% and cap at 5%, risk shared 20/40/20/20.
pub fn terms(bank: &str, capacity: f64) -> Value {
    json!({
        "bank": bank,
        "fee_rate": "0.01",
        "capacity": format!("{capacity:.2}"),
        "per_firm_cap": format!("{capacity:.2}"),
        "warning_rate": "0.03",
        "cap_rate": "0.05",
        "compensate_after_days": 90,
        "criteria": {"products": ["guaranteed_loan"], "max_term_months": 36},
        "shares": {"bank": "0.2", "guarantor": "0.4", "reguarantor": "0.2", "government": "0.2"},
    })
}

/// The guarantor signs an agreement on `terms`; its id.
pub async fn sign(h: &Harness, terms: Value) -> String {
    let (s, a) = h
        .post("/v1/agreements", "guarantor", json!({"terms": terms}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    a["record"]["agreement_id"].as_str().unwrap().to_string()
}
