//! The tools the conformance scenarios list and call, and their dispatch.
//!
//! Each submodule owns a family of tools: its `tools()` describes them and
//! its functions run them. Input schemas are written out by hand so that
//! what a client sees is exactly what the scenarios were written against.

use std::sync::Arc;

use rmcp::model::{CallToolRequestParams, CallToolResponse, JsonObject, Tool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use serde_json::{Value, json};

use crate::logging::LogThreshold;
use crate::streams::RecordingSessionManager;

mod ask;
mod content;
mod elicitation;
mod notifying;
pub(crate) mod reconnect;
mod sampling;
mod schema;

/// Everything a tool may need to answer one `tools/call`.
pub(crate) struct Call<'a> {
    /// The request as the client sent it.
    pub(crate) params: &'a CallToolRequestParams,
    /// The request's context: peer, `_meta`, HTTP parts.
    pub(crate) context: &'a RequestContext<RoleServer>,
    /// The session's logging level.
    pub(crate) logs: &'a LogThreshold,
    /// The session manager, for tools that act on their own stream.
    pub(crate) sessions: &'a RecordingSessionManager,
}

/// Describes every tool, in a stable order.
pub(crate) fn list() -> Vec<Tool> {
    let mut tools = content::tools();
    tools.extend(notifying::tools());
    tools.extend(sampling::tools());
    tools.extend(elicitation::tools());
    tools.extend(schema::tools());
    tools.extend(reconnect::tools());
    tools
}

/// Runs the tool the call names; an unknown name is a protocol error.
pub(crate) async fn call(call: Call<'_>) -> Result<CallToolResponse, McpError> {
    let result = match call.params.name.as_ref() {
        content::SIMPLE_TEXT => content::simple_text(),
        content::IMAGE => content::image(),
        content::AUDIO => content::audio(),
        content::EMBEDDED_RESOURCE => content::embedded_resource(),
        content::MIXED => content::mixed(),
        content::ERROR => content::error(),
        notifying::LOGGING => notifying::with_logging(&call).await,
        notifying::PROGRESS => notifying::with_progress(&call).await,
        sampling::TOOL_NAME => return sampling::run(&call).await,
        elicitation::BASIC => return elicitation::basic(&call).await,
        elicitation::DEFAULTS => return elicitation::defaults(&call).await,
        elicitation::ENUMS => return elicitation::enums(&call).await,
        schema::TOOL_NAME => schema::run(&call),
        reconnect::TOOL_NAME => reconnect::run(&call).await,
        other => {
            let message = format!("unknown tool `{other}`");
            return Err(McpError::invalid_params(message, None));
        }
    };
    Ok(result.into())
}

/// An input schema for a tool that takes no arguments.
fn no_arguments() -> Arc<JsonObject> {
    object_schema(json!({ "type": "object", "properties": {} }))
}

/// An input schema of required string arguments, each with a description.
fn string_arguments(arguments: &[(&str, &str)]) -> Arc<JsonObject> {
    let properties: JsonObject = arguments
        .iter()
        .map(|(name, description)| {
            let property = json!({ "type": "string", "description": description });
            (name.to_string(), property)
        })
        .collect();
    let required: Vec<&str> = arguments.iter().map(|(name, _)| *name).collect();

    object_schema(json!({ "type": "object", "properties": properties, "required": required }))
}

/// Turns a literal JSON object into a schema; anything else becomes `{}`.
fn object_schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(object) => Arc::new(object),
        _ => Arc::new(JsonObject::new()),
    }
}

/// Reads a required string argument, refusing the call when it is absent.
fn string_argument(params: &CallToolRequestParams, name: &str) -> Result<String, McpError> {
    let value = params
        .arguments
        .as_ref()
        .and_then(|arguments| arguments.get(name));
    match value.and_then(Value::as_str) {
        Some(text) => Ok(text.to_owned()),
        None => {
            let message = format!("argument `{name}` must be a string");
            Err(McpError::invalid_params(message, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_tool_has_a_unique_name_a_description_and_an_object_schema() {
        let tools = list();
        let names: HashSet<_> = tools.iter().map(|tool| tool.name.clone()).collect();
        assert_eq!(names.len(), tools.len());

        for tool in &tools {
            assert!(
                tool.description.is_some(),
                "{} has no description",
                tool.name
            );
            assert_eq!(tool.input_schema.get("type"), Some(&json!("object")));
        }
    }

    #[test]
    fn string_arguments_are_all_required() {
        let schema = string_arguments(&[("a", "first"), ("b", "second")]);
        assert_eq!(schema.get("required"), Some(&json!(["a", "b"])));
        assert_eq!(schema["properties"]["b"]["description"], json!("second"));
    }
}
