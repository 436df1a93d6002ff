//! What a policy answers, and the version of the set that answered.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::PolicyError;

/// The content address of a policy set: hex SHA-256 over its files' relative
/// paths and contents, in path order. Two sets with the same files have the
/// same version wherever they are loaded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyVersion(String);

impl PolicyVersion {
    /// The version of these files.
    pub fn of_files(files: &BTreeMap<String, String>) -> Self {
        let mut hasher = Sha256::new();
        for (path, content) in files {
            hasher.update((path.len() as u64).to_be_bytes());
            hasher.update(path.as_bytes());
            hasher.update((content.len() as u64).to_be_bytes());
            hasher.update(content.as_bytes());
        }
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest.iter() {
            hex.push_str(&format!("{byte:02x}"));
        }
        Self(hex)
    }

    /// The 64 hexadecimal digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits, enough to tell versions apart in a summary.
    pub fn short(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

impl fmt::Display for PolicyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PolicyVersion {
    type Err = PolicyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let valid = text.len() == 64
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !valid {
            return Err(PolicyError::Version {
                version: text.to_owned(),
            });
        }
        Ok(Self(text.to_owned()))
    }
}

impl TryFrom<String> for PolicyVersion {
    type Error = PolicyError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<PolicyVersion> for String {
    fn from(version: PolicyVersion) -> Self {
        version.0
    }
}

/// The effect of a decision.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    /// The request may proceed.
    Allow,
    /// The request is refused.
    Deny,
    /// A human holding `role` must approve first.
    ApprovalRequired {
        /// The approver role, as `[roles]` in `warden.toml` names it.
        role: String,
    },
}

impl Effect {
    /// `allow`, `deny` or `approval`, as test cases and audit records name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::ApprovalRequired { .. } => "approval",
        }
    }
}

/// A policy's answer to one request, with everything an audit record needs to
/// explain and replay it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allow, deny or approval required.
    pub effect: Effect,
    /// The rule that decided; `None` for the default deny and for failed checks.
    pub rule: Option<String>,
    /// The file of the deciding rule, or of the first failed check.
    pub file: Option<String>,
    /// Why, in words an agent or an operator can act on.
    pub reason: String,
    /// The source of every `check` that failed, in file order.
    pub failed_checks: Vec<String>,
    /// Every rule of the winning kind that matched, sorted; `rule` is the first.
    pub matched: Vec<String>,
    /// The set that decided.
    pub policy_version: PolicyVersion,
    /// The request facts as Datalog source, for audit and replay.
    pub facts: Vec<String>,
}

impl Decision {
    /// Whether the request may proceed without a human.
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.effect {
            Effect::Allow => f.write_str("allow")?,
            Effect::Deny => f.write_str("deny")?,
            Effect::ApprovalRequired { role } => write!(f, "approval by `{role}`")?,
        }
        if let Some(rule) = &self.rule {
            write!(f, " by rule `{rule}`")?;
        }
        if let Some(file) = &self.file {
            write!(f, " ({file})")?;
        }
        if self.effect != Effect::Allow {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_depend_on_names_and_contents_and_parse_back() {
        let a = BTreeMap::from([("a.policy".to_owned(), "x".to_owned())]);
        let b = BTreeMap::from([("b.policy".to_owned(), "x".to_owned())]);
        let version = PolicyVersion::of_files(&a);
        assert_ne!(version, PolicyVersion::of_files(&b));
        assert_eq!(version.as_str().len(), 64);
        assert_eq!(
            version.as_str().parse::<PolicyVersion>().ok(),
            Some(version)
        );
    }

    #[test]
    fn malformed_versions_are_refused() {
        let result = "../etc".parse::<PolicyVersion>();
        assert!(matches!(result, Err(PolicyError::Version { .. })));
    }
}
