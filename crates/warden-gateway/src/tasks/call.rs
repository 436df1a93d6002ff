//! Authorizing one tool call: find the caller's task, check that it is live
//! and unrevoked, attenuate its capability to this one call, and let the
//! call token's checks decide.

use serde_json::{Map, Value};
use warden_capability::{
    ArgConstraint, CallFacts, CallScope, CapabilityError, Scalar, args_digest, authorize,
};
use warden_store::{StoreError, TaskRecord, TaskState};

use super::{Live, TaskRefusal, Tasks, serves};

/// What an authorized call carries on: its task, the call token's
/// revocation ids, and what policy needs to know.
#[derive(Debug)]
pub(crate) struct Permit {
    pub(crate) task_id: String,
    pub(crate) calls_made: u64,
    /// The gateway's id of this call, which the call token names.
    pub(crate) call_id: String,
    /// The call token, base64, for the audit record.
    pub(crate) call_token: String,
    /// The revocation ids of the call token: the task capability's, then
    /// the call block's own.
    pub(crate) revocation_ids: Vec<String>,
}

/// Which task a call names, and from where.
pub(crate) struct Caller<'a> {
    pub(crate) identity: &'a str,
    /// The MCP session of the call, if the protocol version has sessions.
    pub(crate) session: Option<&'a str>,
    /// The task named in `_meta` as `warden/task`, if any.
    pub(crate) task: Option<&'a str>,
}

impl Tasks {
    /// Authorizes calling `tool` with `arguments` under the caller's task.
    pub(crate) fn authorize_call(
        &self,
        caller: &Caller<'_>,
        tool: &str,
        arguments: Option<&Map<String, Value>>,
    ) -> Result<Permit, TaskRefusal> {
        let live = self.task_for_call(caller, tool)?;
        let task = &live.record;
        let Some(capability) = live.capability.as_deref() else {
            return Err(self.not_usable(task));
        };

        if !task.tools.iter().any(|granted| granted == tool) {
            return Err(TaskRefusal::ToolNotGranted {
                id: task.id.clone(),
                tool: tool.to_owned(),
                granted: task.tools.clone(),
            });
        }
        explain_constraints(task, arguments)?;

        let now = self.clock.now();
        let call_id = uuid::Uuid::new_v4().simple().to_string();
        let arguments = Value::Object(arguments.cloned().unwrap_or_default());
        let digest = args_digest(&arguments);
        let scope = CallScope {
            tool: tool.to_owned(),
            call_id: call_id.clone(),
            args_digest: digest.clone(),
            expires_at: now + self.limits.call_token_ttl,
        };
        let refused = |error: CapabilityError| TaskRefusal::Capability {
            id: task.id.clone(),
            reason: error.to_string(),
        };
        let call_token = live.signer.attenuate(capability, &scope).map_err(refused)?;

        let facts = CallFacts {
            identity: caller.identity.to_owned(),
            task: task.id.clone(),
            tool: tool.to_owned(),
            call_id: call_id.clone(),
            args_digest: digest,
            args: scalars(&arguments),
            now,
        };
        let authorized = authorize(&call_token, &facts).map_err(refused)?;
        self.refuse_revoked(task, &authorized.revocation_ids)?;

        Ok(Permit {
            task_id: task.id.clone(),
            calls_made: task.calls_made,
            call_id,
            call_token: warden_capability::to_base64(&call_token).map_err(refused)?,
            revocation_ids: authorized.revocation_ids,
        })
    }

    /// Counts an authorized call against its task's budget; the call that
    /// spends the budget goes through, and the task expires behind it.
    pub(crate) fn count_call(&self, permit: &Permit) -> Result<(), TaskRefusal> {
        let id = &permit.task_id;
        let calls = match self.store.increment_calls(id) {
            Ok(calls) => calls,
            Err(StoreError::NotActive { .. } | StoreError::BudgetExhausted { .. }) => {
                let task = self
                    .get(id)?
                    .ok_or_else(|| TaskRefusal::UnknownTask { id: id.clone() })?;
                return Err(self.not_usable(&task));
            }
            Err(other) => return Err(other.into()),
        };

        let budget = {
            let mut live = self.live.write();
            let Some(task) = live.get_mut(id) else {
                return Ok(());
            };
            task.record.calls_made = calls;
            task.record.budget
        };
        if budget == Some(calls) {
            let reason = format!("its call budget of {calls} calls is spent");
            self.expire(id, reason)?;
        }
        Ok(())
    }

    /// Finds the task a call runs under: the one named in `_meta`, else the
    /// caller's only active task. Expires it on the spot if its time is up.
    fn task_for_call(&self, caller: &Caller<'_>, tool: &str) -> Result<Live, TaskRefusal> {
        let live = match caller.task {
            Some(id) => self.named_task(caller, id)?,
            None => self.only_active_task(caller, tool)?,
        };

        if let Some(reason) = self.lapsed(&live.record) {
            let ended = self.expire(&live.record.id, reason)?;
            return Err(self.not_usable(&ended));
        }
        match live.record.state {
            TaskState::Active => Ok(live),
            _ => Err(self.not_usable(&live.record)),
        }
    }

