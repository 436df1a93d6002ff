//! `warden bridge`: stdio for a local MCP client, Streamable HTTP to a gateway.

use warden_gateway::bridge::{self, SvidSource};

use crate::cli::BridgeArgs;

pub(crate) async fn run(args: BridgeArgs) -> anyhow::Result<()> {
    let source = match (args.svid, args.audience) {
        (Some(path), _) => SvidSource::File(path),
        (None, Some(audience)) => SvidSource::workload_api(audience),
        (None, None) => anyhow::bail!("give --svid FILE, or --workload-api with --audience"),
    };
    bridge::run(&args.url, source).await?;
    Ok(())
}
