//! The MCP annotations of a tool, as the hints policies match on
//! (`annotation($tool, "destructive")`).
//!
//! Missing annotations take the defaults of the MCP specification, which are
//! the cautious reading: a tool that says nothing is neither read-only nor
//! idempotent, and may be destructive and reach the open world. A server
//! cannot escape a destructive-tools rule by leaving its hints out.

use rmcp::model::Tool;

/// The hints of `tool`, in a fixed order.
pub(crate) fn hints_of(tool: &Tool) -> Vec<&'static str> {
    let annotations = tool.annotations.as_ref();
    let read_only = annotations.and_then(|a| a.read_only_hint).unwrap_or(false);
    let destructive = !read_only && annotations.and_then(|a| a.destructive_hint).unwrap_or(true);
    let idempotent = read_only || annotations.and_then(|a| a.idempotent_hint).unwrap_or(false);
    let open_world = annotations.and_then(|a| a.open_world_hint).unwrap_or(true);

    [
        (read_only, "read_only"),
        (destructive, "destructive"),
        (idempotent, "idempotent"),
        (open_world, "open_world"),
    ]
    .into_iter()
    .filter_map(|(set, hint)| set.then_some(hint))
    .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rmcp::model::{JsonObject, ToolAnnotations};

    use super::*;

    fn tool(annotations: Option<ToolAnnotations>) -> Tool {
        let mut tool = Tool::new("t", "a tool", Arc::new(JsonObject::new()));
        tool.annotations = annotations;
        tool
    }

    #[test]
    fn a_tool_without_annotations_is_taken_as_destructive() {
        assert_eq!(hints_of(&tool(None)), ["destructive", "open_world"]);
    }

    #[test]
    fn a_read_only_tool_is_never_destructive() {
        let annotations = ToolAnnotations::new()
            .read_only(true)
            .destructive(true)
            .open_world(false);

        assert_eq!(
            hints_of(&tool(Some(annotations))),
            ["read_only", "idempotent"]
        );
    }
}
