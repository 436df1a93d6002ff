//! What a task capability grants: the task, the bound identity, tool patterns,
//! argument constraints and an expiry.
//!
//! Everything here is validated before it becomes Datalog: an empty argument
//! name, an empty one-of set, a range with `min > max` or no bound, and a tool
//! pattern with a stray `*` are refused with a specific error.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::CapabilityError;

/// Everything a task capability grants, as decided by policy or an approver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskGrant {
    /// The task the capability belongs to.
    pub task_id: String,
    /// The SPIFFE ID the capability is bound to.
    pub identity: String,
    /// The tools the task may call.
    pub tools: Vec<ToolPattern>,
    /// Constraints on the arguments of every call.
    pub constraints: Vec<ArgConstraint>,
    /// When the capability stops working.
    #[serde(with = "humantime_serde")]
    pub expires_at: SystemTime,
}

/// A granted tool: one exact name, or every tool under a prefix (`fs.*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ToolPattern {
    /// Exactly this tool name.
    Exact(String),
    /// Every tool whose name starts with this prefix, which ends in `.`.
    Prefix(String),
}

/// A scalar argument value, as seen in constraints and call facts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A string.
    Str(String),
}

/// A constraint on one argument of every call; an absent argument fails it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ArgConstraint {
    /// The argument equals this value.
    Equals {
        /// Argument name.
        arg: String,
        /// Required value.
        value: Scalar,
    },
    /// The argument is one of these values.
    OneOf {
        /// Argument name.
        arg: String,
        /// Allowed values (at least one).
        values: Vec<Scalar>,
    },
    /// The argument is a string starting with this prefix. The comparison is
    /// on the string as given: a caller constraining paths normalizes them
    /// first, since `/srv/data/../etc` starts with `/srv/data/`.
    Prefix {
        /// Argument name.
        arg: String,
        /// Required prefix (not empty).
        prefix: String,
    },
    /// The argument is an integer within these inclusive bounds.
    Range {
        /// Argument name.
        arg: String,
        /// Smallest allowed value.
        min: Option<i64>,
        /// Largest allowed value.
        max: Option<i64>,
    },
}

impl TaskGrant {
    /// Checks every part of the grant, so that minting never encodes nonsense.
    pub fn validate(&self) -> Result<(), CapabilityError> {
        if self.task_id.is_empty() {
            return Err(CapabilityError::InvalidGrant("task id is empty".into()));
        }

        if !self.identity.starts_with("spiffe://") {
            let reason = format!("identity `{}` is not a spiffe id", self.identity);
            return Err(CapabilityError::InvalidGrant(reason));
        }

        if self.tools.is_empty() {
            let reason = "no tools granted: name at least one tool".to_owned();
            return Err(CapabilityError::InvalidGrant(reason));
        }

        self.constraints
            .iter()
            .try_for_each(ArgConstraint::validate)
    }
}

impl ToolPattern {
    /// Parses `name` as an exact tool or `prefix.*` as every tool under it.
    pub fn parse(text: &str) -> Result<Self, CapabilityError> {
        let invalid =
            |reason: &str| CapabilityError::InvalidGrant(format!("tool pattern `{text}` {reason}"));

        if text.is_empty() {
            return Err(invalid("is empty"));
        }

        match text.strip_suffix('*') {
            Some(prefix) if prefix.ends_with('.') && prefix.len() > 1 && !prefix.contains('*') => {
                Ok(Self::Prefix(prefix.to_owned()))
            }
            Some(_) => Err(invalid("must be an exact name or end in `.*`, like `fs.*`")),
            None if text.contains('*') => Err(invalid("may contain `*` only as a final `.*`")),
            None => Ok(Self::Exact(text.to_owned())),
        }
    }

    /// Tells whether this pattern grants the named tool.
    pub fn matches(&self, tool: &str) -> bool {
        match self {
            Self::Exact(name) => name == tool,
            Self::Prefix(prefix) => tool.starts_with(prefix.as_str()),
        }
    }
}

impl fmt::Display for ToolPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(name) => f.write_str(name),
            Self::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(flag) => write!(f, "{flag}"),
            Self::Int(number) => write!(f, "{number}"),
            Self::Str(text) => write!(f, "{text:?}"),
        }
    }
}

