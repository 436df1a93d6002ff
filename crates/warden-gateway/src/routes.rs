//! The names an agent sees, mapped to the upstream that serves each one.
//!
//! Tools and prompts are re-exported as `prefix.name` (or unchanged under an
//! empty prefix). Resource URIs are never rewritten, because clients give
//! schemes such as `file://` a meaning; reads are routed by exact URI, then by
//! the upstreams' URI templates.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

use crate::upstream::catalog::Catalog;
use crate::uri_template::UriTemplate;

/// Where an exported name leads: an upstream, by index, and its own name there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) upstream: usize,
    pub(crate) name: String,
}

/// Two upstreams exporting the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Collision {
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) kept: usize,
    pub(crate) dropped: usize,
}

/// The routing table, rebuilt whenever any upstream's catalog changes.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    tools: HashMap<String, Route>,
    /// The MCP annotation hints of each exported tool, for policy.
    hints: HashMap<String, Vec<&'static str>>,
    prompts: HashMap<String, Route>,
    resources: HashMap<String, usize>,
    templates: Vec<(UriTemplate, usize)>,
    pub(crate) tool_list: Arc<Vec<Tool>>,
    pub(crate) prompt_list: Arc<Vec<Prompt>>,
    pub(crate) resource_list: Arc<Vec<Resource>>,
    pub(crate) template_list: Arc<Vec<ResourceTemplate>>,
}

/// One upstream as the routing table sees it.
pub(crate) struct Source<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) catalog: Option<&'a Catalog>,
}

