//! `warden serve`: run the gateway until interrupted.

use std::io::Write;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use warden_gateway::{Config, Gateway};
use warden_identity::dev::DevIssuer;

use crate::cli::ServeArgs;

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    if args.check {
        println!("{config:#?}");
        return Ok(());
    }
    prepare_dev_bundle(&config)?;

    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let gateway = Gateway::start(config, shutdown).await?;

    announce(&gateway).context("cannot write to stdout")?;
    gateway.serve().await?;
    tracing::info!("gateway stopped");
    Ok(())
}

/// Creates the development key and bundle when the configuration trusts
/// them, so that the embedded defaults run on a fresh machine; `warden dev
/// svid` then issues SVIDs this gateway accepts.
fn prepare_dev_bundle(config: &Config) -> anyhow::Result<()> {
    let dir = config.gateway.data_dir.join("dev");
    let dev_bundle = std::path::absolute(DevIssuer::bundle_path(&dir))?;
    let named = config
        .identity
        .jwt_bundle
        .as_deref()
        .map(std::path::absolute);
    if !matches!(named, Some(Ok(named)) if named == dev_bundle) {
        return Ok(());
    }

    DevIssuer::open_or_create(&dir)?;
    tracing::warn!(
        bundle = %dev_bundle.display(),
        "trusting development JWT-SVIDs issued by `warden dev svid`: name a real SPIFFE \
         bundle in [identity] jwt_bundle for production"
    );
    Ok(())
}

/// Prints where the gateway listens, one line per listener, so that scripts
/// and tests can use port 0 and still find it.
fn announce(gateway: &Gateway) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", gateway.mcp_url())?;
    if let Some(admin) = gateway.admin_addr() {
        writeln!(stdout, "admin on http://{admin}")?;
    }
    stdout.flush()
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;

    tracing::info!("shutting down");
    shutdown.cancel();
}
