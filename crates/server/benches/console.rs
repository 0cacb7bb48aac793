//! Server-side render time of the console's pages with N enterprises loaded (default 10,000):
//! a platform on SQLite with N enterprises, two snapshots each, a 12-characteristic champion,
//! every enterprise's consent held by one bank, and a few hundred queries; each page is asked
//! for `ROUNDS` times in turn over loopback, and the median, p99 and max are printed.
//!
//! `cargo bench -p xinrong-server --bench console -- [N] [ROUNDS]` (results in bench/RESULTS.md);
//! with `CONSOLE_BENCH_PARTS=1` it first times the overview's platform calls one by one.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use reqwest::redirect::Policy;
use xinrong_core::{DIMENSIONS, Purpose, Uscc, VIEWS};
use xinrong_platform::{FeatureGroups, Id, Kind, Platform, Snapshot, Version};
use xinrong_scorecard::{Dataset, FeatureData, FeatureView, FitConfig, FitInput, Silent, fit};

const FEATURES: usize = 12;

fn uscc(i: usize) -> Uscc {
    let first17 = format!("913501000{i:08}");
    let check = Uscc::check_char(&first17).expect("17 code characters");
    format!("{first17}{check}").parse().expect("a valid code")
}

/// A scorecard over `FEATURES` characteristics spread over the ten dimensions.
fn model(rng: &mut rand::rngs::StdRng) -> (String, BTreeMap<String, FeatureGroups>) {
    let n = 20_000;
    let names: Vec<String> = (0..FEATURES).map(|j| format!("x{j:02}")).collect();
    let columns: Vec<Vec<f64>> = (0..FEATURES)
        .map(|_| (0..n).map(|_| rng.random_range(0.0..100.0)).collect())
        .collect();
    let target: Vec<u8> = (0..n)
        .map(|i| {
            let risk: f64 = columns.iter().map(|c| c[i]).sum::<f64>() / FEATURES as f64;
            u8::from(rng.random_range(0.0..100.0) < risk * 0.4)
        })
        .collect();
    let features = names
        .iter()
        .zip(&columns)
        .map(|(name, c)| FeatureView {
            name,
            data: FeatureData::Numeric(c),
        })
        .collect();
    let input = FitInput {
        train: Dataset { features, target },
        test: None,
        target_name: "bad".into(),
        id_column: None,
        labels: Default::default(),
    };
    let json = fit(&input, &FitConfig::default(), &Silent)
        .expect("the bench model fits")
        .to_json();
    let groups = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let groups = FeatureGroups {
                dimension: DIMENSIONS[j % DIMENSIONS.len()].0.into(),
                view: VIEWS[j % VIEWS.len()].0.into(),
            };
            (name.clone(), groups)
        })
        .collect();
    (json, groups)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let rounds = args.get(1).copied().unwrap_or(200);
    let dir = tempfile::TempDir::new().unwrap();
    let platform = Platform::open(dir.path(), &xinrong_platform::db::default_url(dir.path()))
        .await
        .expect("platform opens");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let started = Instant::now();
    let (json, groups) = model(&mut rng);
    let version = Version::parse("name", "bench").unwrap();
    platform
        .registry()
        .publish(&json, &version, groups, "bench", true)
        .await
        .unwrap();
    let access = platform.access();
    let mut keys = BTreeMap::new();
    for (name, kind, who) in [
        ("Bench bank", Kind::Bank, "bank"),
        ("Bench regulator", Kind::Regulator, "regulator"),
        ("Bench guarantor", Kind::Guarantor, "guarantor"),
        ("Bench operator", Kind::Operator, "operator"),
    ] {
        let inst = access
            .add_institution(name, kind, None, "bench")
            .await
            .unwrap();
        let key = access.issue_key(&inst.id, "bench").await.unwrap();
        keys.insert(who, (inst.id, key.token));
    }
    let dates = ["2024-06-30", "2024-12-31"].map(|d| d.parse::<NaiveDate>().unwrap());
    let mut snapshots = Vec::with_capacity(2 * n);
    for i in 0..n {
        for as_of in dates {
            let values = (0..FEATURES)
                .map(|j| (format!("x{j:02}"), Some(rng.random_range(0.0..100.0))))
                .collect();
            snapshots.push(Snapshot {
                enterprise: uscc(i),
                as_of,
                values,
            });
        }
    }
    for chunk in snapshots.chunks(20_000) {
        platform.snapshots().load(chunk).await.unwrap();
    }
    // Every enterprise registered, with its consent to the bank; the first has a key.
    let bank = Id::parse("institution", &keys["bank"].0).unwrap();
    let expires = chrono::Utc::now().date_naive() + chrono::Days::new(365);
    let mut first_key = String::new();
    for i in 0..n {
        let ent = access
            .add_institution(
                &format!("企业 {i}"),
                Kind::Enterprise,
                Some(uscc(i)),
                "bench",
            )
            .await
            .unwrap();
        if i == 0 {
            first_key = access.issue_key(&ent.id, "bench").await.unwrap().token;
        }
        platform
            .grant_consent(&ent, &bank, Purpose::PreLoan, expires)
            .await
            .unwrap();
    }
    let bank_inst = access.authenticate(&keys["bank"].1).await.unwrap();
    let mut last_query = String::new();
    for i in 0..300 {
        let (record, _) = platform
            .score(&bank_inst, &uscc(i % n.min(50)), Purpose::PreLoan, None)
            .await
            .unwrap();
        last_query = record.query_id;
    }
    let enterprise_page = format!("/console/enterprises/{}?purpose=pre_loan", uscc(1));
    let query_page = format!("/console/queries/{last_query}");
    eprintln!(
        "set up {n} enterprises, {} snapshots, {n} consents, 300 queries in {:.1} s",
        snapshots.len(),
        started.elapsed().as_secs_f64()
    );

    if std::env::var("CONSOLE_BENCH_PARTS").is_ok() {
        for _ in 0..5 {
            let t = Instant::now();
            platform.portfolio(&bank_inst).await.unwrap();
            let a = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            platform.consents_held(&bank_inst, 20).unwrap();
            let b = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let filter = xinrong_platform::alerts::AlertFilter {
                status: Some("open".into()),
                limit: Some(500),
                ..Default::default()
            };
            platform.alerts(&bank_inst, &filter).await.unwrap();
            let c = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            platform.credit_summary(&bank_inst).await.unwrap();
            let d = t.elapsed().as_secs_f64() * 1e3;
            eprintln!(
                "portfolio {a:.1} ms, consents held {b:.1} ms, alerts {c:.1} ms, credit summary {d:.1} ms"
            );
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let options = xinrong_server::ServeOptions {
        limits: xinrong_server::Limits::off(),
        tls: None,
    };
    let served = Arc::clone(&platform);
    tokio::spawn(xinrong_server::serve(
        served,
        listener,
        options,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let sign_in = |key: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r = client
                .post(format!("{base}/console/sign-in"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("key={key}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            let cookie = r.headers()["set-cookie"].to_str().unwrap();
            cookie.split(';').next().unwrap().to_string()
        }
    };
    let bank_cookie = sign_in(keys["bank"].1.clone()).await;
    let regulator_cookie = sign_in(keys["regulator"].1.clone()).await;
    let ent_cookie = sign_in(first_key).await;
    let guarantor_cookie = sign_in(keys["guarantor"].1.clone()).await;
    let operator_cookie = sign_in(keys["operator"].1.clone()).await;
    let pages = [
        ("bank overview", "/console/", &bank_cookie),
        ("bank query log", "/console/queries", &bank_cookie),
        ("bank alerts", "/console/alerts", &bank_cookie),
        ("bank enterprise page", &*enterprise_page, &bank_cookie),
        ("bank query page", &*query_page, &bank_cookie),
        ("enterprise portrait", "/console/me", &ent_cookie),
        ("enterprise queried by", "/console/me/queries", &ent_cookie),
        ("enterprise consents", "/console/me/consents", &ent_cookie),
        ("bank decisions", "/console/decisions", &bank_cookie),
        ("bank search", "/console/search?q=91350100", &bank_cookie),
        ("regulator overview", "/console/", &regulator_cookie),
        ("regulator models", "/console/models", &regulator_cookie),
        (
            "regulator market (every enterprise)",
            "/console/market",
            &regulator_cookie,
        ),
        (
            "regulator guarantees",
            "/console/guarantees",
            &regulator_cookie,
        ),
        ("regulator loan book", "/console/loans", &regulator_cookie),
        ("ledger", "/console/ledger", &regulator_cookie),
        ("guarantor overview", "/console/", &guarantor_cookie),
        ("guarantor loan book", "/console/loans", &guarantor_cookie),
        ("operator overview", "/console/", &operator_cookie),
        ("operator data received", "/console/data", &operator_cookie),
        ("operator models", "/console/models", &operator_cookie),
    ];
    println!("| page | first ms | median ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, path, cookie) in pages {
        let mut ms = Vec::with_capacity(rounds + 1);
        for _ in 0..=rounds {
            let t = Instant::now();
            let r = client
                .get(format!("{base}{path}"))
                .header("cookie", cookie.as_str())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{name}");
            r.bytes().await.unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        // The first answer may fill caches (the portfolio's scores); it is shown apart.
        let first = ms.remove(0);
        ms.sort_by(f64::total_cmp);
        println!(
            "| {name} | {first:.2} | {:.2} | {:.2} | {:.2} |",
            quantile(&ms, 0.5),
            quantile(&ms, 0.99),
            ms[ms.len() - 1]
        );
    }
}
