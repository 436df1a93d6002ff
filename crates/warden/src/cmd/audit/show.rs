//! `warden audit show` and `warden audit export`: the records that match a
//! query, as a timeline or as JSON lines.

use std::io::Write as _;
use std::time::SystemTime;

use anyhow::Context as _;
use warden_audit::{Filter, Record};

use super::{Progress, log_path};
use crate::cli::{ExportArgs, QueryArgs};

pub(crate) fn show(args: &QueryArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut shown = 0u64;
    for record in records(args)? {
        let record = record?;
        let line = if args.json {
            serde_json::to_string(&record)?
        } else {
            timeline_line(&record)
        };
        writeln!(out, "{line}")?;
        shown += 1;
    }
    if shown == 0 && !args.json {
        writeln!(out, "no records match")?;
    }
    Ok(())
}

pub(crate) fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let mut out: Box<dyn std::io::Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };

    let mut progress = Progress::new("exported");
    let mut count = 0u64;
    let mut bytes = 0u64;
    for record in records(&args.query)? {
        let line = serde_json::to_string(&record?)?;
        writeln!(out, "{line}")?;
        count += 1;
        bytes += line.len() as u64 + 1;
        progress.tick(count, bytes);
    }
    out.flush()?;
    progress.done();
    Ok(())
}

fn records(
    args: &QueryArgs,
) -> anyhow::Result<impl Iterator<Item = Result<Record, warden_audit::AuditError>> + use<>> {
    let since = args
        .since
        .as_deref()
        .map(|text| warden_audit::parse_since(text, SystemTime::now()))
        .transpose()
        .map_err(|reason| anyhow::anyhow!("--since {reason}"))?;
    let filter = Filter {
        task: args.task.clone(),
        identity: args.identity.clone(),
        since,
        kind: None,
    };
    Ok(warden_audit::read_filtered(&log_path(&args.log)?, filter)?)
}

/// One readable line: when, what, who, under which task, and the gist.
fn timeline_line(record: &Record) -> String {
    let time = humantime::format_rfc3339_seconds(record.time);
    let who = record.identity.as_deref().unwrap_or("-");
    let task = record.task.as_deref().unwrap_or("-");
    let mut gist = Vec::new();

    if let Some(request) = &record.request {
        for key in ["tool", "goal", "upstream", "version"] {
            if let Some(value) = request.get(key).and_then(|v| v.as_str()) {
                gist.push(format!("{key}={value}"));
                break;
            }
        }
    }
    if let Some(decision) = &record.decision {
        let rule = decision.rule.as_deref().map(|rule| format!(" ({rule})"));
        gist.push(format!("{}{}", decision.effect, rule.unwrap_or_default()));
        if decision.effect != "allow" && !decision.reason.is_empty() {
            gist.push(format!("\"{}\"", decision.reason));
        }
    }
    if let Some(outcome) = &record.outcome {
        gist.push(format!(
            "{} in {} µs, {} bytes",
            outcome.status, outcome.duration_us, outcome.bytes
        ));
    }
    if let Some(checkpoint) = &record.checkpoint {
        gist.push(format!(
            "covers seq {} (key {})",
            checkpoint.covers, checkpoint.key_id
        ));
    }

    format!(
        "{time} #{seq} {kind} {who} task={task} {gist}",
        seq = record.seq,
        kind = record.kind.as_str(),
        gist = gist.join(" "),
    )
}
