//! `xinrong serve`: the platform's HTTP API.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::Args;

use crate::platform_args::StoreArgs;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
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
    runtime()?.block_on(async {
        let platform = args.store.open().await?;
        serve(platform, args.listen).await
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
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "serving the Xinrong API (OpenAPI at /openapi.json)");
    eprintln!("listening on http://{}", listener.local_addr()?);
    xinrong_server::serve(
        std::sync::Arc::clone(&platform),
        listener,
        xinrong_server::shutdown_signal(),
    )
    .await?;
    platform.close().await;
    eprintln!("stopped");
    Ok(())
}
