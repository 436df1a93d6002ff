//! One module per subcommand.

mod bridge;
mod dev;
mod serve;

use crate::cli::{Command, DevCommand};

/// Runs one parsed command.
pub(crate) async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Bridge(args) => bridge::run(args).await,
        Command::Dev(DevCommand::Svid(args)) => dev::svid(args),
        Command::Dev(DevCommand::DemoUpstream(args)) => dev::demo_upstream(args).await,
    }
}
