//! The resources and the resource template the conformance scenarios read.
//!
//! All of them live under `test://`. The template `test://template/{id}/data`
//! answers for any single-segment id.

use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::json;

use crate::fixtures::{PNG, RED_PIXEL_PNG};

/// A plain text resource.
const STATIC_TEXT: &str = "test://static-text";
/// A PNG resource.
const STATIC_BINARY: &str = "test://static-binary";
/// A resource clients subscribe to.
const WATCHED: &str = "test://watched-resource";

/// The template's URI, in RFC 6570 form.
pub(crate) const TEMPLATE: &str = "test://template/{id}/data";
const TEMPLATE_PREFIX: &str = "test://template/";
const TEMPLATE_SUFFIX: &str = "/data";

const TEXT: &str = "text/plain";
const JSON: &str = "application/json";

/// Describes the direct resources (templates are listed separately).
pub(crate) fn list() -> Vec<Resource> {
    vec![
        Resource::new(STATIC_TEXT, "static-text")
            .with_description("A fixed plain text resource")
            .with_mime_type(TEXT),
        Resource::new(STATIC_BINARY, "static-binary")
            .with_description("A fixed 1x1 PNG image")
            .with_mime_type(PNG),
        Resource::new(WATCHED, "watched-resource")
            .with_description("A text resource that clients may subscribe to")
            .with_mime_type(TEXT),
    ]
}

/// Describes the resource templates.
pub(crate) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(TEMPLATE, "template-data")
            .with_description("JSON data for the id in the URI")
            .with_mime_type(JSON),
    ]
}

/// Tells whether `uri` names a resource this server can read.
pub(crate) fn exists(uri: &str) -> bool {
    matches!(uri, STATIC_TEXT | STATIC_BINARY | WATCHED) || template_id(uri).is_some()
}

/// Reads the resource at `uri`.
pub(crate) fn read(uri: &str) -> Result<ReadResourceResult, McpError> {
    let contents = match uri {
        STATIC_TEXT => {
            ResourceContents::text("This is the content of the static text resource.", uri)
        }
        STATIC_BINARY => ResourceContents::blob(RED_PIXEL_PNG, uri).with_mime_type(PNG),
        WATCHED => ResourceContents::text("This is the content of the watched resource.", uri),
        _ => match template_id(uri) {
            Some(id) => template_contents(uri, id),
            None => {
                let message = format!("no resource at `{uri}`");
                return Err(McpError::resource_not_found(
                    message,
                    Some(json!({ "uri": uri })),
                ));
            }
        },
    };
    Ok(ReadResourceResult::new(vec![contents]))
}

/// Candidate ids for the template, for `completion/complete`.
pub(crate) fn template_ids() -> &'static [&'static str] {
    &["1", "2", "3", "123"]
}

/// The id in a URI that matches [`TEMPLATE`]: one non-empty path segment.
fn template_id(uri: &str) -> Option<&str> {
    let id = uri
        .strip_prefix(TEMPLATE_PREFIX)?
        .strip_suffix(TEMPLATE_SUFFIX)?;
    let single_segment = !id.is_empty() && !id.contains('/');
    single_segment.then_some(id)
}

fn template_contents(uri: &str, id: &str) -> ResourceContents {
    let data = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
    ResourceContents::text(data.to_string(), uri).with_mime_type(JSON)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_ids_are_single_segments() {
        assert_eq!(template_id("test://template/123/data"), Some("123"));
        assert_eq!(template_id("test://template//data"), None);
        assert_eq!(template_id("test://template/a/b/data"), None);
        assert_eq!(template_id("test://template/123"), None);
    }

    #[test]
    fn template_reads_substitute_the_id() {
        let result = read("test://template/123/data").map(|result| result.contents);
        let text = serde_json::to_string(&result.ok()).unwrap_or_default();
        assert!(text.contains(r#"\"id\":\"123\""#));
        assert!(text.contains("Data for ID: 123"));
    }

    #[test]
    fn unknown_uris_are_not_found() {
        assert!(read("test://nothing-here").is_err());
        assert!(!exists("test://nothing-here"));
    }
}
