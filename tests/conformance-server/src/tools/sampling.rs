//! `test_sampling`: asks the client's model to complete a prompt.
#![expect(
    deprecated,
    reason = "sampling is deprecated by SEP-2577, yet the conformance suite still checks it"
)]

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, CreateMessageRequestParams, SamplingMessage,
    Tool,
};
use serde_json::Value;

use super::ask::{Question, ask, client_capabilities};
use super::{Call, string_argument, string_arguments};

/// The tool's name.
pub(crate) const TOOL_NAME: &str = "test_sampling";

/// The most tokens the tool asks the client's model for.
const MAX_TOKENS: u32 = 100;

/// Describes the tool.
pub(crate) fn tools() -> Vec<Tool> {
    let schema = string_arguments(&[("prompt", "The prompt to send to the client's model")]);
    vec![Tool::new(
        TOOL_NAME,
        "Asks the client's model to answer a prompt (sampling)",
        schema,
    )]
}

/// Runs the tool: one `sampling/createMessage` with the prompt as the only
/// user message, then the model's text in the result.
pub(crate) async fn run(call: &Call<'_>) -> Result<CallToolResponse, McpError> {
    let prompt = string_argument(call.params, "prompt")?;

    if client_capabilities(call).sampling.is_none() {
        let reason = "the client did not declare the sampling capability";
        return Ok(CallToolResult::error(vec![ContentBlock::text(reason)]).into());
    }

    let params =
        CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], MAX_TOKENS);
    let answer = ask(call, Question::Sampling(params)).await;
    Ok(answer.respond(|result| format!("LLM response: {}", sampled_text(result))))
}

/// The text of a `sampling/createMessage` result, whether its content is a
/// single block or a list; anything else is shown as JSON.
fn sampled_text(result: &Value) -> String {
    let content = &result["content"];
    let blocks = match content.as_array() {
        Some(blocks) => blocks.iter().collect(),
        None => vec![content],
    };

    let texts: Vec<&str> = blocks
        .iter()
        .filter_map(|block| block["text"].as_str())
        .collect();
    if texts.is_empty() {
        content.to_string()
    } else {
        texts.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sampled_text_reads_single_and_listed_content() {
        let single = json!({ "content": { "type": "text", "text": "hi" } });
        assert_eq!(sampled_text(&single), "hi");

        let a = json!({ "type": "text", "text": "a" });
        let b = json!({ "type": "text", "text": "b" });
        let listed = json!({ "content": [a, b] });
        assert_eq!(sampled_text(&listed), "a\nb");
    }
}
