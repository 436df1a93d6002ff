//! A task request as an agent (over MCP) or a pipeline (over the admin API)
//! states it, parsed and checked against the configured limits.

use std::time::Duration;

use serde_json::{Map, Value};
use warden_capability::{ArgConstraint, ToolPattern};

use super::TaskRefusal;
use crate::config::TasksConfig;

/// What a task asks for, validated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TaskRequest {
    pub(crate) goal: String,
    /// Exact tool names and `upstream.*` patterns, as asked.
    pub(crate) tools: Vec<ToolPattern>,
    pub(crate) constraints: Vec<ArgConstraint>,
    pub(crate) ttl: Duration,
    pub(crate) budget: Option<u64>,
}

/// The longest goal kept: a goal is a sentence or two, not a document.
const MAX_GOAL_CHARS: usize = 2000;

/// The most tools and constraints one task may name.
const MAX_ITEMS: usize = 100;

impl TaskRequest {
    /// Parses the arguments of `warden_request_task` (or the body of
    /// `POST /v1/tasks`): `goal`, `tools`, and optionally `constraints`,
    /// `ttl` (`"15m"` or seconds) and `budget`. Unknown keys are refused, so
    /// that a misspelt `constraints` never silently grants more.
    pub(crate) fn from_json(
        args: &Map<String, Value>,
        limits: &TasksConfig,
        extra_keys: &[&str],
    ) -> Result<Self, TaskRefusal> {
        const KEYS: [&str; 5] = ["goal", "tools", "constraints", "ttl", "budget"];
        if let Some(key) = args
            .keys()
            .find(|key| !KEYS.contains(&key.as_str()) && !extra_keys.contains(&key.as_str()))
        {
            return Err(invalid(format!(
                "unknown field `{key}`: the fields are {}",
                KEYS.join(", ")
            )));
        }

        Ok(Self {
            goal: goal(args.get("goal"))?,
            tools: tools(args.get("tools"))?,
            constraints: constraints(args.get("constraints"))?,
            ttl: ttl(args.get("ttl"), limits)?,
            budget: budget(args.get("budget"), limits)?,
        })
    }
}

fn goal(value: Option<&Value>) -> Result<String, TaskRefusal> {
    let Some(Value::String(goal)) = value else {
        return Err(invalid(
            "`goal` is required: a string saying what the task is for",
        ));
    };

    let goal = goal.trim();
    if goal.is_empty() {
        return Err(invalid("`goal` is empty: say what the task is for"));
    }
    if goal.chars().count() > MAX_GOAL_CHARS {
        return Err(invalid(format!(
            "`goal` is longer than {MAX_GOAL_CHARS} characters: summarize it"
        )));
    }
    Ok(goal.to_owned())
}

fn tools(value: Option<&Value>) -> Result<Vec<ToolPattern>, TaskRefusal> {
    let Some(Value::Array(items)) = value else {
        return Err(invalid(
            "`tools` is required: a list of tool names such as [\"demo.get_ticket\"] or \
             [\"demo.*\"]",
        ));
    };
    if items.is_empty() {
        return Err(invalid("`tools` is empty: name at least one tool"));
    }
    if items.len() > MAX_ITEMS {
        return Err(invalid(format!(
            "`tools` names more than {MAX_ITEMS} tools"
        )));
    }

    let mut patterns = Vec::new();
    for item in items {
        let Value::String(text) = item else {
            return Err(invalid(format!(
                "`tools` holds {item}, which is not a tool name"
            )));
        };
        let pattern = ToolPattern::parse(text).map_err(|error| invalid(error.to_string()))?;
        if !patterns.contains(&pattern) {
            patterns.push(pattern);
        }
    }
    Ok(patterns)
}

fn constraints(value: Option<&Value>) -> Result<Vec<ArgConstraint>, TaskRefusal> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(invalid(format!(
                "`constraints` must be a list of constraints, not {other}"
            )));
        }
    };
    if items.len() > MAX_ITEMS {
        return Err(invalid(format!(
            "`constraints` holds more than {MAX_ITEMS} constraints"
        )));
    }

    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            ArgConstraint::from_json(item)
                .map_err(|error| invalid(format!("constraints[{index}]: {error}")))
        })
        .collect()
}

