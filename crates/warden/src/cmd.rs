//! One module per subcommand.

mod audit;
mod bridge;
mod dev;
mod keys;
mod policy;
mod serve;
mod task;

use crate::cli::{Command, DevCommand, PolicyCommand, TokenCommand};

/// Runs one parsed command.
pub(crate) async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Bridge(args) => bridge::run(args).await,
        Command::Keys(command) => keys::run(command),
        Command::Task(args) => task::run(args).await,
        Command::Audit(command) => audit::run(command),
        Command::Token(TokenCommand::Inspect(args)) => keys::inspect(args),
        Command::Policy(PolicyCommand::Check(args)) => policy::check(&args),
        Command::Policy(PolicyCommand::Test(args)) => policy::test(&args),
        Command::Dev(DevCommand::Svid(args)) => dev::svid(args),
        Command::Dev(DevCommand::DemoUpstream(args)) => dev::demo_upstream(args).await,
    }
}
