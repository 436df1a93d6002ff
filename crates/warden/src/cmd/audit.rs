//! `warden audit`: verify, show, export and replay the audit log offline,
//! from a data directory or an exported file.

mod replay;
mod show;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use warden_audit::{AuditKeys, PublicKeys, VerifyError};
use warden_gateway::Config;

use crate::cli::{AuditCommand, LogArgs, VerifyArgs};

/// Runs one `warden audit` subcommand.
pub(crate) fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify(args) => verify(&args),
        AuditCommand::Show(args) => show::show(&args),
        AuditCommand::Export(args) => show::export(&args),
        AuditCommand::Replay(args) => replay::replay(&args),
        AuditCommand::PublicKeys(args) => {
            println!("{}", keys(&args)?.export_public());
            Ok(())
        }
    }
}

fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let path = log_path(&args.log)?;
    let keys = match &args.keys {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read public keys `{}`", file.display()))?;
            PublicKeys::from_json(&text)?
        }
        None => keys(&args.log)?.public_keys(),
    };

    let mut progress = Progress::new("verified");
    let report = warden_audit::verify(&path, &keys, |records, bytes| {
        progress.tick(records, bytes);
    });
    progress.done();
    match report {
        Ok(report) => {
            println!(
                "{}: {} records, {} checkpoints, last seq {}, last hash {}",
                path.display(),
                report.records,
                report.checkpoints,
                report.last_seq,
                report.last_hash
            );
            if report.unsigned_tail > 0 {
                println!(
                    "{} records after the last checkpoint are chained but not yet signed",
                    report.unsigned_tail
                );
            }
            Ok(())
        }
        Err(VerifyError::Damaged(damage)) => bail!("{}: damaged at {damage}", path.display()),
        Err(other) => Err(other.into()),
    }
}

/// The data directory of `--config` (or of the embedded defaults).
fn data_dir(args: &LogArgs) -> anyhow::Result<PathBuf> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    Ok(config.gateway.data_dir.join("audit"))
}

/// The log file: `--log`, or the one in the data directory.
pub(crate) fn log_path(args: &LogArgs) -> anyhow::Result<PathBuf> {
    let path = match &args.log {
        Some(path) => path.clone(),
        None => data_dir(args)?.join(warden_audit::LOG_FILE),
    };
    if !path.is_file() {
        bail!(
            "no audit log at `{}`: give --config of the gateway that wrote it, or --log FILE",
            path.display()
        );
    }
    Ok(path)
}

fn keys(args: &LogArgs) -> anyhow::Result<AuditKeys> {
    let dir = data_dir(args)?.join(warden_audit::KEYS_DIR);
    AuditKeys::open(&dir).with_context(|| {
        format!(
            "cannot open the audit keys in `{}` (pass --keys FILE from \
             `warden audit public-keys` to verify elsewhere)",
            dir.display()
        )
    })
}

/// A progress line on stderr, at most once a second, for long runs.
pub(crate) struct Progress {
    verb: &'static str,
    started: Instant,
    last: Instant,
    shown: bool,
}

impl Progress {
    pub(crate) fn new(verb: &'static str) -> Self {
        let now = Instant::now();
        Self {
            verb,
            started: now,
            last: now,
            shown: false,
        }
    }

    pub(crate) fn tick(&mut self, records: u64, bytes: u64) {
        if self.last.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = records as f64 / seconds;
        eprint!(
            "\r{} {records} records ({:.1} MiB, {rate:.0}/s)",
            self.verb,
            bytes as f64 / 1_048_576.0
        );
        let _ = std::io::stderr().flush();
    }

    pub(crate) fn done(&self) {
        if self.shown {
            eprintln!();
        }
    }
}
