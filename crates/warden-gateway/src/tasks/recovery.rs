//! Settling tasks at start and as time passes: a task ends when its TTL or
//! approval window passes, whether or not the gateway was running then.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use warden_store::{TaskFilter, TaskState};

use super::{TaskRefusal, Tasks};
use crate::error::GatewayError;

/// How often the sweeper looks for lapsed tasks. Calls check expiry
/// themselves, so this only bounds how late an idle task's end is noticed
/// and announced.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

impl Tasks {
    /// Loads pending and active tasks into the live index. Tasks requested
    /// in an MCP session are revoked: sessions do not survive a restart.
    /// Tasks whose time passed while the gateway was down are expired.
    pub(super) fn recover(&self) -> Result<(), GatewayError> {
        let failed = |error: TaskRefusal| GatewayError::Store(error.to_string());
        let mut live = Vec::new();
        for state in [TaskState::Pending, TaskState::Active] {
            let filter = TaskFilter {
                state: Some(state),
                ..TaskFilter::default()
            };
            let tasks = self
                .store
                .list_tasks(&filter)
                .map_err(|e| failed(e.into()))?;
            live.extend(tasks);
        }

        for task in live {
            let (capability, unverifiable) = match &task.capability {
                Some(text) => match warden_capability::parse(text.as_bytes(), &self.keys) {
                    Ok(biscuit) => (Some(biscuit), false),
                    Err(error) => {
                        let id = &task.id;
                        tracing::warn!(task.id = %id, %error, "task capability does not verify");
                        (None, true)
                    }
                },
                None => (None, false),
            };
            self.remember(task.clone(), capability);

            let ended = if task.session.is_some() {
                let reason = "its MCP session ended when the gateway stopped".to_owned();
                Some((TaskState::Revoked, reason))
            } else if unverifiable {
                let reason = "its capability does not verify with this gateway's keys".to_owned();
                Some((TaskState::Revoked, reason))
            } else {
                self.lapsed(&task)
                    .map(|reason| (TaskState::Expired, reason))
            };

            if let Some((to, reason)) = ended {
                let from = [TaskState::Pending, TaskState::Active];
                self.finish(&task.id, &from, to, "warden", reason, "settled")
                    .map_err(failed)?;
            }
        }

        let (pending, active) = self.live_counts();
        tracing::info!(
            tasks.pending = pending,
            tasks.active = active,
            "tasks loaded"
        );
        Ok(())
    }

    /// Expires lapsed tasks once a second until `shutdown`.
    pub(crate) async fn sweep(self: std::sync::Arc<Self>, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    self.expire_lapsed();
                }
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Expires every live task whose time is up; returns how many.
    pub(crate) fn expire_lapsed(&self) -> usize {
        let lapsed: Vec<(String, String)> = self
            .live
            .read()
            .values()
            .filter_map(|live| Some((live.record.id.clone(), self.lapsed(&live.record)?)))
            .collect();

        let mut expired = 0;
        for (id, reason) in lapsed {
            match self.expire(&id, reason) {
                Ok(_) => expired += 1,
                Err(TaskRefusal::WrongState { .. }) => {}
                Err(error) => tracing::warn!(task.id = %id, %error, "cannot expire task"),
            }
        }
        expired
    }
}
