//! Gateway errors, and the one place where each becomes what an agent sees:
//! a tool result a model can act on, or a JSON-RPC error for protocol misuse.

use std::time::Duration;

use rmcp::ServiceError;
use rmcp::model::{CallToolResult, ContentBlock, ErrorData};

use crate::config::ConfigError;
use crate::upstream::Unavailable;

/// Why the gateway could not start or could not serve a request.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The configuration cannot run.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The policy set cannot be loaded: the gateway refuses to start.
    #[error(transparent)]
    Policy(#[from] warden_policy::PolicyError),
    /// The identity layer cannot start: a bundle is unreadable or invalid.
    #[error(transparent)]
    Identity(#[from] warden_identity::IdentityError),
    /// The TLS listener cannot be set up.
    #[error("gateway.tls: {0}")]
    Tls(String),
    /// A request reached the handler without the identity the HTTP layer
    /// attaches, or with another identity than its session's.
    #[error("the request carries no verified workload identity of this session's owner")]
    Unauthenticated,
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Two upstreams export the same name.
    #[error(
        "{kind} `{name}` is exported by both upstream `{first}` and upstream `{second}`: \
         give one of them a non-empty `prefix`"
    )]
    NameCollision {
        /// `tool`, `prompt` or `resource`.
        kind: &'static str,
        /// The clashing exported name.
        name: String,
        /// The upstream listed first.
        first: String,
        /// The upstream listed second.
        second: String,
    },
    /// No upstream exports this name.
    #[error("unknown {kind} `{name}`: list {kind}s to see the names this gateway exports")]
    UnknownName {
        /// `tool` or `prompt`.
        kind: &'static str,
        /// The name the agent asked for.
        name: String,
    },
    /// The upstream is down.
    #[error("upstream `{name}` is unavailable: {reason}")]
    Unavailable {
        /// The upstream.
        name: String,
        /// Why, and when the gateway tries again.
        reason: String,
    },
    /// The upstream did not answer in time; the request was cancelled there.
    #[error(
        "upstream `{upstream}` did not answer within {}s; the call was cancelled",
        .timeout.as_secs_f32()
    )]
    Timeout {
        /// The upstream.
        upstream: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The upstream answered with a JSON-RPC error, passed on unchanged.
    #[error("upstream error: {}", .0.message)]
    Upstream(ErrorData),
    /// The connection dropped while the request was in flight.
    #[error("upstream `{0}` closed the connection before answering")]
    Closed(String),
    /// The upstream answered with a result of the wrong kind.
    #[error("upstream `{0}` answered with an unexpected result type")]
    UnexpectedResponse(String),
    /// Anything else the SDK reported.
    #[error("upstream request failed: {0}")]
    Service(String),
    /// The policy denied the request.
    #[error("denied by policy: {reason}")]
    Denied {
        /// The policy's reason.
        reason: String,
    },
    /// The policy wants a human approver for this request.
    #[error("needs approval by the `{role}` role: {reason}")]
    NeedsApproval {
        /// The approver role.
        role: String,
        /// The policy's reason.
        reason: String,
    },
    /// The task store cannot be opened or used.
    #[error("task store: {0}")]
    Store(String),
    /// The root key ring cannot be opened or created.
    #[error(transparent)]
    Keys(warden_capability::CapabilityError),
    /// The audit log cannot be written: nothing is forwarded or answered
    /// that it does not hold.
    #[error("the audit log cannot be written ({0}); nothing was forwarded")]
    Audit(String),
    /// The task step refused the request: no task, an ended one, a tool or
    /// arguments outside its grant.
    #[error("{0}")]
    Task(String),
    /// The agent cancelled the request.
    #[error("the request was cancelled by the agent")]
    Cancelled,
}

impl From<crate::tasks::TaskRefusal> for GatewayError {
    fn from(refusal: crate::tasks::TaskRefusal) -> Self {
        Self::Task(refusal.to_string())
    }
}

impl From<Unavailable> for GatewayError {
    fn from(unavailable: Unavailable) -> Self {
        Self::Unavailable {
            name: unavailable.name,
            reason: unavailable.reason,
        }
    }
}

impl GatewayError {
    /// Classifies an SDK error for a request whose upstream is not known here.
    pub(crate) fn from_service(error: ServiceError) -> Self {
        match error {
            ServiceError::McpError(error) => Self::Upstream(error),
            other => Self::Service(other.to_string()),
        }
    }

    /// Classifies an SDK error for a request sent to `upstream`.
    pub(crate) fn from_upstream(upstream: &str, error: ServiceError) -> Self {
        match error {
            ServiceError::McpError(error) => Self::Upstream(error),
            ServiceError::Timeout { timeout } => Self::Timeout {
                upstream: upstream.to_owned(),
                timeout,
            },
            ServiceError::TransportClosed => Self::Closed(upstream.to_owned()),
            ServiceError::UnexpectedResponse => Self::UnexpectedResponse(upstream.to_owned()),
            ServiceError::Cancelled { .. } => Self::Cancelled,
            other => Self::Service(other.to_string()),
        }
    }

    /// Whether policy or the task step refused the request; that step has
    /// logged it.
    pub(crate) fn is_policy_refusal(&self) -> bool {
        matches!(
            self,
            Self::Denied { .. } | Self::NeedsApproval { .. } | Self::Task(_)
        )
    }

    /// The JSON-RPC error for a request that is not a tool call.
    pub(crate) fn into_error_data(self) -> ErrorData {
        match self {
            Self::Upstream(error) => error,
            Self::UnknownName { .. } => ErrorData::invalid_params(self.to_string(), None),
            Self::Unauthenticated
            | Self::Denied { .. }
            | Self::NeedsApproval { .. }
            | Self::Task(_) => ErrorData::invalid_request(self.to_string(), None),
            other => ErrorData::internal_error(other.to_string(), None),
        }
    }

    /// What a tool call returns: errors a model can act on become a tool
    /// result with `isError: true`; protocol errors stay JSON-RPC errors.
    pub(crate) fn into_tool_outcome(self) -> Result<CallToolResult, ErrorData> {
        match self {
            Self::Unavailable { .. }
            | Self::Timeout { .. }
            | Self::Closed(_)
            | Self::Denied { .. }
            | Self::NeedsApproval { .. }
            | Self::Audit(_)
            | Self::Task(_) => Ok(CallToolResult::error(vec![ContentBlock::text(
                self.to_string(),
            )])),
            other => Err(other.into_error_data()),
        }
    }
}
