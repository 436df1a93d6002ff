//! `warden keys` and `warden token`: the root keys that sign capabilities,
//! and reading the tokens they sign.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use warden_capability::{KeyRing, inspect as inspect_token};
use warden_gateway::Config;

use crate::cli::{DataDirArgs, InspectArgs, KeysCommand};

/// Runs one `warden keys` subcommand.
pub(crate) fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Init(args) => {
            let dir = keys_dir(&args)?;
            let ring = KeyRing::init(&dir)?;
            say(&format!(
                "created key ring {} with active key {}",
                dir.display(),
                ring.active().kid
            ))
        }
        KeysCommand::Rotate(args) => {
            let dir = keys_dir(&args)?;
            let mut ring = KeyRing::open(&dir)?;
            let retired = ring.active().kid.clone();
            let active = ring.rotate()?.kid.clone();
            say(&format!(
                "key {active} is now active; {retired} is retired and still verifies the \
                 tokens it signed"
            ))
        }
        KeysCommand::Export(args) => {
            let ring = KeyRing::open(&keys_dir(&args)?)?;
            say(&ring.export_public())
        }
    }
}

/// Prints a token's blocks; checks its signature when the key ring exists.
pub(crate) fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let token = read_token(&args.file)?;
    let dir = keys_dir(&args.data)?;
    let ring = if dir.exists() {
        Some(KeyRing::open(&dir)?)
    } else {
        None
    };

    let inspection = inspect_token(&token, ring.as_ref())?;
    if args.json {
        say(&serde_json::to_string_pretty(&inspection)?)
    } else {
        say(inspection.to_string().trim_end())
    }
}

fn keys_dir(args: &DataDirArgs) -> anyhow::Result<PathBuf> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    Ok(config.gateway.data_dir.join("keys"))
}

fn read_token(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == std::path::Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read the token from stdin")?;
    } else {
        bytes = std::fs::read(file)
            .with_context(|| format!("cannot read token file `{}`", file.display()))?;
    }
    Ok(bytes)
}

fn say(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").context("cannot write to stdout")
}
