//! How tasks begin and end: requests decided by policy, approvals, denials,
//! revocations, ends, expiries.

use std::sync::Arc;
use std::time::SystemTime;

use warden_capability::{TaskGrant, ToolPattern};
use warden_policy::{Decision, Effect, Operation, PolicyRequest, PolicySet};
use warden_store::{StoreError, TaskRecord, TaskState, Transition};

use super::{Live, TaskChange, TaskChangeKind, TaskRefusal, TaskRequest, Tasks};

/// The exported tools a task may ask for, and their hints.
pub(crate) trait ToolCatalog {
    /// Every exported tool name.
    fn tool_names(&self) -> Vec<String>;
    /// The tool's hints (`read_only`, `destructive`, ...).
    fn hints(&self, tool: &str) -> Vec<String>;
}

/// Who asks for a task.
pub(crate) struct Requester<'a> {
    /// The identity the task is for.
    pub(crate) identity: &'a str,
    /// The MCP session that asked, or `None` for a task created through the
    /// admin API, which serves every session of its identity.
    pub(crate) session: Option<&'a str>,
}

/// The states a task can be ended from, by anyone.
const LIVE: [TaskState; 2] = [TaskState::Pending, TaskState::Active];

/// How many tool names a refusal lists before it summarizes.
const LISTED_TOOLS: usize = 20;

impl Tasks {
    /// Decides a task request by policy and records the task: active (with
    /// its capability), pending an approver, or denied.
    pub(crate) fn request(
        &self,
        requester: Requester<'_>,
        request: TaskRequest,
        catalog: &dyn ToolCatalog,
        policy: &PolicySet,
    ) -> Result<(TaskRecord, Decision), TaskRefusal> {
        let tools = expand(&request.tools, catalog)?;
        let now = self.clock.now();
        let decision = decide(requester.identity, &request, &tools, catalog, policy, now);

        let mut record = TaskRecord {
            id: format!("task-{}", uuid::Uuid::new_v4().simple()),
            identity: requester.identity.to_owned(),
            goal: request.goal,
            tools,
            constraints: serde_json::to_value(&request.constraints)
                .map_err(|error| TaskRefusal::Store(error.to_string()))?,
            state: TaskState::Denied,
            created_at: now,
            expires_at: now + request.ttl,
            pending_expires_at: None,
            ttl: request.ttl,
            budget: request.budget,
            calls_made: 0,
            decided_by: Some(rule_of(&decision)),
            reason: Some(decision.reason.clone()),
            session: requester.session.map(str::to_owned),
            revocation_ids: Vec::new(),
            approver_role: None,
            capability: None,
        };

        let mut capability = None;
        match &decision.effect {
            Effect::Deny => {}
            Effect::ApprovalRequired { role } => {
                record.state = TaskState::Pending;
                record.pending_expires_at = Some(now + self.limits.pending_ttl);
                record.approver_role = Some(role.clone());
            }
            Effect::Allow => {
                let token = self.mint(&record, &request.constraints, record.expires_at)?;
                record.state = TaskState::Active;
                record.capability = Some(token.text);
                record.revocation_ids = token.revocation_ids;
                capability = Some(token.biscuit);
            }
        }

        self.store.create_task(&record)?;
        log_decision(&record);
        if !record.state.is_terminal() {
            self.remember(record.clone(), capability);
        }
        self.tell(TaskChangeKind::Requested, &record, Some(&decision));
        Ok((record, decision))
    }

    /// Grants a pending task on an approver's word; its TTL starts now.
    pub(crate) fn approve(
        &self,
        id: &str,
        approver: &str,
        reason: Option<String>,
    ) -> Result<TaskRecord, TaskRefusal> {
        let task = self.require(id)?;
        if task.state != TaskState::Pending {
            return Err(wrong_state(&task, "approved"));
        }
        if let Some(reason) = self.lapsed(&task) {
            let expired = self.expire(id, reason)?;
            return Err(wrong_state(&expired, "approved"));
        }

        let constraints: Vec<warden_capability::ArgConstraint> =
            serde_json::from_value(task.constraints.clone())
                .map_err(|error| TaskRefusal::Store(format!("task `{id}` constraints: {error}")))?;
        let expires_at = self.clock.now() + task.ttl;
        let token = self.mint(&task, &constraints, expires_at)?;
        let mut transition = Transition::new(&[TaskState::Pending], TaskState::Active)
            .by(approver)
            .with_capability(token.text, token.revocation_ids, expires_at);
        transition.reason = reason;

        let record = self.apply(id, &transition, "approved")?;
        tracing::info!(
            task.id = id,
            agent.spiffe_id = %record.identity,
            approver.spiffe_id = approver,
            "task approved"
        );
        self.remember(record.clone(), Some(token.biscuit));
        self.tell(TaskChangeKind::Approved, &record, None);
        Ok(record)
    }

