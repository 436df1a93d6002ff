//! `warden dev`: aids for trying Warden locally.

use warden_demo_upstream::{DemoOptions, serve_stdio};

use crate::cli::DemoArgs;

/// Serves the demo upstream over stdio, as a child process of a gateway.
pub(crate) async fn demo_upstream(args: DemoArgs) -> anyhow::Result<()> {
    let options = DemoOptions::default()
        .with_faults(args.faults)
        .with_page_size(args.page_size);
    serve_stdio(options).await
}
