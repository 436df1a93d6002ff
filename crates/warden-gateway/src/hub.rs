//! The gateway's shared state: the upstreams, the routing table built from
//! their catalogs, and the relay state of agent sessions.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rmcp::model::UnsubscribeRequestParams;
use rmcp::model::{ClientRequest, SubscribeRequest, SubscribeRequestParams, UnsubscribeRequest};
use tokio_util::sync::CancellationToken;
use warden_policy::PolicyStore;

use crate::audit::{self, Recorder};
use crate::config::{Config, GatewayConfig, Roles};
use crate::error::GatewayError;
use crate::relay::Relay;
use crate::relay::inflight::SessionKey;
use crate::routes::{Collision, Routes, Source};
use crate::tasks::{TaskChange, Tasks};
use crate::upstream::{State, Upstream, supervisor};

/// Everything the call path shares.
pub(crate) struct Hub {
    config: GatewayConfig,
    policy: Arc<PolicyStore>,
    tasks: Arc<Tasks>,
    audit: Recorder,
    roles: Roles,
    upstreams: Vec<Arc<Upstream>>,
    routes: ArcSwap<Routes>,
    relay: Arc<Relay>,
    /// Resource subscriptions held on upstreams, with how many sessions want each.
    subscriptions: Mutex<HashMap<String, (usize, usize)>>,
}

impl Hub {
    /// Opens the task store, starts a supervisor per upstream and waits until
    /// each has made its first connection attempt. Name clashes found then
    /// refuse the start.
    pub(crate) async fn start(
        config: Config,
        policy: Arc<PolicyStore>,
        shutdown: &CancellationToken,
    ) -> Result<Arc<Self>, GatewayError> {
        let timeout = config.gateway.call_timeout;
        let upstreams = config
            .upstreams
            .into_iter()
            .enumerate()
            .map(|(index, upstream)| Arc::new(Upstream::new(index, upstream, timeout)))
            .collect();
        let relay = Arc::new(Relay::default());
        let recorder = open_audit(&config.gateway.data_dir, &config.audit)?;
        let tasks = Tasks::open(
            &config.gateway.data_dir,
            config.tasks,
            task_listener(Arc::clone(&relay), recorder.clone()),
        )?;
        let tasks = Arc::new(tasks);
        tokio::spawn(Arc::clone(&tasks).sweep(shutdown.child_token()));

        let hub = Arc::new(Self {
            config: config.gateway,
            policy,
            tasks,
            audit: recorder,
            roles: config.roles,
            upstreams,
            routes: ArcSwap::from_pointee(Routes::default()),
            relay,
            subscriptions: Mutex::new(HashMap::new()),
        });

        let mut first_attempts = Vec::new();
        for upstream in &hub.upstreams {
            let first_attempt = CancellationToken::new();
            first_attempts.push(first_attempt.clone());
            let task = supervisor::supervise(
                Arc::clone(&hub),
                Arc::clone(upstream),
                first_attempt,
                shutdown.child_token(),
            );
            tokio::spawn(task);
        }
        for first_attempt in first_attempts {
            tokio::select! {
                () = first_attempt.cancelled() => {}
                () = shutdown.cancelled() => break,
            }
        }

        hub.audit
            .record_later(audit::policy_loaded(&hub.policy.current()));
        tokio::spawn(record_policy_loads(
            Arc::clone(&hub),
            shutdown.child_token(),
        ));

        let collisions = hub.build_routes();
        if let Some(collision) = collisions.first() {
            return Err(hub.collision_error(collision));
        }
        Ok(hub)
    }

    pub(crate) fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The live policy set.
    pub(crate) fn policy(&self) -> &PolicyStore {
        &self.policy
    }

    /// Tasks and their capabilities.
    pub(crate) fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    /// The audit log.
    pub(crate) fn audit(&self) -> &Recorder {
        &self.audit
    }

    /// Who holds which admin role.
    pub(crate) fn roles(&self) -> &Roles {
        &self.roles
    }

