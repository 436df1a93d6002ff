//! The prompts the conformance scenarios list and get.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    ContentBlock, GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage,
    ResourceContents, Role,
};

use crate::fixtures::{PNG, RED_PIXEL_PNG};

/// A prompt without arguments.
const SIMPLE: &str = "test_simple_prompt";
/// A prompt that quotes its two arguments.
pub(crate) const WITH_ARGUMENTS: &str = "test_prompt_with_arguments";
/// A prompt that embeds the resource it is given.
const WITH_EMBEDDED_RESOURCE: &str = "test_prompt_with_embedded_resource";
/// A prompt that carries an image.
const WITH_IMAGE: &str = "test_prompt_with_image";

/// Describes every prompt.
pub(crate) fn list() -> Vec<Prompt> {
    vec![
        Prompt::new(SIMPLE, Some("A fixed prompt without arguments"), None),
        Prompt::new(
            WITH_ARGUMENTS,
            Some("A prompt that quotes both of its arguments"),
            Some(vec![
                required_argument("arg1", "First test argument"),
                required_argument("arg2", "Second test argument"),
            ]),
        ),
        Prompt::new(
            WITH_EMBEDDED_RESOURCE,
            Some("A prompt that embeds a text resource under the given URI"),
            Some(vec![required_argument(
                "resourceUri",
                "URI of the resource to embed",
            )]),
        ),
        Prompt::new(
            WITH_IMAGE,
            Some("A prompt that shows a small PNG image"),
            None,
        ),
    ]
}

/// Builds the named prompt from its arguments.
pub(crate) fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, McpError> {
    let arguments = Arguments(arguments);

    let messages = match name {
        SIMPLE => vec![user_text("This is a simple prompt for testing.")],
        WITH_ARGUMENTS => {
            let (first, second) = (arguments.string("arg1")?, arguments.string("arg2")?);
            let text = format!("Prompt with arguments: arg1='{first}', arg2='{second}'");
            vec![user_text(&text)]
        }
        WITH_EMBEDDED_RESOURCE => {
            let uri = arguments.string("resourceUri")?;
            let resource = ResourceContents::text("Embedded resource content for testing.", uri);
            vec![
                PromptMessage::new(Role::User, ContentBlock::resource(resource)),
                user_text("Please process the embedded resource above."),
            ]
        }
        WITH_IMAGE => vec![
            PromptMessage::new(Role::User, ContentBlock::image(RED_PIXEL_PNG, PNG)),
            user_text("Please analyze the image above."),
        ],
        other => {
            let message = format!("unknown prompt `{other}`");
            return Err(McpError::invalid_params(message, None));
        }
    };

    Ok(GetPromptResult::new(messages))
}

/// Candidate values for a prompt argument, for `completion/complete`.
pub(crate) fn argument_values(prompt: &str, argument: &str) -> &'static [&'static str] {
    match (prompt, argument) {
        (WITH_ARGUMENTS, "arg1") => &["paris", "park", "party", "test", "testValue1"],
        (WITH_ARGUMENTS, "arg2") => &["world", "wonder", "testValue2"],
        _ => &[],
    }
}

/// A prompt's arguments, which clients send as a map of strings.
struct Arguments<'a>(Option<&'a JsonObject>);

impl Arguments<'_> {
    fn string(&self, name: &str) -> Result<String, McpError> {
        let value = self.0.and_then(|arguments| arguments.get(name));
        match value.and_then(|value| value.as_str()) {
            Some(text) => Ok(text.to_owned()),
            None => {
                let message = format!("argument `{name}` is required");
                Err(McpError::invalid_params(message, None))
            }
        }
    }
}

fn required_argument(name: &str, description: &str) -> PromptArgument {
    PromptArgument::new(name)
        .with_description(description)
        .with_required(true)
}

fn user_text(text: &str) -> PromptMessage {
    PromptMessage::new_text(Role::User, text)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;

    #[test]
    fn arguments_are_quoted_into_the_prompt() {
        let arguments = json!({ "arg1": "hello", "arg2": "world" });
        let result = get(WITH_ARGUMENTS, arguments.as_object());
        let text = serde_json::to_string(&result.ok()).unwrap_or_default();
        assert!(text.contains("arg1='hello', arg2='world'"));
    }

    #[test]
    fn a_missing_argument_is_refused() {
        assert!(get(WITH_EMBEDDED_RESOURCE, None).is_err());
    }

    #[test]
    fn prompt_names_are_unique_and_described() {
        let prompts = list();
        let names: HashSet<_> = prompts.iter().map(|prompt| prompt.name.as_str()).collect();
        assert_eq!(names.len(), prompts.len());
        assert!(prompts.iter().all(|prompt| prompt.description.is_some()));
    }
}