    /// Refuses a pending task on an approver's word.
    pub(crate) fn deny(
        &self,
        id: &str,
        approver: &str,
        reason: Option<String>,
    ) -> Result<TaskRecord, TaskRefusal> {
        let reason = reason.unwrap_or_else(|| "denied by an approver".to_owned());
        self.finish(
            id,
            &[TaskState::Pending],
            TaskState::Denied,
            approver,
            reason,
            "denied",
        )
    }

    /// Ends a pending or active task at once, for an approver or the platform.
    pub(crate) fn revoke(
        &self,
        id: &str,
        by: &str,
        reason: Option<String>,
    ) -> Result<TaskRecord, TaskRefusal> {
        let reason = reason.unwrap_or_else(|| format!("revoked by {by}"));
        self.finish(id, &LIVE, TaskState::Revoked, by, reason, "revoked")
    }

    /// Ends a task on its agent's word: an active task completes, a pending
    /// one is withdrawn.
    pub(crate) fn end(
        &self,
        task: &TaskRecord,
        outcome: Option<String>,
    ) -> Result<TaskRecord, TaskRefusal> {
        let (to, default_reason) = match task.state {
            TaskState::Active => (TaskState::Completed, "ended by its agent"),
            TaskState::Pending => (TaskState::Revoked, "withdrawn by its agent"),
            _ => return Err(wrong_state(task, "ended")),
        };
        let reason = outcome.unwrap_or_else(|| default_reason.to_owned());
        self.finish(&task.id, &[task.state], to, &task.identity, reason, "ended")
    }

    /// Expires a task whose TTL, approval window or budget ran out.
    pub(crate) fn expire(&self, id: &str, reason: String) -> Result<TaskRecord, TaskRefusal> {
        self.finish(id, &LIVE, TaskState::Expired, "warden", reason, "expired")
    }

    /// Revokes every task that only served `session`, which has closed.
    pub(crate) fn session_closed(&self, session: &str) {
        let ids: Vec<String> = self
            .live
            .read()
            .values()
            .filter(|live| live.record.session.as_deref() == Some(session))
            .map(|live| live.record.id.clone())
            .collect();

        for id in ids {
            let reason = "its MCP session closed".to_owned();
            if let Err(error) =
                self.finish(&id, &LIVE, TaskState::Revoked, "warden", reason, "revoked")
            {
                tracing::warn!(task.id = %id, %error, "cannot revoke the task of a closed session");
            }
        }
    }

    /// Moves a live task to a final state. Once the store has the final
    /// state, the live index forgets the task before anything else can fail,
    /// so no later call finds it usable; then its ids are revoked.
    pub(super) fn finish(
        &self,
        id: &str,
        from: &[TaskState],
        to: TaskState,
        by: &str,
        reason: String,
        action: &'static str,
    ) -> Result<TaskRecord, TaskRefusal> {
        let transition = Transition::new(from, to).by(by).because(reason);
        let record = self.apply(id, &transition, action)?;
        let was_active = self
            .live
            .write()
            .remove(id)
            .is_some_and(|live| live.record.state == TaskState::Active);
        self.last_ended
            .write()
            .insert(record.identity.clone(), record.clone());
        if !record.revocation_ids.is_empty() {
            self.store.revoke(&record.revocation_ids)?;
        }

        tracing::info!(
            task.id = id,
            agent.spiffe_id = %record.identity,
            task.state = %record.state,
            task.reason = record.reason.as_deref().unwrap_or(""),
            decided_by = by,
            "task ended"
        );
        (self.changed)(TaskChange {
            kind: TaskChangeKind::Ended,
            record: &record,
            decision: None,
            tools_changed: was_active,
        });
        Ok(record)
    }

    fn apply(
        &self,
        id: &str,
        transition: &Transition,
        action: &'static str,
    ) -> Result<TaskRecord, TaskRefusal> {
        match self.store.transition(id, transition) {
            Ok(record) => Ok(record),
            Err(StoreError::TaskNotFound(_)) => Err(TaskRefusal::UnknownTask { id: id.to_owned() }),
            Err(
                StoreError::StateConflict { actual, .. }
                | StoreError::InvalidTransition { from: actual, .. },
            ) => Err(TaskRefusal::WrongState {
                id: id.to_owned(),
                state: actual,
                action,
            }),
            Err(other) => Err(other.into()),
        }
    }

    fn require(&self, id: &str) -> Result<TaskRecord, TaskRefusal> {
        self.get(id)?
            .ok_or_else(|| TaskRefusal::UnknownTask { id: id.to_owned() })
    }

