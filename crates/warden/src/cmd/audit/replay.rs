//! `warden audit replay`: every recorded policy decision decided again from
//! its recorded facts, under the policy version that made it (archived in
//! the data directory) or under a candidate set, listing what would change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::json;
use warden_audit::Record;
use warden_gateway::Config;
use warden_policy::{EvalLimits, PolicySet, PolicyVersion};

use super::{Progress, log_path};
use crate::cli::ReplayArgs;

/// Where the policy sets come from.
enum Sets {
    /// One candidate set for every decision.
    Candidate(Box<PolicySet>),
    /// Each decision's own version, from the archive; loaded once each.
    Archived {
        dir: PathBuf,
        limits: EvalLimits,
        loaded: HashMap<String, Result<PolicySet, String>>,
    },
}

pub(crate) fn replay(args: &ReplayArgs) -> anyhow::Result<()> {
    let config = match &args.log.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    let mut sets = match &args.policies {
        Some(dir) => Sets::Candidate(Box::new(
            PolicySet::load_dir(dir, config.policy)
                .with_context(|| format!("candidate policies `{}`", dir.display()))?,
        )),
        None => Sets::Archived {
            dir: config.gateway.data_dir.join("policy-versions"),
            limits: config.policy,
            loaded: HashMap::new(),
        },
    };

    let path = log_path(&args.log)?;
    let mut progress = Progress::new("replayed");
    let (mut decided, mut changed, mut bytes) = (0u64, 0u64, 0u64);
    for record in warden_audit::read(&path)? {
        let record = record?;
        bytes += 200;
        progress.tick(record.seq, bytes);
        let Some(recorded) = record.decision.as_ref().filter(|d| !d.facts.is_empty()) else {
            continue;
        };

        decided += 1;
        let set = sets.for_version(&recorded.policy_version)?;
        let now = set
            .decide_facts(&recorded.facts)
            .with_context(|| format!("seq {}: the recorded facts do not parse", record.seq))?;
        let effect = now.effect.kind();
        if effect != recorded.effect || now.rule != recorded.rule {
            changed += 1;
            print_change(&record, effect, now.rule.as_deref(), &now.reason, args.json);
        }
    }
    progress.done();

    eprintln!("{decided} decisions replayed, {changed} would change");
    if changed > 0 {
        bail!("{changed} of {decided} decisions would change");
    }
    Ok(())
}

impl Sets {
    fn for_version(&mut self, version: &str) -> anyhow::Result<&PolicySet> {
        match self {
            Sets::Candidate(set) => Ok(set),
            Sets::Archived {
                dir,
                limits,
                loaded,
            } => {
                let set = loaded
                    .entry(version.to_owned())
                    .or_insert_with(|| load_archived(dir, version, *limits));
                set.as_ref().map_err(|reason| anyhow::anyhow!("{reason}"))
            }
        }
    }
}

fn load_archived(dir: &Path, version: &str, limits: EvalLimits) -> Result<PolicySet, String> {
    let parsed = PolicyVersion::try_from(version.to_owned())
        .map_err(|error| format!("recorded policy version `{version}`: {error}"))?;
    PolicySet::load_archived(dir, &parsed, limits).map_err(|error| {
        format!("policy version {version}: {error} (replay under a set with --policies DIR)")
    })
}

fn print_change(record: &Record, effect: &str, rule: Option<&str>, reason: &str, json: bool) {
    let recorded = record.decision.as_ref();
    let was_effect = recorded.map_or("", |d| d.effect.as_str());
    let was_rule = recorded.and_then(|d| d.rule.as_deref());
    let tool = record
        .request
        .as_ref()
        .and_then(|request| request.get("tool").or_else(|| request.get("goal")))
        .and_then(|value| value.as_str())
        .unwrap_or("-");

    if json {
        let line = json!({
            "seq": record.seq,
            "kind": record.kind.as_str(),
            "identity": record.identity,
            "task": record.task,
            "subject": tool,
            "recorded": {"effect": was_effect, "rule": was_rule},
            "replayed": {"effect": effect, "rule": rule, "reason": reason},
        });
        println!("{line}");
    } else {
        println!(
            "#{} {} {} {}: {} ({}) -> {} ({}): {}",
            record.seq,
            record.kind.as_str(),
            record.identity.as_deref().unwrap_or("-"),
            tool,
            was_effect,
            was_rule.unwrap_or("no rule"),
            effect,
            rule.unwrap_or("no rule"),
            reason
        );
    }
}
