//! One test file: its tool catalogue and its cases, read from TOML into
//! requests and the decisions they must get.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use toml::Spanned;

use super::report::CaseResult;
use crate::{
    ArgValue, Decision, Effect, Location, Operation, PolicyError, PolicyRequest, PolicySet,
};

/// The hints a tool may carry, from MCP's tool annotations.
const HINTS: &[&str] = &["read_only", "destructive", "idempotent", "open_world"];

/// The time of a case that names none: fixed, so that cases never drift.
const DEFAULT_TIME: &str = "2026-01-01T00:00:00Z";

/// A test file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// Hints by exported tool name, shared by every case of the file.
    #[serde(default)]
    tools: BTreeMap<String, Vec<String>>,
    /// The cases.
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<CaseSpec>>,
}

/// One `[[case]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    operation: Operation,
    identity: String,
    time: Option<String>,
    upstream: Option<String>,
    tool: Option<String>,
    annotations: Option<Vec<String>>,
    #[serde(default)]
    args: BTreeMap<String, toml::Value>,
    goal: Option<String>,
    #[serde(default)]
    requested_tools: Vec<String>,
    ttl: Option<String>,
    calls_made: Option<u64>,
    expect: ExpectedEffect,
    rule: Option<String>,
    reason: Option<String>,
    role: Option<String>,
}

/// The effect a case expects, as written in `expect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedEffect {
    /// `expect = "allow"`.
    Allow,
    /// `expect = "deny"`.
    Deny,
    /// `expect = "approval"`.
    Approval,
}

/// The decision a case expects; parts left out are not compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Allow, deny or approval.
    pub effect: ExpectedEffect,
    /// The deciding rule.
    pub rule: Option<String>,
    /// The exact reason.
    pub reason: Option<String>,
    /// The approver role.
    pub role: Option<String>,
}

/// A case ready to run.
#[derive(Debug)]
pub(crate) struct Case {
    name: String,
    at: Location,
    request: PolicyRequest,
    expected: Expected,
}

/// Parses a test file named `file`.
pub(crate) fn parse_file(file: &str, text: &str) -> Result<Vec<Case>, PolicyError> {
    let parsed: CaseFile = toml::from_str(text).map_err(|error| PolicyError::TestFile {
        at: Location::at_offset(file, text, error.span().map_or(0, |span| span.start)),
        message: error.message().trim().to_owned(),
    })?;
    for (tool, hints) in &parsed.tools {
        check_hints(hints).map_err(|message| PolicyError::TestFile {
            at: Location::at_offset(file, text, 0),
            message: format!("[tools] `{tool}`: {message}"),
        })?;
    }

    parsed
        .cases
        .into_iter()
        .map(|spanned| {
            let at = Location::at_offset(file, text, spanned.span().start);
            let spec = spanned.into_inner();
            let name = spec.name.clone();
            build_case(spec, &parsed.tools, at.clone()).map_err(|message| PolicyError::TestFile {
                at,
                message: format!("case `{name}`: {message}"),
            })
        })
        .collect()
}

