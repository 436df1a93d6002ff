//! Inspecting a token for people and tools, with or without the root key.
//!
//! Inspection never trusts the token: without a key ring it only reports
//! what the token claims, and says that its signature was not checked.

use std::fmt;

use biscuit_auth::UnverifiedBiscuit;
use serde::Serialize;

use crate::{CapabilityError, KeyRing, keyring, token};

/// Everything a token says about itself, block by block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The root key id the token names, as `k<n>`.
    pub root_key_id: Option<String>,
    /// One revocation id per block, hex, authority first.
    pub revocation_ids: Vec<String>,
    /// Whether the signatures were checked, and how that went.
    pub signature: SignatureStatus,
    /// The blocks, authority first.
    pub blocks: Vec<BlockInspection>,
}

/// The Datalog of one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockInspection {
    /// Position in the token; 0 is the authority block.
    pub index: usize,
    /// Facts, as Datalog source.
    pub facts: Vec<String>,
    /// Rules, as Datalog source.
    pub rules: Vec<String>,
    /// Checks, as Datalog source.
    pub checks: Vec<String>,
}

/// The outcome of checking a token's signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureStatus {
    /// No key ring was given; nothing the token says is proven.
    NotChecked,
    /// The signatures verify under a key of the ring.
    Valid,
    /// The signatures do not verify; the reason says why.
    Invalid {
        /// The verification error.
        reason: String,
    },
}

/// Inspects a token given as base64 text or raw bytes; verifies its
/// signatures when a key ring is given.
pub fn inspect(token_text: &[u8], ring: Option<&KeyRing>) -> Result<Inspection, CapabilityError> {
    let unverified = token::parse_unverified(token_text)?;

    let blocks = (0..unverified.block_count())
        .map(|index| inspect_block(&unverified, index))
        .collect::<Result<Vec<_>, _>>()?;

    let signature = match ring {
        None => SignatureStatus::NotChecked,
        Some(ring) => match token::parse(token_text, ring) {
            Ok(_) => SignatureStatus::Valid,
            Err(error) => SignatureStatus::Invalid {
                reason: error.to_string(),
            },
        },
    };

    Ok(Inspection {
        root_key_id: unverified.root_key_id().map(keyring::kid),
        revocation_ids: unverified
            .revocation_identifiers()
            .iter()
            .map(hex::encode)
            .collect(),
        signature,
        blocks,
    })
}

fn inspect_block(
    token: &UnverifiedBiscuit,
    index: usize,
) -> Result<BlockInspection, CapabilityError> {
    let source = token
        .print_block_source(index)
        .map_err(|e| CapabilityError::Malformed(e.to_string()))?;
    let parsed = biscuit_auth::parser::parse_block_source(&source).map_err(|_| {
        CapabilityError::Malformed(format!("block {index} does not print as datalog"))
    })?;

    let text = |s: &str| s.trim().to_owned();
    Ok(BlockInspection {
        index,
        facts: parsed.facts.iter().map(|(s, _)| text(s)).collect(),
        rules: parsed.rules.iter().map(|(s, _)| text(s)).collect(),
        checks: parsed.checks.iter().map(|(s, _)| text(s)).collect(),
    })
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kid = self.root_key_id.as_deref().unwrap_or("none");
        writeln!(f, "root key id: {kid}")?;

        match &self.signature {
            SignatureStatus::NotChecked => writeln!(f, "signature: not checked (no key ring)")?,
            SignatureStatus::Valid => writeln!(f, "signature: valid")?,
            SignatureStatus::Invalid { reason } => writeln!(f, "signature: INVALID: {reason}")?,
        }

        for (block, revocation_id) in self.blocks.iter().zip(&self.revocation_ids) {
            let name = if block.index == 0 {
                "authority"
            } else {
                "block"
            };
            writeln!(
                f,
                "\n{name} {} (revocation id {revocation_id})",
                block.index
            )?;
            write_statements(f, "facts", &block.facts)?;
            write_statements(f, "rules", &block.rules)?;
            write_statements(f, "checks", &block.checks)?;
        }
        Ok(())
    }
}

fn write_statements(f: &mut fmt::Formatter<'_>, label: &str, items: &[String]) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }

    writeln!(f, "  {label}:")?;
    items.iter().try_for_each(|item| writeln!(f, "    {item};"))
}
