//! What a policy is asked about: one request, stated as facts.

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, SystemTime};

use biscuit_auth::builder::Term;
use serde::{Deserialize, Serialize};

use crate::facts::{FactList, date};

/// The kind of request a policy decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// An agent declares a task: a goal, the tools it needs, a TTL.
    RequestTask,
    /// An agent calls an upstream tool.
    CallTool,
    /// An agent fetches an upstream prompt.
    GetPrompt,
    /// An agent reads an upstream resource.
    ReadResource,
}

impl Operation {
    /// The operation as policies see it: `operation("call_tool")`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestTask => "request_task",
            Self::CallTool => "call_tool",
            Self::GetPrompt => "get_prompt",
            Self::ReadResource => "read_resource",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scalar argument of a call, as policies see it in `arg($name, $value)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArgValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl ArgValue {
    fn to_term(&self) -> Term {
        match self {
            Self::Str(text) => Term::Str(text.clone()),
            Self::Int(value) => Term::Integer(*value),
            Self::Bool(value) => Term::Bool(*value),
        }
    }
}

/// Turns a call's JSON arguments into the scalars policies see.
///
/// Strings, booleans and integers keep their type. A number that is no `i64`
/// (a fraction, or an integer past `i64::MAX`) becomes its decimal text, so a
/// rule comparing it as a number fails and denies rather than silently passing.
/// Nulls, arrays and objects are skipped: no `arg` fact names them.
pub fn args_from_json(
    args: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(String, ArgValue)> {
    use serde_json::Value;

    args.iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::String(text) => ArgValue::Str(text.clone()),
                Value::Bool(flag) => ArgValue::Bool(*flag),
                Value::Number(number) => match number.as_i64() {
                    Some(integer) => ArgValue::Int(integer),
                    None => ArgValue::Str(number.to_string()),
                },
                Value::Null | Value::Array(_) | Value::Object(_) => return None,
            };
            Some((name.clone(), value))
        })
        .collect()
}

/// One request, as the gateway knows it, for a policy to decide.
///
/// Every field becomes a request fact; fields that are empty or `None` add no
/// fact, so a rule that reads them does not match.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRequest {
    /// What is asked: `operation($op)`.
    pub operation: Operation,
    /// The verified SPIFFE ID: `identity($id)`, and `trust_domain($td)` from it.
    pub identity: String,
    /// When the request arrived: `time($t)`, in whole seconds.
    pub time: SystemTime,
    /// The upstream the request goes to: `upstream($u)`.
    pub upstream: Option<String>,
    /// The exported tool name (`demo.get_ticket`): `tool($t)`.
    pub tool: Option<String>,
    /// The call's scalar arguments: `arg($name, $value)`.
    pub args: Vec<(String, ArgValue)>,
    /// The hints of `tool` (`read_only`, `destructive`, `idempotent`, `open_world`):
    /// `annotation($tool, $hint)` and `annotations($tool, $hints)`.
    pub annotations: Vec<String>,
    /// A task's declared goal: `goal($text)`.
    pub goal: Option<String>,
    /// The tools a task asks for: `requested_tool($t)`.
    pub requested_tools: Vec<String>,
    /// The hints of requested tools, by tool; a requested tool missing here has
    /// no hints, which policies treat as neither read-only nor idempotent.
    pub requested_annotations: Vec<(String, Vec<String>)>,
    /// A task's requested lifetime: `ttl($seconds)`.
    pub ttl: Option<Duration>,
    /// Calls made so far in the task: `calls_made($n)`.
    pub calls_made: Option<u64>,
}

impl PolicyRequest {
    /// A request with only the facts every request has; the rest is added by
    /// setting fields.
    pub fn new(operation: Operation, identity: impl Into<String>, time: SystemTime) -> Self {
        Self {
            operation,
            identity: identity.into(),
            time,
            upstream: None,
            tool: None,
            args: Vec::new(),
            annotations: Vec::new(),
            goal: None,
            requested_tools: Vec::new(),
            requested_annotations: Vec::new(),
            ttl: None,
            calls_made: None,
        }
    }

    /// The request facts as Datalog source, as a decision records them.
    pub fn facts(&self) -> Vec<String> {
        self.fact_list().text
    }

    /// The request facts, for the engine and as text.
    pub(crate) fn fact_list(&self) -> FactList {
        let mut list = FactList::default();
        list.push("operation", vec![string(self.operation.as_str())]);
        list.push("identity", vec![string(&self.identity)]);
        if let Some(domain) = trust_domain(&self.identity) {
            list.push("trust_domain", vec![string(domain)]);
        }
        list.push("time", vec![date(self.time)]);
        if let Some(upstream) = &self.upstream {
            list.push("upstream", vec![string(upstream)]);
        }

        if let Some(tool) = &self.tool {
            list.push("tool", vec![string(tool)]);
            push_hints(&mut list, tool, &self.annotations);
        }
        for (name, value) in &self.args {
            list.push("arg", vec![string(name), value.to_term()]);
        }

        self.push_task_facts(&mut list);
        if let Some(calls) = self.calls_made {
            list.push("calls_made", vec![saturating_int(calls)]);
        }
        list
    }

    /// Adds the facts of a task request: goal, requested tools and their hints, TTL.
    fn push_task_facts(&self, list: &mut FactList) {
        if let Some(goal) = &self.goal {
            list.push("goal", vec![string(goal)]);
        }
        for tool in &self.requested_tools {
            list.push("requested_tool", vec![string(tool)]);
            if self.tool.as_ref() == Some(tool) {
                continue;
            }
            let hints = self
                .requested_annotations
                .iter()
                .find(|(name, _)| name == tool)
                .map_or(&[][..], |(_, hints)| hints.as_slice());
            push_hints(list, tool, hints);
        }
        if let Some(ttl) = self.ttl {
            list.push("ttl", vec![saturating_int(ttl.as_secs())]);
        }
    }
}

/// Adds `annotation($tool, $hint)` per hint and `annotations($tool, $hints)`.
fn push_hints(list: &mut FactList, tool: &str, hints: &[String]) {
    let unique: BTreeSet<&String> = hints.iter().collect();
    for hint in &unique {
        list.push("annotation", vec![string(tool), string(hint)]);
    }
    let set = unique.into_iter().map(|hint| string(hint)).collect();
    list.push("annotations", vec![string(tool), Term::Set(set)]);
}

/// The trust domain of a SPIFFE ID, if the identity is one.
pub(crate) fn trust_domain(identity: &str) -> Option<&str> {
    let rest = identity.strip_prefix("spiffe://")?;
    let domain = rest.split('/').next().unwrap_or("");
    (!domain.is_empty()).then_some(domain)
}

fn string(text: &str) -> Term {
    Term::Str(text.to_owned())
}

fn saturating_int(value: u64) -> Term {
    Term::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_arguments_keep_scalars_and_skip_the_rest() {
        let json = serde_json::json!({
            "q": "vpn", "n": 3, "f": true, "x": 1.5, "big": u64::MAX, "o": {"a": 1}, "z": null
        });
        let map = json.as_object().cloned().unwrap_or_default();
        let mut args = args_from_json(&map);
        args.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            args,
            vec![
                ("big".to_owned(), ArgValue::Str(u64::MAX.to_string())),
                ("f".to_owned(), ArgValue::Bool(true)),
                ("n".to_owned(), ArgValue::Int(3)),
                ("q".to_owned(), ArgValue::Str("vpn".to_owned())),
                ("x".to_owned(), ArgValue::Str("1.5".to_owned())),
            ]
        );
    }

    #[test]
    fn trust_domains_come_from_spiffe_ids_only() {
        assert_eq!(
            trust_domain("spiffe://example.org/agent/a"),
            Some("example.org")
        );
        assert_eq!(trust_domain("spiffe://example.org"), Some("example.org"));
        assert_eq!(trust_domain("spiffe:///agent"), None);
        assert_eq!(trust_domain("https://example.org/agent"), None);
    }

    #[test]
    fn a_call_states_its_tool_hints_and_arguments_as_facts() {
        let mut request = PolicyRequest::new(
            Operation::CallTool,
            "spiffe://example.org/agent/demo",
            SystemTime::UNIX_EPOCH,
        );
        request.tool = Some("demo.get_ticket".into());
        request.upstream = Some("demo".into());
        request.annotations = vec!["read_only".into(), "idempotent".into()];
        request.args = vec![("id".into(), ArgValue::Int(1))];
        assert_eq!(
            request.facts(),
            [
                "operation(\"call_tool\")",
                "identity(\"spiffe://example.org/agent/demo\")",
                "trust_domain(\"example.org\")",
                "time(1970-01-01T00:00:00Z)",
                "upstream(\"demo\")",
                "tool(\"demo.get_ticket\")",
                "annotation(\"demo.get_ticket\", \"idempotent\")",
                "annotation(\"demo.get_ticket\", \"read_only\")",
                "annotations(\"demo.get_ticket\", {\"idempotent\", \"read_only\"})",
                "arg(\"id\", 1)",
            ]
        );
    }
}
