//! One tool call through its steps: the task's capability, policy, the
//! budget, the decision record, the upstream, the outcome record.
//!
//! Every refusal is recorded as `tool.deny`. An allowed call is recorded as
//! `tool.call` (decision and call token), durably, before it is forwarded,
//! and its answer as `tool.result`, written to the file (it survives a
//! killed gateway; its sync follows in the same group commit), before the
//! agent gets it. If either record cannot be written, the call is refused or
//! its answer withheld.

use std::time::Instant;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest,
    ServerResult,
};
use rmcp::service::{RequestContext, RoleServer};
use warden_audit::{Capability, Event, Kind};
use warden_identity::Identity;
use warden_policy::{Operation, args_from_json};

use super::{GatewayHandler, named_task};
use crate::audit::{self, CallContext};
use crate::error::GatewayError;
use crate::relay::policy::{self, Asked};
use crate::tasks::{Caller, TaskRefusal};

impl GatewayHandler {
    pub(super) async fn call_tool_outcome(
        &self,
        identity: &Identity,
        mut params: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, GatewayError> {
        let exported = params.name.to_string();
        let routes = self.hub.routes();
        let Some(route) = routes.tool(&exported).cloned() else {
            return Err(self.unknown("tool", &exported));
        };

        let spiffe_id = identity.spiffe_id.to_string();
        let arguments = params.arguments.clone();
        let session = self.task_session(context);
        let upstream = self.hub.upstream(route.upstream).name();
        let caller = Caller {
            identity: &spiffe_id,
            session,
            task: named_task(context)?,
        };
        let mut call = CallContext {
            identity: &spiffe_id,
            session,
            task: caller.task,
            tool: &exported,
            upstream,
            call_id: None,
            arguments: arguments.as_ref(),
        };
        let tasks = self.hub.tasks();
        let permit = match tasks.authorize_call(&caller, &exported, arguments.as_ref()) {
            Ok(permit) => permit,
            Err(refusal) => return Err(self.refuse(&call, refusal).await),
        };
        call.task = Some(&permit.task_id);
        call.call_id = Some(&permit.call_id);

        let args = arguments.as_ref().map(args_from_json);
        let asked = Asked {
            operation: Operation::CallTool,
            upstream,
            name: Some(&exported),
            hints: routes.hints(&exported),
            args: args.unwrap_or_default(),
            calls_made: Some(permit.calls_made),
        };
        let decision = policy::decide(&self.hub, identity, asked);
        if let Err(refused) = policy::enforce(&decision) {
            let mut event = call.event(Kind::TOOL_DENY);
            event.decision = Some(self.hub.audit().decision(&decision));
            return Err(self.record_refusal(event, refused).await);
        }
        if let Err(refusal) = tasks.count_call(&permit) {
            return Err(self.refuse(&call, refusal).await);
        }

        let mut event = call.event(Kind::TOOL_CALL);
        event.decision = Some(self.hub.audit().decision(&decision));
        event.capability = Some(Capability {
            call_token: Some(permit.call_token.clone()),
            revocation_ids: permit.revocation_ids.clone(),
        });
        self.hub.audit().record(event).await?;
        tracing::debug!(task.id = %permit.task_id, call.id = %permit.call_id,
            "call authorized by task and policy, and recorded");

        params.name = route.name.into();
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let started = Instant::now();
        let answer = self.forward_to(route.upstream, request, context).await;

        let seen = match &answer {
            Ok(result) => serde_json::to_value(result).map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let mut event = call.event(Kind::TOOL_RESULT);
        event.outcome = Some(audit::outcome(&seen, started.elapsed()));
        self.hub.audit().record_written(event).await?;

        match answer? {
            ServerResult::CallToolResult(result) => Ok(CallToolResponse::Complete(result)),
            ServerResult::InputRequiredResult(result) => {
                Ok(CallToolResponse::InputRequired(result))
            }
            ServerResult::CreateTaskResult(result) => Ok(CallToolResponse::Task(result)),
            ServerResult::EmptyResult(_) => {
                Ok(CallToolResponse::Complete(CallToolResult::default()))
            }
            _ => Err(GatewayError::UnexpectedResponse(upstream.into())),
        }
    }

    /// Records a refusal of the task step, under the task it names, and
    /// gives it back.
    async fn refuse(&self, call: &CallContext<'_>, refusal: TaskRefusal) -> GatewayError {
        let mut event = call.event(Kind::TOOL_DENY);
        if let Some(task) = refusal.task_id() {
            event.task = Some(task.to_owned());
        }
        event.decision = Some(audit::refusal(&refusal.to_string()));
        self.record_refusal(event, refusal.into()).await
    }

    /// Records a refusal; a refusal that cannot be recorded stays a refusal,
    /// reported as the audit failure it also is.
    async fn record_refusal(&self, event: Event, refusal: GatewayError) -> GatewayError {
        match self.hub.audit().record(event).await {
            Ok(()) => refusal,
            Err(audit) => audit,
        }
    }
}
