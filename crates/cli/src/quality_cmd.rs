//! `xinrong quality`: the quality scorecard of every source and provider, and the quality
//! issues raised from it, tracked from open to closed.

use std::path::Path;

use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use xinrong_indicators::{IssueStatus, QualityIssue, assess, raise_issues, transition};

use crate::BadInput;
use crate::ledger_cmd::DataDir;

#[derive(Args)]
pub struct QualityArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Mark issue ID as notified to its provider.
    #[arg(long, value_name = "ID")]
    notify: Option<u32>,
    /// Mark issue ID as fixed by its provider.
    #[arg(long, value_name = "ID")]
    fixed: Option<u32>,
    /// Accept issue ID as it is (needs --note with the reason).
    #[arg(long, value_name = "ID")]
    accept: Option<u32>,
    /// Note recorded with a status change.
    #[arg(long, default_value = "")]
    note: String,
    /// Print the assessment and issues as JSON.
    #[arg(long)]
    json: bool,
}

fn load(path: &Path) -> Result<Vec<QualityIssue>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(serde_json::from_str(&text)
            .map_err(|e| BadInput(format!("{}: {e}", path.display())))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Writes the issues file (atomically): the platform's console reads it
/// ([`xinrong_platform::ingest_view`]).
fn save(path: &Path, issues: &[QualityIssue]) -> Result<()> {
    crate::fit_cmd::write_atomic(path, serde_json::to_string_pretty(issues)?.as_bytes())
}

pub fn run(args: QualityArgs) -> Result<()> {
    let store = args.dir.data_dir.join("store");
    let issues_path = store.join("quality_issues.json");
    let mut issues = load(&issues_path)?;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let change = [
        (args.notify, IssueStatus::Notified),
        (args.fixed, IssueStatus::Fixed),
        (args.accept, IssueStatus::Accepted),
    ];
    if let Some((id, to)) = change.iter().find_map(|(id, to)| id.map(|i| (i, *to))) {
        let issue = issues
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(|| BadInput(format!("no quality issue {id}")))?;
        transition(issue, to, &args.note, &now).map_err(BadInput)?;
        save(&issues_path, &issues)?;
        println!("issue {id} is now {to:?}");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let assessment = runtime
        .block_on(assess(&store))
        .map_err(|e| BadInput(e.to_string()))?;
    let opened = raise_issues(&mut issues, &assessment, &now);
    save(&issues_path, &issues)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "sources": assessment, "issues": issues })
            )?
        );
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "source",
        "来源",
        "provider",
        "rows",
        "completeness",
        "validity",
        "uniqueness",
        "timeliness",
        "consistency",
        "score",
    ]);
    for q in &assessment {
        let zh = xinrong_sources::source(&q.source).map_or("", |s| s.zh);
        let pct = |x: f64| format!("{:.2}%", 100.0 * x);
        table.add_row(vec![
            q.source.clone(),
            zh.to_string(),
            q.provider.clone(),
            q.rows.to_string(),
            pct(q.completeness),
            pct(q.validity),
            pct(q.uniqueness),
            pct(q.timeliness),
            pct(q.consistency),
            format!("{:.1}", q.score),
        ]);
    }
    println!("{table}");
    let live: Vec<&QualityIssue> = issues
        .iter()
        .filter(|i| matches!(i.status, IssueStatus::Open | IssueStatus::Notified))
        .collect();
    if live.is_empty() {
        println!("no open quality issues");
    } else {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "issue", "source", "provider", "check", "value", "status",
        ]);
        for i in live {
            let new = if opened.contains(&i.id) { " (new)" } else { "" };
            t.add_row(vec![
                i.id.to_string(),
                i.source.clone(),
                i.provider.clone(),
                i.check.clone(),
                format!("{:.4}", i.value),
                format!("{:?}{new}", i.status),
            ]);
        }
        println!("{t}\nmove an issue on with --notify ID, --fixed ID or --accept ID --note REASON");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_reads_the_issues_this_command_writes() {
        let dir = tempfile::tempdir().unwrap();
        let issue = |id, status, check: &str| QualityIssue {
            id,
            source: "tax".into(),
            provider: "tax_bureau".into(),
            check: check.into(),
            value: 0.71,
            status,
            history: vec!["2026-12-01T00:00:00Z open".into()],
        };
        save(
            &dir.path().join("quality_issues.json"),
            &[
                issue(1, IssueStatus::Fixed, "timeliness"),
                issue(2, IssueStatus::Notified, "completeness"),
            ],
        )
        .unwrap();
        let read = xinrong_platform::ingest_view::read_quality_issues(dir.path()).unwrap();
        let seen: Vec<(u32, &str, &str)> = read
            .iter()
            .map(|i| (i.id, i.status.as_str(), i.check.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![(2, "notified", "completeness"), (1, "fixed", "timeliness")],
            "open ones first, in the words the console translates"
        );
    }
}