/// Reads as a rule for a model to follow: "`path` must start with "/srv/"".
impl fmt::Display for ArgConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Equals { arg, value } => write!(f, "`{arg}` must be {value}"),
            Self::OneOf { arg, values } => {
                let values: Vec<String> = values.iter().map(Scalar::to_string).collect();
                write!(f, "`{arg}` must be one of {}", values.join(", "))
            }
            Self::Prefix { arg, prefix } => write!(f, "`{arg}` must start with {prefix:?}"),
            Self::Range { arg, min, max } => match (min, max) {
                (Some(min), Some(max)) => {
                    write!(f, "`{arg}` must be an integer from {min} to {max}")
                }
                (Some(min), None) => write!(f, "`{arg}` must be an integer of at least {min}"),
                (None, Some(max)) => write!(f, "`{arg}` must be an integer of at most {max}"),
                (None, None) => write!(f, "`{arg}` must be an integer"),
            },
        }
    }
}

impl TryFrom<String> for ToolPattern {
    type Error = CapabilityError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<ToolPattern> for String {
    fn from(pattern: ToolPattern) -> Self {
        pattern.to_string()
    }
}

impl Scalar {
    /// Converts a JSON scalar; objects, arrays, null and non-integer numbers
    /// have no scalar form and give `None`.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Bool(b) => Some(Self::Bool(*b)),
            serde_json::Value::Number(n) => n.as_i64().map(Self::Int),
            serde_json::Value::String(s) => Some(Self::Str(s.clone())),
            _ => None,
        }
    }
}

impl ArgConstraint {
    /// Returns the argument this constraint applies to.
    pub fn arg(&self) -> &str {
        match self {
            Self::Equals { arg, .. }
            | Self::OneOf { arg, .. }
            | Self::Prefix { arg, .. }
            | Self::Range { arg, .. } => arg,
        }
    }

    /// Tells whether an argument's value (`None` when absent or not a scalar)
    /// meets the constraint. The token's checks are what enforce it; this
    /// lets a caller say which constraint a refused call broke.
    pub fn admits(&self, value: Option<&Scalar>) -> bool {
        let Some(value) = value else {
            return false;
        };

        match (self, value) {
            (Self::Equals { value: wanted, .. }, _) => wanted == value,
            (Self::OneOf { values, .. }, _) => values.contains(value),
            (Self::Prefix { prefix, .. }, Scalar::Str(text)) => text.starts_with(prefix.as_str()),
            (Self::Range { min, max, .. }, Scalar::Int(number)) => {
                min.is_none_or(|min| *number >= min) && max.is_none_or(|max| *number <= max)
            }
            _ => false,
        }
    }

    /// Parses one constraint from JSON and validates it.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, CapabilityError> {
        let constraint =
            Self::deserialize(value).map_err(|e| CapabilityError::InvalidConstraint {
                arg: String::new(),
                reason: format!("{e}; expected e.g. {{\"kind\":\"prefix\",\"arg\":\"path\",...}}"),
            })?;

        constraint.validate()?;
        Ok(constraint)
    }

    /// Refuses constraints that are empty, contradictory or unbounded.
    pub fn validate(&self) -> Result<(), CapabilityError> {
        let invalid = |reason: &str| CapabilityError::InvalidConstraint {
            arg: self.arg().to_owned(),
            reason: reason.to_owned(),
        };

        if self.arg().is_empty() {
            return Err(invalid("argument name is empty"));
        }

        match self {
            Self::OneOf { values, .. } if values.is_empty() => {
                Err(invalid("one-of lists no values: name at least one"))
            }
            Self::OneOf { values, .. }
                if values
                    .iter()
                    .any(|v| std::mem::discriminant(v) != std::mem::discriminant(&values[0])) =>
            {
                Err(invalid(
                    "one-of mixes value types: list only strings, only integers or only booleans",
                ))
            }
            Self::Prefix { prefix, .. } if prefix.is_empty() => {
                Err(invalid("prefix is empty: it would allow every value"))
            }
            Self::Range {
                min: None,
                max: None,
                ..
            } => Err(invalid(
                "range has neither min nor max: give at least one bound",
            )),
            Self::Range {
                min: Some(lo),
                max: Some(hi),
                ..
            } if lo > hi => Err(invalid(&format!("range min {lo} is greater than max {hi}"))),
            _ => Ok(()),
        }
    }
}
