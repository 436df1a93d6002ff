//! Argument completion (`completion/complete`) for the prompt and the
//! resource template that take arguments.
//!
//! Suggestions are the fixed candidates that start with what the client has
//! typed so far; unknown references get an empty list, not an error.

use rmcp::ErrorData as McpError;
use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference};

use crate::{prompts, resources};

/// Suggests values for the argument the request names.
pub(crate) fn complete(request: &CompleteRequestParams) -> Result<CompleteResult, McpError> {
    let argument = request.argument.name.as_str();
    let candidates: &[&str] = match &request.r#ref {
        Reference::Prompt(prompt) => prompts::argument_values(&prompt.name, argument),
        Reference::Resource(template)
            if template.uri == resources::TEMPLATE && argument == "id" =>
        {
            resources::template_ids()
        }
        _ => &[],
    };

    let typed = request.argument.value.as_str();
    let values = candidates
        .iter()
        .filter(|candidate| candidate.starts_with(typed))
        .map(|candidate| candidate.to_string())
        .collect();

    let completion = CompletionInfo::with_all_values(values)
        .map_err(|reason| McpError::internal_error(reason, None))?;
    Ok(CompleteResult::new(completion))
}

#[cfg(test)]
mod tests {
    use rmcp::model::ArgumentInfo;

    use super::*;

    fn values(reference: Reference, name: &str, typed: &str) -> Vec<String> {
        let argument = ArgumentInfo::new(name, typed);
        let request = CompleteRequestParams::new(reference, argument);
        complete(&request)
            .map(|result| result.completion.values)
            .unwrap_or_default()
    }

    #[test]
    fn prompt_arguments_complete_by_prefix() {
        let found = values(
            Reference::for_prompt(prompts::WITH_ARGUMENTS),
            "arg1",
            "par",
        );
        assert_eq!(found, vec!["paris", "park", "party"]);
    }

    #[test]
    fn template_ids_complete_by_prefix() {
        let found = values(Reference::for_resource(resources::TEMPLATE), "id", "12");
        assert_eq!(found, vec!["123"]);
    }

    #[test]
    fn unknown_references_complete_to_nothing() {
        assert!(values(Reference::for_prompt("nope"), "x", "").is_empty());
    }
}
