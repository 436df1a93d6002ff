//! What one upstream offers: its tools, prompts, resources and resource
//! templates, read page by page and kept until the upstream says they changed.

use rmcp::model::{
    ClientRequest, PaginatedRequestParams, Prompt, RequestOptionalParam, Resource,
    ResourceTemplate, ServerResult, Tool,
};
use rmcp::service::{Peer, RoleClient, ServiceError};

/// Upper bound on pages read from one listing, so that an upstream that keeps
/// returning cursors cannot stall a refresh forever.
const MAX_PAGES: usize = 1000;

/// One upstream's offer, under its own (unprefixed) names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub(crate) tools: Vec<Tool>,
    pub(crate) prompts: Vec<Prompt>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) templates: Vec<ResourceTemplate>,
}

/// Which listings the upstream advertised in its capabilities.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Offers {
    pub(crate) tools: bool,
    pub(crate) prompts: bool,
    pub(crate) resources: bool,
}

/// A listing that failed, named so that the log says which one.
#[derive(Debug, thiserror::Error)]
#[error("listing {what} failed: {source}")]
pub(crate) struct CatalogError {
    what: &'static str,
    source: ServiceError,
}

impl Catalog {
    /// Reads every page of every listing the upstream offers.
    pub(crate) async fn fetch(
        peer: &Peer<RoleClient>,
        offers: Offers,
    ) -> Result<Self, CatalogError> {
        let mut catalog = Self::default();
        if offers.tools {
            catalog.tools = list_all(peer, "tools", tools_page()).await?;
        }
        if offers.prompts {
            catalog.prompts = list_all(peer, "prompts", prompts_page()).await?;
        }
        if offers.resources {
            catalog.resources = list_all(peer, "resources", resources_page()).await?;
            catalog.templates = list_all(peer, "resource templates", templates_page()).await?;
        }
        Ok(catalog)
    }
}

type Page<T> = (Vec<T>, Option<String>);

/// Builds the request for one page and takes the page apart from the result.
trait Listing<T> {
    fn request(&self, params: Option<PaginatedRequestParams>) -> ClientRequest;
    fn page(&self, result: ServerResult) -> Option<Page<T>>;
}

impl<T, R, P> Listing<T> for (R, P)
where
    R: Fn(Option<PaginatedRequestParams>) -> ClientRequest,
    P: Fn(ServerResult) -> Option<Page<T>>,
{
    fn request(&self, params: Option<PaginatedRequestParams>) -> ClientRequest {
        (self.0)(params)
    }

    fn page(&self, result: ServerResult) -> Option<Page<T>> {
        (self.1)(result)
    }
}

async fn list_all<T>(
    peer: &Peer<RoleClient>,
    what: &'static str,
    listing: impl Listing<T>,
) -> Result<Vec<T>, CatalogError> {
    let fail = |source| CatalogError { what, source };
    let mut items = Vec::new();
    let mut cursor = None;

    for _ in 0..MAX_PAGES {
        let params =
            cursor.map(|cursor| PaginatedRequestParams::default().with_cursor(Some(cursor)));
        let result = peer
            .send_request(listing.request(params))
            .await
            .map_err(fail)?;
        let (page, next) = listing
            .page(result)
            .ok_or_else(|| fail(ServiceError::UnexpectedResponse))?;

        items.extend(page);
        match next {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => return Ok(items),
        }
    }
    tracing::warn!(
        listing = what,
        pages = MAX_PAGES,
        "upstream listing truncated"
    );
    Ok(items)
}

fn optional<M: Default, P>(params: Option<P>) -> RequestOptionalParam<M, P> {
    RequestOptionalParam {
        method: M::default(),
        params,
        extensions: Default::default(),
    }
}

fn tools_page() -> impl Listing<Tool> {
    (
        |params| ClientRequest::ListToolsRequest(optional(params)),
        |result| match result {
            ServerResult::ListToolsResult(page) => Some((page.tools, page.next_cursor)),
            _ => None,
        },
    )
}

fn prompts_page() -> impl Listing<Prompt> {
    (
        |params| ClientRequest::ListPromptsRequest(optional(params)),
        |result| match result {
            ServerResult::ListPromptsResult(page) => Some((page.prompts, page.next_cursor)),
            _ => None,
        },
    )
}

fn resources_page() -> impl Listing<Resource> {
    (
        |params| ClientRequest::ListResourcesRequest(optional(params)),
        |result| match result {
            ServerResult::ListResourcesResult(page) => Some((page.resources, page.next_cursor)),
            _ => None,
        },
    )
}

fn templates_page() -> impl Listing<ResourceTemplate> {
    (
        |params| ClientRequest::ListResourceTemplatesRequest(optional(params)),
        |result| match result {
            ServerResult::ListResourceTemplatesResult(page) => {
                Some((page.resource_templates, page.next_cursor))
            }
            _ => None,
        },
    )
}
