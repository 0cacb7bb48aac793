//! `xinrong serve`: the platform's HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use xinrong_server::{Limits, ServeOptions};

use crate::BadInput;
use crate::platform_args::StoreArgs;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    net: NetArgs,
    /// Your own indicators (.sql files or directories, as given to `xinrong indicators
    /// --sql`), so that rescoring after an upload recomputes them too.
    #[arg(long = "sql")]
    sql: Vec<PathBuf>,
    /// Do not rescore an enterprise after an upload (its new rows then reach its score at the
    /// next `admin load-indicators`).
    #[arg(long)]
    no_rescore: bool,
}

/// How the server meets the network: TLS and rate limits.
#[derive(Args, Clone, Default)]
pub struct NetArgs {
    /// Serve HTTPS with this PEM certificate chain (with --tls-key). Without it the server
    /// speaks plain HTTP: fine on loopback or behind a TLS-terminating proxy, never across a
    /// network.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A rate limit, repeatable: `'POST /v1/scores=500/1000'` (per institution, requests per
    /// second and burst), `default=…` for other routes, `auth_failures=…` per client address,
    /// `ROUTE=off`; `off` alone turns every limit off.
    #[arg(long = "rate-limit", value_name = "LIMIT")]
    rate_limits: Vec<String>,
}

impl NetArgs {
    /// The server options these flags ask for.
    pub fn options(&self) -> Result<ServeOptions> {
        let mut limits = Limits::default();
        for l in &self.rate_limits {
            if l == "off" {
                limits = Limits::off();
            } else {
                limits
                    .set(l)
                    .map_err(|e| BadInput(format!("--rate-limit {l:?}: {e}")))?;
            }
        }
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                Some(xinrong_server::tls_acceptor(cert, key).map_err(|e| BadInput(e.to_string()))?)
            }
            _ => None,
        };
        Ok(ServeOptions { limits, tls })
    }
}

/// Logs go to stderr as text; `XINRONG_LOG` (e.g. `debug`) sets the level (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("XINRONG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(args: ServeArgs) -> Result<()> {
    init_logging();
    let options = args.net.options()?;
    runtime()?.block_on(async {
        let platform = args.store.open().await?;
        if !args.no_rescore {
            crate::rescore::install(&platform, &args.sql).await?;
        }
        // The portfolio overviews' scores, computed while the server already answers.
        let warming = std::sync::Arc::clone(&platform);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            match warming.warm_portfolio_scores().await {
                Ok(n) => tracing::info!(enterprises = n, ms = started.elapsed().as_millis() as u64, "portfolio scores kept"),
                Err(e) => tracing::warn!(error = %e, "portfolio scores not computed at start; the first overview will"),
            }
        });
        serve(platform, args.listen, options).await
    })
}

/// A multi-threaded runtime on every core.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Serves until SIGINT/SIGTERM, then drains and closes the store.
pub async fn serve(
    platform: std::sync::Arc<xinrong_platform::Platform>,
    listen: SocketAddr,
    options: ServeOptions,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let url = xinrong_server::url(listener.local_addr()?, options.tls.is_some());
    tracing::info!(address = %url, "serving the Xinrong API (OpenAPI at /openapi.json)");
    eprintln!("listening on {url}");
    xinrong_server::serve(
        std::sync::Arc::clone(&platform),
        listener,
        options,
        xinrong_server::shutdown_signal(),
    )
    .await?;
    platform.close().await;
    eprintln!("stopped");
    Ok(())
}
