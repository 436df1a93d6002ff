//! `warden dev`: aids for trying Warden locally.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use warden_demo_upstream::{DemoOptions, serve_stdio};
use warden_gateway::Config;
use warden_identity::SpiffeId;
use warden_identity::dev::DevIssuer;

use crate::cli::{DemoArgs, SvidArgs};

/// Serves the demo upstream over stdio, as a child process of a gateway.
pub(crate) async fn demo_upstream(args: DemoArgs) -> anyhow::Result<()> {
    let options = DemoOptions::default()
        .with_faults(args.faults)
        .with_page_size(args.page_size);
    serve_stdio(options).await
}

/// Issues a development JWT-SVID, creating the key and bundle on first use.
pub(crate) fn svid(args: SvidArgs) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    let id: SpiffeId = args
        .id
        .parse()
        .with_context(|| format!("--id `{}`", args.id))?;
    let audience = args
        .audience
        .or(config.identity.audience)
        .context("no audience: give --audience, or set [identity] audience in the configuration")?;
    let dir = config.gateway.data_dir.join("dev");

    let issuer = DevIssuer::open_or_create(&dir)?;
    let token = issuer.issue(&id, &audience, args.ttl)?;

    match &args.out {
        Some(path) => write_private(path, &token)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{token}").context("cannot write to stdout")?;
        }
    }
    tracing::debug!(agent.spiffe_id = %id, bundle = %DevIssuer::bundle_path(&dir).display(),
        "development svid issued");
    Ok(())
}

/// Writes a credential readable by its owner only.
fn write_private(path: &Path, token: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);

    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write svid file `{}`", path.display()))?;
    writeln!(file, "{token}").with_context(|| format!("cannot write `{}`", path.display()))
}