    fn named_task(&self, caller: &Caller<'_>, id: &str) -> Result<Live, TaskRefusal> {
        let unknown = || TaskRefusal::UnknownTask { id: id.to_owned() };
        let live = match self.live.read().get(id) {
            Some(live) => live.clone(),
            None => {
                let task = self.store.get_task(id)?.ok_or_else(unknown)?;
                if task.identity != caller.identity {
                    return Err(unknown());
                }
                return Err(self.not_usable(&task));
            }
        };

        if live.record.identity != caller.identity {
            return Err(unknown());
        }
        if !serves(&live.record, caller.identity, caller.session) {
            return Err(TaskRefusal::OtherSession { id: id.to_owned() });
        }
        Ok(live)
    }

    fn only_active_task(&self, caller: &Caller<'_>, tool: &str) -> Result<Live, TaskRefusal> {
        let live = self.live.read();
        let mine: Vec<&Live> = live
            .values()
            .filter(|live| serves(&live.record, caller.identity, caller.session))
            .collect();
        let active: Vec<&Live> = mine
            .iter()
            .copied()
            .filter(|live| live.record.state == TaskState::Active)
            .collect();

        match active.as_slice() {
            [only] => Ok((*only).clone()),
            [] => match mine.as_slice() {
                [pending] => Ok((*pending).clone()),
                [] => Err(self.no_task(caller, tool)),
                _ => Err(TaskRefusal::NoTask {
                    tool: tool.to_owned(),
                }),
            },
            several => {
                let mut ids: Vec<String> =
                    several.iter().map(|live| live.record.id.clone()).collect();
                ids.sort();
                Err(TaskRefusal::SeveralTasks { ids })
            }
        }
    }

    /// Why a caller without a live task cannot call: its last task ended, or
    /// it never had one.
    fn no_task(&self, caller: &Caller<'_>, tool: &str) -> TaskRefusal {
        match self.last_ended.read().get(caller.identity) {
            Some(task) if serves(task, caller.identity, caller.session) => self.not_usable(task),
            _ => TaskRefusal::NoTask {
                tool: tool.to_owned(),
            },
        }
    }

    /// Why a live task should be expired now, if its time is up.
    pub(super) fn lapsed(&self, task: &TaskRecord) -> Option<String> {
        let now = self.clock.now();
        match task.state {
            TaskState::Active if now >= task.expires_at => Some(format!(
                "its ttl of {} passed",
                humantime::format_duration(task.ttl)
            )),
            TaskState::Pending if task.pending_expires_at.is_some_and(|at| now >= at) => {
                Some("no approver acted in time".to_owned())
            }
            _ => None,
        }
    }

    /// The refusal for a task that cannot be used now, by its state.
    fn not_usable(&self, task: &TaskRecord) -> TaskRefusal {
        match task.state {
            TaskState::Pending => TaskRefusal::Pending {
                id: task.id.clone(),
                role: task
                    .approver_role
                    .clone()
                    .unwrap_or_else(|| "approver".to_owned()),
            },
            TaskState::Active => TaskRefusal::Capability {
                id: task.id.clone(),
                reason: "the task holds no capability".to_owned(),
            },
            state => TaskRefusal::Ended {
                id: task.id.clone(),
                state,
                reason: task.reason.clone(),
            },
        }
    }

    fn refuse_revoked(&self, task: &TaskRecord, ids: &[String]) -> Result<(), TaskRefusal> {
        for id in ids {
            if self.store.is_revoked(id)? {
                tracing::info!(task.id = %task.id, revocation.id = %id, "revoked token refused");
                return Err(TaskRefusal::Capability {
                    id: task.id.clone(),
                    reason: "its capability has been revoked: request a new task".to_owned(),
                });
            }
        }
        Ok(())
    }
}

/// Names the first constraint the arguments break, so the model knows what to
/// fix; the call token's checks enforce the constraints either way.
fn explain_constraints(
    task: &TaskRecord,
    arguments: Option<&Map<String, Value>>,
) -> Result<(), TaskRefusal> {
    let constraints: Vec<ArgConstraint> =
        serde_json::from_value(task.constraints.clone()).unwrap_or_default();

    for constraint in &constraints {
        let value = arguments
            .and_then(|args| args.get(constraint.arg()))
            .and_then(Scalar::from_json);
        if !constraint.admits(value.as_ref()) {
            return Err(TaskRefusal::Constraint {
                id: task.id.clone(),
                constraint: constraint.to_string(),
            });
        }
    }
    Ok(())
}

fn scalars(arguments: &Value) -> Vec<(String, Scalar)> {
    arguments
        .as_object()
        .map(|args| {
            args.iter()
                .filter_map(|(name, value)| Some((name.clone(), Scalar::from_json(value)?)))
                .collect()
        })
        .unwrap_or_default()
}
