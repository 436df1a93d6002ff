//! `GET /v1/audit?task=&identity=&since=&kind=&limit=`: the audit records
//! that match, oldest first, for auditors and approvers.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use warden_audit::{Filter, Kind};

use super::AdminState;
use super::caller::AdminCaller;
use super::error::AdminError;

const READERS: [&str; 2] = ["auditor", "approver"];

/// At most this many records are answered unless `limit` says fewer.
const MAX_RECORDS: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    task: Option<String>,
    identity: Option<String>,
    since: Option<String>,
    kind: Option<String>,
    limit: Option<usize>,
}

pub(crate) async fn query(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, AdminError> {
    caller.require(&READERS, "read the audit log")?;
    let since = query
        .since
        .as_deref()
        .map(|text| warden_audit::parse_since(text, SystemTime::now()))
        .transpose()
        .map_err(|reason| AdminError::bad_request(format!("`since`: {reason}")))?;
    let kind = query
        .kind
        .map(Kind::new)
        .transpose()
        .map_err(|error| AdminError::bad_request(format!("`kind`: {error}")))?;
    let filter = Filter {
        task: query.task,
        identity: query.identity,
        since,
        kind,
    };
    let limit = query.limit.unwrap_or(MAX_RECORDS).min(MAX_RECORDS);

    let path = state.hub.audit().path().to_path_buf();
    let records = tokio::task::spawn_blocking(move || collect(&path, filter, limit))
        .await
        .map_err(|error| AdminError::bad_request(format!("reading the audit log: {error}")))??;
    let truncated = records.len() == limit;
    Ok(Json(json!({ "records": records, "truncated": truncated })))
}

fn collect(path: &std::path::Path, filter: Filter, limit: usize) -> Result<Vec<Value>, AdminError> {
    let unreadable = |error: warden_audit::AuditError| {
        AdminError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "audit_unreadable",
            error.to_string(),
        )
    };
    let mut records = Vec::new();
    for record in warden_audit::read_filtered(path, filter).map_err(unreadable)? {
        let record = record.map_err(unreadable)?;
        records.push(serde_json::to_value(&record).unwrap_or(Value::Null));
        if records.len() == limit {
            break;
        }
    }
    Ok(records)
}