/// Joins a prefix and an upstream's own name into the exported name.
pub(crate) fn export_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Routes {
    /// Builds the table; on a name clash the earlier upstream keeps the name.
    pub(crate) fn build(sources: &[Source<'_>]) -> (Self, Vec<Collision>) {
        let mut builder = Builder::default();
        for (index, source) in sources.iter().enumerate() {
            if let Some(catalog) = source.catalog {
                builder.add(index, source.prefix, catalog);
            }
        }
        builder.finish()
    }

    /// The upstream and original name behind an exported tool name.
    pub(crate) fn tool(&self, name: &str) -> Option<&Route> {
        self.tools.get(name)
    }

    /// The annotation hints of an exported tool; none for an unknown name.
    pub(crate) fn hints(&self, name: &str) -> &[&'static str] {
        self.hints.get(name).map_or(&[], Vec::as_slice)
    }

    /// The upstream and original name behind an exported prompt name.
    pub(crate) fn prompt(&self, name: &str) -> Option<&Route> {
        self.prompts.get(name)
    }

    /// The upstream that serves a resource URI: a listed resource first, then
    /// the first template that matches.
    pub(crate) fn resource(&self, uri: &str) -> Option<usize> {
        self.resources.get(uri).copied().or_else(|| {
            self.templates
                .iter()
                .find(|(template, _)| template.matches(uri))
                .map(|(_, upstream)| *upstream)
        })
    }

    /// The upstream behind an exported resource template.
    pub(crate) fn template(&self, uri_template: &str) -> Option<usize> {
        self.templates
            .iter()
            .find(|(template, _)| template.source() == uri_template)
            .map(|(_, upstream)| *upstream)
    }
}

#[derive(Default)]
struct Builder {
    routes: Routes,
    tools: Vec<Tool>,
    prompts: Vec<Prompt>,
    resources: Vec<Resource>,
    templates: Vec<ResourceTemplate>,
    collisions: Vec<Collision>,
}

impl Builder {
    fn add(&mut self, upstream: usize, prefix: &str, catalog: &Catalog) {
        for tool in &catalog.tools {
            let exported = export_name(prefix, &tool.name);
            if self.claim_tool(upstream, &exported, &tool.name) {
                self.routes
                    .hints
                    .insert(exported.clone(), crate::hints::hints_of(tool));
                let mut tool = tool.clone();
                tool.name = exported.into();
                self.tools.push(tool);
            }
        }

        for prompt in &catalog.prompts {
            let exported = export_name(prefix, &prompt.name);
            if self.claim_prompt(upstream, &exported, &prompt.name) {
                let mut prompt = prompt.clone();
                prompt.name = exported;
                self.prompts.push(prompt);
            }
        }

        for resource in &catalog.resources {
            if self.claim_resource(upstream, &resource.uri) {
                let mut resource = resource.clone();
                resource.name = export_name(prefix, &resource.name);
                self.resources.push(resource);
            }
        }

        for template in &catalog.templates {
            let mut template = template.clone();
            self.routes
                .templates
                .push((UriTemplate::new(&template.uri_template), upstream));
            template.name = export_name(prefix, &template.name);
            self.templates.push(template);
        }
    }

    fn claim_tool(&mut self, upstream: usize, exported: &str, name: &str) -> bool {
        claim(
            &mut self.routes.tools,
            &mut self.collisions,
            "tool",
            upstream,
            exported,
            name,
        )
    }

    fn claim_prompt(&mut self, upstream: usize, exported: &str, name: &str) -> bool {
        claim(
            &mut self.routes.prompts,
            &mut self.collisions,
            "prompt",
            upstream,
            exported,
            name,
        )
    }

    fn claim_resource(&mut self, upstream: usize, uri: &str) -> bool {
        if let Some(&kept) = self.routes.resources.get(uri) {
            if kept != upstream {
                self.collisions.push(Collision {
                    kind: "resource",
                    name: uri.to_owned(),
                    kept,
                    dropped: upstream,
                });
            }
            return false;
        }
        self.routes.resources.insert(uri.to_owned(), upstream);
        true
    }

    fn finish(mut self) -> (Routes, Vec<Collision>) {
        self.routes.tool_list = Arc::new(self.tools);
        self.routes.prompt_list = Arc::new(self.prompts);
        self.routes.resource_list = Arc::new(self.resources);
        self.routes.template_list = Arc::new(self.templates);
        (self.routes, self.collisions)
    }
}

fn claim(
    table: &mut HashMap<String, Route>,
    collisions: &mut Vec<Collision>,
    kind: &'static str,
    upstream: usize,
    exported: &str,
    name: &str,
) -> bool {
    if let Some(kept) = table.get(exported) {
        collisions.push(Collision {
            kind,
            name: exported.to_owned(),
            kept: kept.upstream,
            dropped: upstream,
        });
        return false;
    }

    let route = Route {
        upstream,
        name: name.to_owned(),
    };
    table.insert(exported.to_owned(), route);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::JsonObject;

    fn tool(name: &str) -> Tool {
        Tool::new(name.to_owned(), "test tool", Arc::new(JsonObject::new()))
    }

    fn catalog(tools: &[&str]) -> Catalog {
        Catalog {
            tools: tools.iter().map(|name| tool(name)).collect(),
            ..Catalog::default()
        }
    }

    #[test]
    fn prefixed_names_route_to_their_upstream() {
        let (a, b) = (catalog(&["read"]), catalog(&["read"]));
        let sources = [
            Source {
                prefix: "fs",
                catalog: Some(&a),
            },
            Source {
                prefix: "git",
                catalog: Some(&b),
            },
        ];

        let (routes, collisions) = Routes::build(&sources);

        assert!(collisions.is_empty());
        let route = routes
            .tool("git.read")
            .map(|route| (route.upstream, route.name.as_str()));
        assert_eq!(route, Some((1, "read")));
        let names: Vec<_> = routes
            .tool_list
            .iter()
            .map(|tool| tool.name.to_string())
            .collect();
        assert_eq!(names, ["fs.read", "git.read"]);
    }

    #[test]
    fn empty_prefix_clash_keeps_the_first_upstream_and_reports_it() {
        let (a, b) = (catalog(&["read"]), catalog(&["read", "write"]));
        let sources = [
            Source {
                prefix: "",
                catalog: Some(&a),
            },
            Source {
                prefix: "",
                catalog: Some(&b),
            },
        ];

        let (routes, collisions) = Routes::build(&sources);

        assert_eq!(
            collisions,
            [Collision {
                kind: "tool",
                name: "read".into(),
                kept: 0,
                dropped: 1
            }]
        );
        assert_eq!(routes.tool("read").map(|route| route.upstream), Some(0));
        assert_eq!(routes.tool("write").map(|route| route.upstream), Some(1));
    }

    #[test]
    fn unavailable_upstream_exports_nothing() {
        let sources = [Source {
            prefix: "fs",
            catalog: None,
        }];

        let (routes, _) = Routes::build(&sources);

        assert!(routes.tool_list.is_empty());
        assert!(routes.tool("fs.read").is_none());
    }
}
