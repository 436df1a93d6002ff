//! Tools that ask the user for input through the client (elicitation).
//!
//! One asks for a plain form; the others send schemas that exercise default
//! values (SEP-1034) and every enum shape (SEP-1330), which the suite checks
//! field by field in the request it receives.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, ElicitRequestParams, ElicitationSchema, Tool,
};
use serde_json::{Value, json};

use super::ask::{Question, ask, client_capabilities};
use super::{Call, no_arguments, string_argument, string_arguments};

/// Asks for a user name and an e-mail address.
pub(crate) const BASIC: &str = "test_elicitation";
/// Asks for one field of each primitive type, each with a default.
pub(crate) const DEFAULTS: &str = "test_elicitation_sep1034_defaults";
/// Asks for one field of each enum shape.
pub(crate) const ENUMS: &str = "test_elicitation_sep1330_enums";

/// Describes the elicitation tools.
pub(crate) fn tools() -> Vec<Tool> {
    let message = string_arguments(&[("message", "The message to show the user")]);
    vec![
        Tool::new(
            BASIC,
            "Asks the user for a user name and an e-mail address",
            message,
        ),
        Tool::new(
            DEFAULTS,
            "Asks the user for a form whose string, integer, number, enum and boolean \
             fields all have defaults",
            no_arguments(),
        ),
        Tool::new(
            ENUMS,
            "Asks the user for a form with untitled, titled and legacy single-select \
             enums and untitled and titled multi-select enums",
            no_arguments(),
        ),
    ]
}

/// Runs [`BASIC`].
pub(crate) async fn basic(call: &Call<'_>) -> Result<CallToolResponse, McpError> {
    let message = string_argument(call.params, "message")?;
    let reply = |result: &Value| format!("User response: {}", summary(result));
    elicit(call, message, basic_schema(), reply).await
}

/// Runs [`DEFAULTS`].
pub(crate) async fn defaults(call: &Call<'_>) -> Result<CallToolResponse, McpError> {
    let message = "Please review your profile; every field has a default".to_owned();
    let reply = |result: &Value| format!("Elicitation completed: {}", summary(result));
    elicit(call, message, defaults_schema(), reply).await
}

/// Runs [`ENUMS`].
pub(crate) async fn enums(call: &Call<'_>) -> Result<CallToolResponse, McpError> {
    let message = "Please pick from each list".to_owned();
    let reply = |result: &Value| format!("Elicitation completed: {}", summary(result));
    elicit(call, message, enums_schema(), reply).await
}

/// Sends one form elicitation and shapes the answer with `reply`.
async fn elicit(
    call: &Call<'_>,
    message: String,
    schema: Value,
    reply: impl FnOnce(&Value) -> String,
) -> Result<CallToolResponse, McpError> {
    if client_capabilities(call).elicitation.is_none() {
        let reason = "the client did not declare the elicitation capability";
        return Ok(CallToolResult::error(vec![ContentBlock::text(reason)]).into());
    }

    let requested_schema = parse_schema(schema)?;
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema,
    };

    let answer = ask(call, Question::Elicitation(params)).await;
    Ok(answer.respond(reply))
}

/// Reads one of this module's schemas into rmcp's typed form.
fn parse_schema(schema: Value) -> Result<ElicitationSchema, McpError> {
    serde_json::from_value(schema).map_err(|error| {
        let message = format!("elicitation schema is not valid: {error}");
        McpError::internal_error(message, None)
    })
}

/// `action=…, content=…` from an elicitation result.
fn summary(result: &Value) -> String {
    let action = result["action"].as_str().unwrap_or("unknown");
    let content = result.get("content").cloned().unwrap_or_else(|| json!({}));
    format!("action={action}, content={content}")
}

fn basic_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    })
}

fn defaults_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "Full name", "default": "John Doe" },
            "age": { "type": "integer", "description": "Age in years", "default": 30 },
            "score": { "type": "number", "description": "Last score", "default": 95.5 },
            "status": {
                "type": "string",
                "description": "Account status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": { "type": "boolean", "description": "Verified", "default": true }
        }
    })
}

fn enums_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ]
            },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
            },
            "titledMulti": {
                "type": "array",
                "items": {
                    "anyOf": [
                        { "const": "value1", "title": "First Choice" },
                        { "const": "value2", "title": "Second Choice" },
                        { "const": "value3", "title": "Third Choice" }
                    ]
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema as a client would receive it.
    fn on_the_wire(schema: Value) -> Value {
        let parsed = parse_schema(schema).unwrap_or_else(|error| panic!("{error:?}"));
        serde_json::to_value(parsed).unwrap_or_default()
    }

    #[test]
    fn defaults_survive_rmcp_typing() {
        let wire = on_the_wire(defaults_schema());
        let properties = &wire["properties"];
        assert_eq!(properties["name"]["default"], json!("John Doe"));
        assert_eq!(properties["age"]["default"], json!(30));
        assert_eq!(properties["score"]["default"], json!(95.5));
        assert_eq!(properties["status"]["default"], json!("active"));
        assert_eq!(
            properties["status"]["enum"],
            json!(["active", "inactive", "pending"])
        );
        assert_eq!(properties["verified"]["default"], json!(true));
    }

    #[test]
    fn every_enum_shape_survives_rmcp_typing() {
        let wire = on_the_wire(enums_schema());
        let properties = &wire["properties"];
        assert!(properties["untitledSingle"]["enum"].is_array());
        assert!(properties["untitledSingle"].get("oneOf").is_none());
        assert!(properties["titledSingle"]["oneOf"].is_array());
        assert!(properties["titledSingle"].get("enum").is_none());
        assert_eq!(
            properties["legacyEnum"]["enumNames"][2],
            json!("Option Three")
        );
        assert_eq!(
            properties["untitledMulti"]["items"]["type"],
            json!("string")
        );
        assert!(properties["titledMulti"]["items"]["anyOf"].is_array());
    }

    #[test]
    fn summaries_name_the_action_and_the_content() {
        let result = json!({ "action": "accept", "content": { "username": "u" } });
        assert_eq!(
            summary(&result),
            r#"action=accept, content={"username":"u"}"#
        );
        assert_eq!(
            summary(&json!({ "action": "decline" })),
            "action=decline, content={}"
        );
    }
}
