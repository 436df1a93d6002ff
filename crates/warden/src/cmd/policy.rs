//! `warden policy`: validates a policy directory and runs its test cases,
//! offline, with the same engine and limits the gateway uses.

use std::io::Write as _;

use anyhow::Context as _;
use warden_policy::{EvalLimits, PolicySet, testing};

use crate::cli::PolicyArgs;

/// Validates the set and prints one line: files, rules, checks, version.
pub(crate) fn check(args: &PolicyArgs) -> anyhow::Result<()> {
    let set = PolicySet::load_dir(&args.dir, limits(args)?)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}: {}", args.dir.display(), set.summary()).context("cannot write to stdout")
}

/// Runs every test case and prints the report; fails if any case fails.
pub(crate) fn test(args: &PolicyArgs) -> anyhow::Result<()> {
    let report = testing::run_dir(&args.dir, limits(args)?)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{report}").context("cannot write to stdout")?;

    if !report.is_success() {
        anyhow::bail!(
            "{} of {} policy test cases failed",
            report.failed(),
            report.cases.len()
        );
    }
    Ok(())
}

/// The default limits, with the ones given on the command line.
fn limits(args: &PolicyArgs) -> anyhow::Result<EvalLimits> {
    let defaults = EvalLimits::default();
    let limits = EvalLimits {
        max_facts: args.max_facts.unwrap_or(defaults.max_facts),
        max_iterations: args.max_iterations.unwrap_or(defaults.max_iterations),
        max_time: args.max_time.unwrap_or(defaults.max_time),
    };
    limits.validate()?;
    Ok(limits)
}