fn ttl(value: Option<&Value>, limits: &TasksConfig) -> Result<Duration, TaskRefusal> {
    let ttl = match value {
        None | Some(Value::Null) => return Ok(limits.default_ttl),
        Some(Value::String(text)) => humantime::parse_duration(text.trim()).map_err(|error| {
            invalid(format!(
                "`ttl` `{text}` is not a duration ({error}): write it like \"15m\" or \"1h\""
            ))
        })?,
        Some(Value::Number(number)) => match number.as_u64() {
            Some(seconds) => Duration::from_secs(seconds),
            None => {
                return Err(invalid(format!(
                    "`ttl` {number} is not a whole number of seconds"
                )));
            }
        },
        Some(other) => {
            return Err(invalid(format!(
                "`ttl` must be a duration such as \"15m\" or a number of seconds, not {other}"
            )));
        }
    };

    if ttl < Duration::from_secs(1) {
        return Err(invalid("`ttl` must be at least one second"));
    }
    if ttl > limits.max_ttl {
        return Err(invalid(format!(
            "`ttl` {} is above this gateway's maximum of {}: ask for {} or less",
            humantime::format_duration(ttl),
            humantime::format_duration(limits.max_ttl),
            humantime::format_duration(limits.max_ttl),
        )));
    }
    Ok(ttl)
}

fn budget(value: Option<&Value>, limits: &TasksConfig) -> Result<Option<u64>, TaskRefusal> {
    let budget = match value {
        None | Some(Value::Null) => return Ok(limits.max_budget),
        Some(value) => value.as_u64().filter(|budget| *budget > 0).ok_or_else(|| {
            invalid(format!(
                "`budget` {value} is not a whole number of calls of at least 1"
            ))
        })?,
    };

    if let Some(max) = limits.max_budget
        && budget > max
    {
        return Err(invalid(format!(
            "`budget` {budget} is above this gateway's maximum of {max} calls"
        )));
    }
    Ok(Some(budget))
}

fn invalid(message: impl Into<String>) -> TaskRefusal {
    TaskRefusal::InvalidRequest(message.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<TaskRequest, String> {
        let Value::Object(args) = value else {
            panic!("test arguments are an object");
        };
        TaskRequest::from_json(&args, &TasksConfig::default(), &[]).map_err(|e| e.to_string())
    }

    #[test]
    fn a_minimal_request_takes_the_default_ttl() {
        let request = parse(json!({"goal": " triage ", "tools": ["demo.*", "fs.read"]})).unwrap();

        assert_eq!(request.goal, "triage");
        assert_eq!(request.tools.len(), 2);
        assert_eq!(request.ttl, TasksConfig::default().default_ttl);
        assert_eq!(request.budget, None);
    }

    #[test]
    fn ttl_reads_durations_and_seconds_and_refuses_more_than_the_maximum() {
        let text = parse(json!({"goal": "g", "tools": ["a.b"], "ttl": "90s"})).unwrap();
        let seconds = parse(json!({"goal": "g", "tools": ["a.b"], "ttl": 90})).unwrap();
        let long = parse(json!({"goal": "g", "tools": ["a.b"], "ttl": "9h"})).unwrap_err();

        assert_eq!(text.ttl, Duration::from_secs(90));
        assert_eq!(seconds.ttl, Duration::from_secs(90));
        assert!(
            long.contains("above this gateway's maximum of 8h"),
            "{long}"
        );
    }

    #[test]
    fn malformed_parts_are_named() {
        let cases = [
            (json!({"tools": ["a.b"]}), "`goal` is required"),
            (json!({"goal": "g", "tools": []}), "`tools` is empty"),
            (json!({"goal": "g", "tools": ["a*"]}), "tool pattern `a*`"),
            (
                json!({"goal": "g", "tools": ["a.b"], "constraints": [{"kind": "prefix"}]}),
                "constraints[0]",
            ),
            (
                json!({"goal": "g", "tools": ["a.b"], "budget": 0}),
                "`budget` 0 is not",
            ),
            (
                json!({"goal": "g", "tools": ["a.b"], "constraint": []}),
                "unknown field `constraint`",
            ),
        ];

        for (args, expected) in cases {
            let error = parse(args.clone()).unwrap_err();
            assert!(error.contains(expected), "{args}: {error}");
        }
    }
}