/// Turns one case as written into a request and an expectation.
fn build_case(
    spec: CaseSpec,
    tools: &BTreeMap<String, Vec<String>>,
    at: Location,
) -> Result<Case, String> {
    let time = parse_time(spec.time.as_deref().unwrap_or(DEFAULT_TIME))?;
    let mut request = PolicyRequest::new(spec.operation, spec.identity, time);
    request.upstream = spec.upstream.or_else(|| upstream_of(spec.tool.as_deref()));
    request.annotations = match (&spec.annotations, &spec.tool) {
        (Some(hints), _) => hints.clone(),
        (None, Some(tool)) => tools.get(tool).cloned().unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    check_hints(&request.annotations)?;
    request.tool = spec.tool;
    request.args = spec
        .args
        .into_iter()
        .map(|(name, value)| arg_value(&name, value).map(|value| (name, value)))
        .collect::<Result<_, _>>()?;

    request.goal = spec.goal;
    request.requested_annotations = spec
        .requested_tools
        .iter()
        .filter_map(|tool| tools.get(tool).map(|hints| (tool.clone(), hints.clone())))
        .collect();
    request.requested_tools = spec.requested_tools;
    request.ttl = spec.ttl.as_deref().map(parse_ttl).transpose()?;
    request.calls_made = spec.calls_made;

    if spec.role.is_some() && spec.expect != ExpectedEffect::Approval {
        return Err("`role` is compared only when `expect = \"approval\"`".to_owned());
    }
    let expected = Expected {
        effect: spec.expect,
        rule: spec.rule,
        reason: spec.reason,
        role: spec.role,
    };
    Ok(Case {
        name: spec.name,
        at,
        request,
        expected,
    })
}

impl Case {
    /// Decides the case's request and compares the decision with the expectation.
    pub(crate) fn run(self, set: &PolicySet) -> CaseResult {
        let got = set.decide(&self.request);
        let mismatches = self.expected.mismatches(&got);
        CaseResult {
            name: self.name,
            at: self.at,
            expected: self.expected,
            pass: mismatches.is_empty(),
            mismatches,
            got,
        }
    }
}

impl Expected {
    /// Each way `got` differs from what is expected, in words.
    pub fn mismatches(&self, got: &Decision) -> Vec<String> {
        let mut found = Vec::new();
        let got_kind = got.effect.kind();
        if got_kind != self.effect.as_str() {
            found.push(format!(
                "effect: expected {}, got {got_kind}",
                self.effect.as_str()
            ));
        }
        if let Some(rule) = &self.rule
            && got.rule.as_ref() != Some(rule)
        {
            let actual = got
                .rule
                .as_deref()
                .map_or("none".to_owned(), |r| format!("`{r}`"));
            found.push(format!("rule: expected `{rule}`, got {actual}"));
        }
        if let Some(reason) = &self.reason
            && &got.reason != reason
        {
            found.push(format!(
                "reason: expected \"{reason}\", got \"{}\"",
                got.reason
            ));
        }
        if let (Some(role), Effect::ApprovalRequired { role: actual }) = (&self.role, &got.effect)
            && role != actual
        {
            found.push(format!("role: expected `{role}`, got `{actual}`"));
        }
        found
    }
}

impl ExpectedEffect {
    /// `allow`, `deny` or `approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Approval => "approval",
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.effect.as_str())?;
        if let Some(role) = &self.role {
            write!(f, " by `{role}`")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, " by rule `{rule}`")?;
        }
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

/// Refuses hints MCP does not define, which would make a case test nothing.
fn check_hints(hints: &[String]) -> Result<(), String> {
    match hints.iter().find(|hint| !HINTS.contains(&hint.as_str())) {
        Some(hint) => Err(format!(
            "unknown hint `{hint}`; hints are {}",
            HINTS.join(", ")
        )),
        None => Ok(()),
    }
}

/// The upstream of an exported tool name: the part before the first dot.
fn upstream_of(tool: Option<&str>) -> Option<String> {
    let (upstream, _) = tool?.split_once('.')?;
    Some(upstream.to_owned())
}

fn parse_time(text: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339(text)
        .map_err(|_| format!("time `{text}` is not an RFC 3339 time such as {DEFAULT_TIME}"))
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|_| format!("ttl `{text}` is not a duration such as 30m"))
}

fn arg_value(name: &str, value: toml::Value) -> Result<ArgValue, String> {
    match value {
        toml::Value::String(text) => Ok(ArgValue::Str(text)),
        toml::Value::Integer(number) => Ok(ArgValue::Int(number)),
        toml::Value::Boolean(flag) => Ok(ArgValue::Bool(flag)),
        _ => Err(format!(
            "argument `{name}` must be a string, an integer or a boolean (policies see scalars)"
        )),
    }
}