    /// Tells the listener of a request or an approval; an active task
    /// changes its identity's tools.
    fn tell(&self, kind: TaskChangeKind, record: &TaskRecord, decision: Option<&Decision>) {
        (self.changed)(TaskChange {
            kind,
            record,
            decision,
            tools_changed: record.state == TaskState::Active,
        });
    }

    /// Puts a pending or active task in the live index.
    pub(super) fn remember(
        &self,
        record: TaskRecord,
        capability: Option<warden_capability::Biscuit>,
    ) {
        let live = Live {
            record,
            capability: capability.map(Arc::new),
            signer: Arc::new(warden_capability::CallSigner::new()),
        };
        self.live.write().insert(live.record.id.clone(), live);
    }
}

/// The exact tools a request names: `upstream.*` becomes the upstream's
/// tools as exported now, so that a tool added later is not granted without
/// policy having seen it.
fn expand(patterns: &[ToolPattern], catalog: &dyn ToolCatalog) -> Result<Vec<String>, TaskRefusal> {
    let names = catalog.tool_names();
    let mut tools: Vec<String> = Vec::new();

    for pattern in patterns {
        let matched: Vec<&String> = names.iter().filter(|name| pattern.matches(name)).collect();
        if matched.is_empty() {
            return Err(TaskRefusal::InvalidRequest(unknown_tool(pattern, &names)));
        }
        for name in matched {
            if !tools.contains(name) {
                tools.push(name.clone());
            }
        }
    }
    Ok(tools)
}

fn unknown_tool(pattern: &ToolPattern, names: &[String]) -> String {
    let prefix = pattern.to_string();
    let upstream = prefix.split('.').next().unwrap_or_default();
    let mut nearby: Vec<&str> = names
        .iter()
        .filter(|name| name.split('.').next() == Some(upstream))
        .map(String::as_str)
        .collect();
    if nearby.is_empty() {
        nearby = names.iter().map(String::as_str).collect();
    }

    let listed = nearby
        .iter()
        .take(LISTED_TOOLS)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = nearby.len().saturating_sub(LISTED_TOOLS);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("no exported tool matches `{pattern}`; tools you can ask for: {listed}{more}")
}

fn decide(
    identity: &str,
    request: &TaskRequest,
    tools: &[String],
    catalog: &dyn ToolCatalog,
    policy: &PolicySet,
    now: SystemTime,
) -> Decision {
    let mut asked = PolicyRequest::new(Operation::RequestTask, identity, now);
    asked.goal = Some(request.goal.clone());
    asked.requested_tools = tools.to_vec();
    asked.requested_annotations = tools
        .iter()
        .map(|tool| (tool.clone(), catalog.hints(tool)))
        .collect();
    asked.ttl = Some(request.ttl);
    policy.decide(&asked)
}

fn rule_of(decision: &Decision) -> String {
    format!(
        "policy rule {}",
        decision.rule.as_deref().unwrap_or("(none matched)")
    )
}

fn wrong_state(task: &TaskRecord, action: &'static str) -> TaskRefusal {
    TaskRefusal::WrongState {
        id: task.id.clone(),
        state: task.state,
        action,
    }
}

fn log_decision(record: &TaskRecord) {
    tracing::info!(
        task.id = %record.id,
        agent.spiffe_id = %record.identity,
        task.state = %record.state,
        task.tools = record.tools.len(),
        decided_by = record.decided_by.as_deref().unwrap_or(""),
        task.reason = record.reason.as_deref().unwrap_or(""),
        "task requested"
    );
}

/// Minting lives with the lifecycle because only a grant mints.
impl Tasks {
    fn mint(
        &self,
        task: &TaskRecord,
        constraints: &[warden_capability::ArgConstraint],
        expires_at: SystemTime,
    ) -> Result<Minted, TaskRefusal> {
        let grant = TaskGrant {
            task_id: task.id.clone(),
            identity: task.identity.clone(),
            tools: task.tools.iter().cloned().map(ToolPattern::Exact).collect(),
            constraints: constraints.to_vec(),
            expires_at,
        };
        let refused = |error: warden_capability::CapabilityError| {
            TaskRefusal::InvalidRequest(format!("the capability cannot be minted: {error}"))
        };

        let biscuit =
            warden_capability::mint_task_capability(&self.keys, &grant).map_err(refused)?;
        let text = warden_capability::to_base64(&biscuit).map_err(refused)?;
        Ok(Minted {
            revocation_ids: warden_capability::revocation_ids(&biscuit),
            text,
            biscuit,
        })
    }
}

struct Minted {
    biscuit: warden_capability::Biscuit,
    text: String,
    revocation_ids: Vec<String>,
}