    pub(crate) fn relay(&self) -> &Arc<Relay> {
        &self.relay
    }

    pub(crate) fn upstreams(&self) -> &[Arc<Upstream>] {
        &self.upstreams
    }

    pub(crate) fn upstream(&self, index: usize) -> &Arc<Upstream> {
        &self.upstreams[index]
    }

    pub(crate) fn routes(&self) -> Arc<Routes> {
        self.routes.load_full()
    }

    /// The upstream whose prefix starts `name`, for explaining why a name of
    /// an upstream that is down is unknown right now.
    pub(crate) fn upstream_by_prefix(&self, name: &str) -> Option<&Arc<Upstream>> {
        self.upstreams.iter().find(|upstream| {
            let prefix = upstream.config.prefix();
            !prefix.is_empty()
                && name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// Rebuilds the routing table after a catalog or state change, and tells
    /// every agent session about the listings that changed.
    pub(crate) fn rebuild_routes(&self) {
        let before = self.routes();
        for collision in self.build_routes() {
            tracing::error!(
                kind = collision.kind,
                name = %collision.name,
                kept = self.upstreams[collision.kept].name(),
                dropped = self.upstreams[collision.dropped].name(),
                "exported name clash: give one upstream a prefix"
            );
        }

        let after = self.routes();
        let tools = before.tool_list != after.tool_list;
        let prompts = before.prompt_list != after.prompt_list;
        let resources = before.resource_list != after.resource_list
            || before.template_list != after.template_list;
        if tools || prompts || resources {
            self.relay.announce_changes(tools, prompts, resources);
        }
    }

    fn build_routes(&self) -> Vec<Collision> {
        let catalogs: Vec<_> = self
            .upstreams
            .iter()
            .map(|upstream| upstream.catalog())
            .collect();
        let sources: Vec<_> = self
            .upstreams
            .iter()
            .zip(&catalogs)
            .map(|(upstream, catalog)| Source {
                prefix: upstream.config.prefix(),
                catalog: catalog.as_deref(),
            })
            .collect();

        let (routes, collisions) = Routes::build(&sources);
        self.routes.store(Arc::new(routes));
        collisions
    }

    fn collision_error(&self, collision: &Collision) -> GatewayError {
        GatewayError::NameCollision {
            kind: collision.kind,
            name: collision.name.clone(),
            first: self.upstreams[collision.kept].name().to_owned(),
            second: self.upstreams[collision.dropped].name().to_owned(),
        }
    }

    /// Subscribes `session` to `uri` on `upstream`, subscribing upstream only
    /// for the first session that asks.
    pub(crate) async fn subscribe(
        &self,
        session: SessionKey,
        upstream: usize,
        uri: &str,
    ) -> Result<(), GatewayError> {
        if !self.relay.sessions.subscribe(session, uri) {
            return Ok(());
        }
        let first = {
            let mut subscriptions = self.subscriptions.lock();
            let entry = subscriptions.entry(uri.to_owned()).or_insert((upstream, 0));
            entry.1 += 1;
            entry.1 == 1
        };
        if first {
            let params = SubscribeRequestParams::new(uri);
            let request = ClientRequest::SubscribeRequest(SubscribeRequest::new(params));
            self.send_control(upstream, request).await?;
        }
        Ok(())
    }

    /// Drops one session's subscription, unsubscribing upstream after the last.
    pub(crate) async fn unsubscribe(&self, session: SessionKey, uri: &str) {
        if self.relay.sessions.unsubscribe(session, uri) {
            self.release(uri).await;
        }
    }

    /// Forgets a closed session and releases its subscriptions.
    pub(crate) async fn end_session(&self, session: SessionKey) {
        for uri in self.relay.sessions.remove(session) {
            self.release(&uri).await;
        }
    }

    async fn release(&self, uri: &str) {
        let last = {
            let mut subscriptions = self.subscriptions.lock();
            match subscriptions.get_mut(uri) {
                Some((upstream, count)) if *count <= 1 => {
                    let upstream = *upstream;
                    subscriptions.remove(uri);
                    Some(upstream)
                }
                Some((_, count)) => {
                    *count -= 1;
                    None
                }
                None => None,
            }
        };
        if let Some(upstream) = last {
            let params = UnsubscribeRequestParams::new(uri);
            let request = ClientRequest::UnsubscribeRequest(UnsubscribeRequest::new(params));
            if let Err(error) = self.send_control(upstream, request).await {
                tracing::debug!(%error, uri, "upstream unsubscribe failed");
            }
        }
    }

    /// Subscribes again, after a reconnect, to every resource agents still want.
    pub(crate) async fn resubscribe(&self, upstream: &Upstream) {
        let uris: Vec<String> = self
            .subscriptions
            .lock()
            .iter()
            .filter(|(_, (index, _))| *index == upstream.index)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in uris {
            let request = ClientRequest::SubscribeRequest(SubscribeRequest::new(
                SubscribeRequestParams::new(uri.as_str()),
            ));
            if let Err(error) = self.send_control(upstream.index, request).await {
                tracing::warn!(upstream.name = upstream.name(), uri, %error, "resubscribe failed");
            }
        }
    }

    async fn send_control(
        &self,
        upstream: usize,
        request: ClientRequest,
    ) -> Result<(), GatewayError> {
        let upstream = &self.upstreams[upstream];
        let peer = upstream.peer()?;
        let options = rmcp::service::PeerRequestOptions::with_timeout(upstream.call_timeout);
        peer.send_request_with_option(request, options)
            .await
            .map_err(GatewayError::from_service)?
            .await_response()
            .await
            .map(drop)
            .map_err(GatewayError::from_service)
    }

    /// Whether each upstream is ready, for `/healthz`.
    pub(crate) fn health(&self) -> Vec<(String, bool, Option<String>)> {
        self.upstreams
            .iter()
            .map(|upstream| match upstream.state().as_ref() {
                State::Ready { .. } => (upstream.name().to_owned(), true, None),
                State::Starting => (upstream.name().to_owned(), false, Some("starting".into())),
                State::Unavailable { reason, .. } => {
                    (upstream.name().to_owned(), false, Some(reason.clone()))
                }
            })
            .collect()
    }
}

/// Opens the audit log in `DATA_DIR/audit`; a log that cannot be opened, or
/// that holds damage other than a torn last line, refuses the start.
fn open_audit(
    data_dir: &std::path::Path,
    config: &warden_audit::AuditConfig,
) -> Result<Recorder, GatewayError> {
    let dir = data_dir.join("audit");
    let (log, report) = warden_audit::AuditLog::open(&dir, config.clone())
        .map_err(|error| GatewayError::Audit(error.to_string()))?;
    if report.truncated_bytes > 0 {
        tracing::warn!(
            audit.truncated_bytes = report.truncated_bytes,
            "audit log ended in a torn record, never acknowledged: cut it off"
        );
    }
    tracing::info!(
        audit.path = %log.path().display(),
        audit.records = report.records,
        audit.last_seq = report.last_seq,
        "audit log opened"
    );
    Ok(Recorder::new(log))
}

/// Announces tool changes to the sessions of the task's identity and
/// records every task change.
fn task_listener(relay: Arc<Relay>, recorder: Recorder) -> crate::tasks::TaskListener {
    Box::new(move |change: TaskChange<'_>| {
        if change.tools_changed {
            relay.announce_tools_to(&change.record.identity);
        }
        recorder.record_later(audit::task_change(&change));
    })
}

/// Records every policy set that comes into force, until `shutdown`.
async fn record_policy_loads(hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut versions = hub.policy.subscribe();
    loop {
        tokio::select! {
            changed = versions.changed() => {
                if changed.is_err() {
                    return;
                }
                hub.audit.record_later(audit::policy_loaded(&hub.policy.current()));
            }
            () = shutdown.cancelled() => return,
        }
    }
}
