//! Questions the server puts to the client: sampling, elicitation and roots.
//!
//! Clients on revisions before 2026-07-28 answer a server-to-client request sent on their
//! session while the tool call waits; that is what most clients speak today. The
//! 2026-07-28 revision removed server-to-client requests: the tool instead ends the call
//! with an `InputRequiredResult` (a multi round-trip request) and the client calls again
//! with the answers in `inputResponses`. [`ask`] gives the tools one interface for both.
//!
//! On a retry, `requestState` is only a marker of which question was asked; it is echoed
//! by the client and never trusted for anything else. The tool re-reads its own arguments.
#![expect(
    deprecated,
    reason = "sampling and roots are deprecated in 2026-07-28, not in 2025"
)]

use rmcp::RoleServer;
use rmcp::model::{
    CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult, ElicitRequest,
    ElicitRequestParams, ElicitResult, InputRequest, InputRequests, InputRequiredResult,
    InputResponses, ListRootsRequest, ListRootsResult, ProtocolVersion,
};
use rmcp::service::{RequestContext, ServiceError};
use serde::de::DeserializeOwned;

/// The key under which the one question of a round is asked and answered.
const ANSWER_KEY: &str = "answer";

/// What the client sent back with a retried call, if anything.
#[derive(Debug, Default)]
pub(crate) struct Round {
    pub(crate) responses: Option<InputResponses>,
    pub(crate) state: Option<String>,
}

/// Either the client's answer, or the result that asks the client for it.
#[derive(Debug)]
pub(crate) enum Asked<T> {
    Answered(T),
    InputRequired(InputRequiredResult),
}

/// Why no answer came back; each message names the fix.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AskError {
    #[error(
        "the client did not answer the {kind} request ({source}); use a client that \
             supports {kind}"
    )]
    Unanswered {
        kind: &'static str,
        source: ServiceError,
    },
    #[error(
        "the client's {kind} answer is malformed ({source}); call the tool again without \
             inputResponses to be asked afresh"
    )]
    Malformed {
        kind: &'static str,
        source: serde_json::Error,
    },
    #[error("the call was cancelled while waiting for the client's {kind} answer")]
    Cancelled { kind: &'static str },
}

/// Asks the client's model to complete `params`.
pub(crate) async fn sample(
    context: &RequestContext<RoleServer>,
    round: &Round,
    params: CreateMessageRequestParams,
) -> Result<Asked<CreateMessageResult>, AskError> {
    let request = InputRequest::CreateMessage(CreateMessageRequest::new(params.clone()));
    let legacy = context.peer.create_message(params);
    ask(context, round, "sampling", request, legacy).await
}

/// Asks the client's user to fill in a form.
pub(crate) async fn elicit(
    context: &RequestContext<RoleServer>,
    round: &Round,
    params: ElicitRequestParams,
) -> Result<Asked<ElicitResult>, AskError> {
    let request = InputRequest::Elicitation(ElicitRequest::new(params.clone()));
    let legacy = context.peer.create_elicitation(params);
    ask(context, round, "elicitation", request, legacy).await
}

/// Asks the client which roots (directories, repositories) it exposes.
pub(crate) async fn list_roots(
    context: &RequestContext<RoleServer>,
    round: &Round,
) -> Result<Asked<ListRootsResult>, AskError> {
    let request = InputRequest::ListRoots(ListRootsRequest::default());
    let legacy = context.peer.list_roots();
    ask(context, round, "roots", request, legacy).await
}

/// Whether this request speaks 2026-07-28 or later, where questions travel as
/// `InputRequiredResult` rather than as server-to-client requests.
pub(crate) fn uses_input_required(context: &RequestContext<RoleServer>) -> bool {
    let first = ProtocolVersion::V_2026_07_28;
    context
        .protocol_version()
        .is_some_and(|version| version.as_str() >= first.as_str())
}

/// Asks one question the way this request's protocol version allows.
async fn ask<T: DeserializeOwned>(
    context: &RequestContext<RoleServer>,
    round: &Round,
    kind: &'static str,
    request: InputRequest,
    legacy: impl Future<Output = Result<T, ServiceError>>,
) -> Result<Asked<T>, AskError> {
    if !uses_input_required(context) {
        tracing::debug!(ask.kind = kind, "asking the client over its session");
        return tokio::select! {
            () = context.ct.cancelled() => Err(AskError::Cancelled { kind }),
            answer = legacy => answer
                .map(Asked::Answered)
                .map_err(|source| AskError::Unanswered { kind, source }),
        };
    }

    let state = format!("awaiting-{kind}");
    let answer = round
        .responses
        .as_ref()
        .and_then(|responses| responses.get(ANSWER_KEY))
        .filter(|_| round.state.as_deref() == Some(state.as_str()));
    if let Some(answer) = answer {
        tracing::debug!(ask.kind = kind, "client answered with inputResponses");
        return serde_json::from_value(answer.clone())
            .map(Asked::Answered)
            .map_err(|source| AskError::Malformed { kind, source });
    }

    tracing::debug!(
        ask.kind = kind,
        "asking the client with an InputRequiredResult"
    );
    let mut requests = InputRequests::new();
    requests.insert(ANSWER_KEY.to_owned(), request);
    Ok(Asked::InputRequired(InputRequiredResult::new(
        Some(requests),
        Some(state),
    )))
}
