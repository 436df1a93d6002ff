//! Tools that return fixed content, one per content type, and one that
//! always fails.

use rmcp::model::{CallToolResult, ContentBlock, ResourceContents, Tool};

use super::no_arguments;
use crate::fixtures::{PNG, RED_PIXEL_PNG, SILENCE_WAV, WAV};

/// Returns one text block.
pub(crate) const SIMPLE_TEXT: &str = "test_simple_text";
/// Returns one PNG image block.
pub(crate) const IMAGE: &str = "test_image_content";
/// Returns one WAV audio block.
pub(crate) const AUDIO: &str = "test_audio_content";
/// Returns one embedded text resource.
pub(crate) const EMBEDDED_RESOURCE: &str = "test_embedded_resource";
/// Returns text, an image and an embedded resource together.
pub(crate) const MIXED: &str = "test_multiple_content_types";
/// Returns a tool error.
pub(crate) const ERROR: &str = "test_error_handling";

/// Describes the content tools.
pub(crate) fn tools() -> Vec<Tool> {
    [
        (SIMPLE_TEXT, "Answers with a single fixed text block"),
        (IMAGE, "Answers with a 1x1 red PNG image"),
        (AUDIO, "Answers with a short silent WAV clip"),
        (EMBEDDED_RESOURCE, "Answers with an embedded text resource"),
        (
            MIXED,
            "Answers with a text block, an image and an embedded JSON resource",
        ),
        (ERROR, "Always fails, reporting the failure as a tool error"),
    ]
    .into_iter()
    .map(|(name, description)| Tool::new(name, description, no_arguments()))
    .collect()
}

/// The answer of [`SIMPLE_TEXT`].
pub(crate) fn simple_text() -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(
        "This is a simple text response for testing.",
    )])
}

/// The answer of [`IMAGE`].
pub(crate) fn image() -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::image(RED_PIXEL_PNG, PNG)])
}

/// The answer of [`AUDIO`].
pub(crate) fn audio() -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::audio(SILENCE_WAV, WAV)])
}

/// The answer of [`EMBEDDED_RESOURCE`].
pub(crate) fn embedded_resource() -> CallToolResult {
    let resource = ResourceContents::text(
        "This is an embedded resource content.",
        "test://embedded-resource",
    );
    CallToolResult::success(vec![ContentBlock::resource(resource)])
}

/// The answer of [`MIXED`].
pub(crate) fn mixed() -> CallToolResult {
    let json = serde_json::json!({ "test": "data", "value": 123 }).to_string();
    let resource = ResourceContents::text(json, "test://mixed-content-resource")
        .with_mime_type("application/json");

    CallToolResult::success(vec![
        ContentBlock::text("Multiple content types test:"),
        ContentBlock::image(RED_PIXEL_PNG, PNG),
        ContentBlock::resource(resource),
    ])
}

/// The answer of [`ERROR`].
pub(crate) fn error() -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(
        "This tool intentionally returns an error for testing",
    )])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mixed_content_carries_text_image_and_resource() {
        let value = serde_json::to_value(mixed()).unwrap_or_default();
        let types: Vec<_> = value["content"]
            .as_array()
            .map(|blocks| blocks.iter().map(|block| block["type"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(
            types,
            vec![json!("text"), json!("image"), json!("resource")]
        );
        assert_eq!(
            value["content"][2]["resource"]["mimeType"],
            json!("application/json")
        );
    }

    #[test]
    fn the_error_tool_sets_is_error() {
        let value = serde_json::to_value(error()).unwrap_or_default();
        assert_eq!(value["isError"], json!(true));
    }
}
