//! `json_schema_2020_12_tool`: a tool whose input schema uses JSON Schema
//! 2020-12 keywords (`$schema`, `$defs`, `$ref`, `additionalProperties`).
//!
//! The suite checks that these keywords reach the client untouched (SEP-1613),
//! which is also a check that nothing between the two rewrites schemas.

use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde_json::json;

use super::{Call, object_schema};

/// The tool's name.
pub(crate) const TOOL_NAME: &str = "json_schema_2020_12_tool";

/// Describes the tool.
pub(crate) fn tools() -> Vec<Tool> {
    let schema = object_schema(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {
                    "street": { "type": "string" },
                    "city": { "type": "string" }
                }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" }
        },
        "additionalProperties": false
    }));
    vec![Tool::new(
        TOOL_NAME,
        "Tool with JSON Schema 2020-12 features",
        schema,
    )]
}

/// Runs the tool: echoes the arguments it was given.
pub(crate) fn run(call: &Call<'_>) -> CallToolResult {
    let arguments = call.params.arguments.clone().unwrap_or_default();
    let echo = serde_json::Value::Object(arguments);
    CallToolResult::success(vec![ContentBlock::text(format!(
        "Received arguments: {echo}"
    ))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_keeps_its_2020_12_keywords() {
        let tools = tools();
        let schema = &tools[0].input_schema;
        assert!(schema.contains_key("$schema"));
        assert!(schema["$defs"].get("address").is_some());
        assert_eq!(schema.get("additionalProperties"), Some(&json!(false)));
    }
}
