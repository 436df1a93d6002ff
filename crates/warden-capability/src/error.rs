//! The one error type of this crate.
//!
//! Every message is lowercase, names the thing that failed and, where one
//! exists, the fix. Variants are specific so that callers and tests can match
//! on exactly what went wrong.

use std::path::PathBuf;

/// Why a capability operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CapabilityError {
    /// The key ring directory already holds a ring; `init` never overwrites one.
    #[error("key ring already exists in {0}: use `warden keys rotate` instead of `init`")]
    KeyRingExists(PathBuf),

    /// No key ring was found where one was expected.
    #[error("no key ring in {0}: create one with `warden keys init`")]
    KeyRingMissing(PathBuf),

    /// Reading or writing a key ring file failed.
    #[error("cannot access key ring file {path}: {source}")]
    KeyRingIo {
        /// The file or directory that could not be used.
        path: PathBuf,
        /// The underlying failure.
        source: std::io::Error,
    },

    /// A key ring file exists but its contents are not a valid ring.
    #[error("key ring file {path} is corrupt ({reason}): restore it from a backup")]
    KeyRingCorrupt {
        /// The corrupt file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A key ring file or directory can be read by users other than its owner.
    #[error("key ring path {0} is readable by other users: run `chmod go-rwx` on it")]
    KeyRingPermissions(PathBuf),

    /// The token names a root key id that the ring does not hold.
    #[error("token was signed by unknown root key id {0}: it was not issued by this gateway")]
    UnknownRootKey(String),

    /// The token names no root key id at all.
    #[error("token carries no root key id: it was not issued by this gateway")]
    MissingRootKeyId,

    /// The token text is not valid base64.
    #[error("token is not valid url-safe base64: pass the token exactly as issued")]
    NotBase64,

    /// The token's signature chain does not verify.
    #[error("token signature is invalid: the token was forged or altered")]
    InvalidSignature,

    /// The token bytes are not a well-formed Biscuit.
    #[error("token is malformed ({0}): it is truncated or not a biscuit")]
    Malformed(String),

    /// A grant or call scope cannot be expressed safely.
    #[error("invalid grant: {0}")]
    InvalidGrant(String),

    /// An argument constraint is malformed.
    #[error("invalid constraint on argument `{arg}`: {reason}")]
    InvalidConstraint {
        /// The argument the constraint names (possibly empty).
        arg: String,
        /// What is wrong with it.
        reason: String,
    },

    /// One or more checks of the token failed for this call.
    #[error("capability refused the call: {}", .failed_checks.join("; "))]
    Unauthorized {
        /// Every failed check, as Datalog text with its block.
        failed_checks: Vec<String>,
    },

    /// Datalog evaluation hit its run limits; the call is refused.
    #[error("capability evaluation exceeded its limits ({0}): the token is too complex")]
    RunLimit(String),

    /// Datalog evaluation failed, e.g. on a type mismatch; the call is refused.
    #[error("capability evaluation failed ({0}): the call is refused")]
    Evaluation(String),

    /// Building or signing a token failed inside the Biscuit library.
    #[error("cannot build token: {0}")]
    Build(String),
}
