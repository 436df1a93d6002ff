//! Questions a tool puts to the client mid-call: sampling and elicitation.
//!
//! Protocol versions with sessions (up to 2025-11-25) let the server send
//! the client a request and wait for the answer. From 2026-07-28 on a server
//! may not send requests; the tool instead answers `input_required`, naming
//! the requests, and the client retries the call with the answers attached
//! (SEP-2322). [`ask`] hides the difference, so the same tools serve a
//! direct client and a gateway whichever version either of them speaks.
#![expect(
    deprecated,
    reason = "sampling is deprecated by SEP-2577, yet the conformance suite still checks it"
)]

use rmcp::RoleServer;
use rmcp::model::{
    CallToolResponse, CallToolResult, ClientCapabilities, ContentBlock, CreateMessageRequestParams,
    ElicitRequestParams, InputRequest, InputRequests, InputRequiredResult, Request,
};
use rmcp::service::RequestContext;
use serde_json::Value;

use super::Call;

/// A request for the client.
pub(crate) enum Question {
    /// `sampling/createMessage`.
    Sampling(CreateMessageRequestParams),
    /// `elicitation/create`.
    Elicitation(ElicitRequestParams),
}

impl Question {
    /// The name under which the question travels in `inputRequests`.
    fn key(&self) -> &'static str {
        match self {
            Self::Sampling(_) => "sampling",
            Self::Elicitation(_) => "elicitation",
        }
    }

    fn into_input_request(self) -> InputRequest {
        match self {
            Self::Sampling(params) => InputRequest::CreateMessage(Request::new(params)),
            Self::Elicitation(params) => InputRequest::Elicitation(Request::new(params)),
        }
    }
}

/// What became of a question.
pub(crate) enum Answer {
    /// The client's result, as JSON.
    Ready(Value),
    /// The client must answer first and then retry the call.
    Pending(InputRequiredResult),
    /// The client could not or would not answer; the reason is for the model.
    Failed(String),
}

impl Answer {
    /// Turns the answer into the tool's response, shaping a ready answer
    /// with `reply` and a failure into a tool error.
    pub(crate) fn respond(self, reply: impl FnOnce(&Value) -> String) -> CallToolResponse {
        match self {
            Self::Ready(value) => {
                CallToolResult::success(vec![ContentBlock::text(reply(&value))]).into()
            }
            Self::Pending(pending) => pending.into(),
            Self::Failed(reason) => CallToolResult::error(vec![ContentBlock::text(reason)]).into(),
        }
    }
}

/// Puts `question` to the client, the way the call's protocol version allows.
pub(crate) async fn ask(call: &Call<'_>, question: Question) -> Answer {
    let key = question.key();

    if answers_by_retry(call.context) {
        let responses = call.params.input_responses.as_ref();
        if let Some(answer) = responses.and_then(|responses| responses.get(key)) {
            return Answer::Ready(answer.clone());
        }
        let requests = InputRequests::from([(key.to_owned(), question.into_input_request())]);
        return Answer::Pending(InputRequiredResult::from_input_requests(requests));
    }

    let peer = &call.context.peer;
    let result = match question {
        Question::Sampling(params) => peer.create_message(params).await.map(to_json),
        Question::Elicitation(params) => peer.create_elicitation(params).await.map(to_json),
    };
    match result {
        Ok(Some(value)) => Answer::Ready(value),
        Ok(None) => Answer::Failed(format!("the client's {key} result could not be read")),
        Err(error) => Answer::Failed(format!(
            "the client did not answer the {key} request: {error}"
        )),
    }
}

/// The capabilities the client declared, for this request or its session.
pub(crate) fn client_capabilities(call: &Call<'_>) -> ClientCapabilities {
    call.context.client_capabilities().unwrap_or_default()
}

/// Tells whether the call's protocol version forbids server-to-client
/// requests, so questions must go back in an `input_required` result.
fn answers_by_retry(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|version| !version.has_initialize())
}

fn to_json<T: serde::Serialize>(result: T) -> Option<Value> {
    serde_json::to_value(result).ok()
}
