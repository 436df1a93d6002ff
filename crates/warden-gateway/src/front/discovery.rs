//! OAuth 2.0 protected-resource metadata (RFC 9728), which MCP clients read
//! to learn how to authenticate to `/mcp`.
//!
//! The metadata is served at the root well-known path and at the path-suffixed
//! one (`/.well-known/oauth-protected-resource/mcp`); MCP clients try both.

use axum::Json;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use serde_json::{Value, json};

/// Where the metadata lives, relative to the listener's origin.
pub(crate) const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";
/// The same document for the `/mcp` resource, per RFC 9728 section 3.1.
pub(crate) const METADATA_PATH_MCP: &str = "/.well-known/oauth-protected-resource/mcp";

/// What the metadata says and how its URLs are formed.
pub(crate) struct ResourceMetadata {
    /// `http` or `https`.
    scheme: &'static str,
    /// The authority used when a request's `Host` is not an accepted one.
    fallback_authority: String,
    /// `Host` values that may appear in URLs the gateway hands out.
    allowed_hosts: Vec<String>,
    authorization_servers: Vec<String>,
    /// The configured public origin, which overrides everything else.
    public_origin: Option<String>,
}

impl ResourceMetadata {
    pub(crate) fn new(
        tls: bool,
        fallback_authority: String,
        allowed_hosts: Vec<String>,
        authorization_servers: Vec<String>,
    ) -> Self {
        Self {
            scheme: if tls { "https" } else { "http" },
            fallback_authority,
            allowed_hosts,
            authorization_servers,
            public_origin: None,
        }
    }

    /// Names `origin` (`scheme://host[:port]`) in every URL, whatever the
    /// request's `Host`: for a gateway reached through a proxy.
    pub(crate) fn with_public_origin(mut self, origin: Option<String>) -> Self {
        self.public_origin = origin;
        self
    }

    /// The origin of this listener as the client addressed it, when the
    /// client's `Host` is one the gateway answers to; never a name an
    /// attacker chose.
    fn origin(&self, headers: &HeaderMap) -> String {
        if let Some(origin) = &self.public_origin {
            return origin.clone();
        }
        let requested = headers.get(HOST).and_then(|value| value.to_str().ok());
        let authority = requested
            .filter(|authority| self.is_allowed(authority))
            .unwrap_or(&self.fallback_authority);
        format!("{}://{authority}", self.scheme)
    }

    fn is_allowed(&self, authority: &str) -> bool {
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed_hosts
            .iter()
            .any(|allowed| allowed == authority || allowed == host)
    }

    /// The URL that `WWW-Authenticate` challenges point to.
    pub(crate) fn url(&self, headers: &HeaderMap) -> String {
        format!("{}{METADATA_PATH_MCP}", self.origin(headers))
    }

    /// The metadata document.
    pub(crate) fn document(&self, headers: &HeaderMap) -> Json<Value> {
        let mut document = json!({
            "resource": format!("{}/mcp", self.origin(headers)),
            "resource_name": "Warden MCP gateway",
            "bearer_methods_supported": ["header"],
            "token_types_supported": ["JWT-SVID"],
        });
        if !self.authorization_servers.is_empty() {
            document["authorization_servers"] = json!(self.authorization_servers);
        }
        Json(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, host.parse().expect("header value"));
        headers
    }

    fn metadata() -> ResourceMetadata {
        ResourceMetadata::new(
            false,
            "127.0.0.1:7420".to_owned(),
            vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            vec!["https://auth.example.org".to_owned()],
        )
    }

    #[test]
    fn the_resource_is_named_as_the_client_addressed_it() {
        let document = metadata().document(&headers("localhost:7420"));

        assert_eq!(document["resource"], "http://localhost:7420/mcp");
        assert_eq!(
            document["authorization_servers"],
            json!(["https://auth.example.org"])
        );
    }

    #[test]
    fn a_foreign_host_never_appears_in_a_url() {
        let url = metadata().url(&headers("evil.example:7420"));

        assert_eq!(
            url,
            "http://127.0.0.1:7420/.well-known/oauth-protected-resource/mcp"
        );
    }
}
