//! The `[identity]` section of `warden.toml`: which trust domains are accepted, the
//! audience JWT-SVIDs must name, and where the trust bundles come from.
//!
//! [`IdentityConfig::validate`] catches every mistake it can before anything is
//! loaded, each with a message that names the setting and the fix.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::clip;
use crate::{IdentityError, Refusal, SpiffeId, TrustDomain};

/// The environment variable that names the Workload API socket, per the SPIFFE
/// Workload Endpoint specification.
pub(crate) const ENDPOINT_SOCKET_ENV: &str = "SPIFFE_ENDPOINT_SOCKET";

/// The largest clock skew accepted: beyond it an expired token lives on too long.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// How the gateway recognises workload identities; deserialized from `[identity]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The trust domain whose workloads the gateway serves.
    pub trust_domain: TrustDomain,

    /// Further trust domains to accept, such as federated ones.
    #[serde(default)]
    pub extra_trust_domains: Vec<TrustDomain>,

    /// The audience a JWT-SVID must name: the gateway's SPIFFE ID or URI. Without
    /// it, JWT-SVIDs are not accepted.
    #[serde(default)]
    pub audience: Option<String>,

    /// A JWKS file with the keys that sign JWT-SVIDs, trusted for every accepted
    /// trust domain.
    #[serde(default)]
    pub jwt_bundle: Option<PathBuf>,

    /// A PEM file with the CA certificates that issue X.509-SVIDs, trusted for
    /// every accepted trust domain.
    #[serde(default)]
    pub x509_bundle: Option<PathBuf>,

    /// The SPIFFE Workload API socket (`unix:///path` or `tcp://ip:port`), the
    /// source of every bundle kind that has no file.
    #[serde(default)]
    pub workload_api_socket: Option<String>,

    /// Takes the Workload API socket from `SPIFFE_ENDPOINT_SOCKET`.
    #[serde(default)]
    pub workload_api: bool,

    /// How far token times may be off the gateway's clock.
    #[serde(default = "default_clock_skew", with = "humantime_serde")]
    pub clock_skew: Duration,

    /// How many verified JWT-SVIDs to remember; 0 turns the cache off.
    #[serde(default = "default_cache_size")]
    pub cache_size: usize,
}

fn default_clock_skew() -> Duration {
    Duration::from_secs(30)
}

fn default_cache_size() -> usize {
    10_000
}

impl IdentityConfig {
    /// Builds a configuration for `trust_domain` with the defaults and no bundle
    /// source, for callers that fill it in code.
    pub fn new(trust_domain: TrustDomain) -> Self {
        Self {
            trust_domain,
            extra_trust_domains: Vec::new(),
            audience: None,
            jwt_bundle: None,
            x509_bundle: None,
            workload_api_socket: None,
            workload_api: false,
            clock_skew: default_clock_skew(),
            cache_size: default_cache_size(),
        }
    }

    /// Resolves relative bundle paths against `base`, typically the directory of
    /// the configuration file.
    pub fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.jwt_bundle, &mut self.x509_bundle]
            .into_iter()
            .flatten()
        {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    /// Checks the settings against each other, reading `SPIFFE_ENDPOINT_SOCKET`
    /// when `workload_api = true`.
    pub fn validate(&self) -> Result<(), IdentityError> {
        let workload_api = self.workload_api_endpoint()?;
        if self.jwt_bundle.is_none() && self.x509_bundle.is_none() && workload_api.is_none() {
            return Err(IdentityError::NoBundleSource);
        }

        if self.jwt_bundle.is_some() && self.audience.is_none() {
            return Err(IdentityError::MissingAudience {
                trust_domain: self.trust_domain.clone(),
            });
        }

        if let Some(audience) = &self.audience {
            check_audience(audience)?;
        }

        if self.clock_skew > MAX_CLOCK_SKEW {
            return Err(IdentityError::ClockSkewTooLarge {
                skew: self.clock_skew,
                max: MAX_CLOCK_SKEW,
            });
        }

        Ok(())
    }

    /// Tells whether JWT-SVIDs can be accepted: an audience is set and a JWT bundle
    /// file or a Workload API is configured.
    pub fn accepts_jwt_svids(&self) -> bool {
        let has_source =
            self.jwt_bundle.is_some() || self.workload_api_socket.is_some() || self.workload_api;
        self.audience.is_some() && has_source
    }

    /// Returns every accepted trust domain, the primary one first.
    pub fn accepted_trust_domains(&self) -> impl Iterator<Item = &TrustDomain> {
        std::iter::once(&self.trust_domain).chain(&self.extra_trust_domains)
    }

    /// Tells whether `trust_domain` is accepted.
    pub fn accepts(&self, trust_domain: &TrustDomain) -> bool {
        self.accepted_trust_domains()
            .any(|accepted| accepted == trust_domain)
    }

    /// Returns the Workload API socket address, validated, if one is configured.
    pub fn workload_api_endpoint(&self) -> Result<Option<String>, IdentityError> {
        let socket = match (&self.workload_api_socket, self.workload_api) {
            (Some(socket), _) => socket.clone(),
            (None, true) => std::env::var(ENDPOINT_SOCKET_ENV)
                .map_err(|_| IdentityError::WorkloadApiSocketUnset)?,
            (None, false) => return Ok(None),
        };

        spiffe::transport::Endpoint::parse(&socket).map_err(|e| {
            IdentityError::InvalidWorkloadApiSocket {
                socket: socket.clone(),
                reason: e.to_string(),
            }
        })?;
        Ok(Some(socket))
    }

    /// Parses `value` as a SPIFFE ID of an accepted trust domain; `place` names
    /// where the value came from in the refusal.
    pub(crate) fn accepted_spiffe_id(
        &self,
        value: &str,
        place: &'static str,
    ) -> Result<SpiffeId, Refusal> {
        let spiffe_id: SpiffeId = value.parse().map_err(|e| Refusal::NotSpiffeId {
            place,
            value: clip(value),
            reason: format!("{e}"),
        })?;

        let trust_domain = spiffe_id.trust_domain();
        if !self.accepts(&trust_domain) {
            return Err(Refusal::UntrustedTrustDomain {
                spiffe_id,
                trust_domain,
                accepted: self.accepted_list(),
            });
        }
        Ok(spiffe_id)
    }

    /// Lists the accepted trust domains for messages, comma-separated.
    pub(crate) fn accepted_list(&self) -> String {
        let names: Vec<&str> = self
            .accepted_trust_domains()
            .map(TrustDomain::as_str)
            .collect();
        names.join(", ")
    }
}

/// Checks that an audience is a SPIFFE ID or an absolute URI with a scheme.
fn check_audience(audience: &str) -> Result<(), IdentityError> {
    let invalid = |reason: String| IdentityError::InvalidAudience {
        audience: audience.to_owned(),
        reason,
    };

    if audience.starts_with("spiffe:") {
        return audience
            .parse::<SpiffeId>()
            .map(drop)
            .map_err(|e| invalid(e.to_string()));
    }

    let Some((scheme, rest)) = audience.split_once(':') else {
        return Err(invalid(
            "it has no scheme such as `spiffe:` or `https:`".to_owned(),
        ));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Err(invalid(format!("`{scheme}:` does not start a uri")));
    }
    if audience
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid("it contains whitespace".to_owned()));
    }

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<IdentityConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn config(text: &str) -> IdentityConfig {
        parse(text).expect("configuration parses")
    }

    #[test]
    fn defaults_apply_to_a_minimal_section() {
        let config = config("trust_domain = \"example.org\"\nx509_bundle = \"roots.pem\"\n");

        assert_eq!(config.clock_skew, Duration::from_secs(30));
        assert_eq!(config.cache_size, 10_000);
        assert!(!config.accepts_jwt_svids());
        config.validate().expect("valid");
    }

    #[test]
    fn the_full_section_parses_with_humantime_durations() {
        let config = config(
            r#"
            trust_domain = "example.org"
            extra_trust_domains = ["partner.org"]
            audience = "spiffe://example.org/warden"
            jwt_bundle = "bundle.jwks"
            x509_bundle = "roots.pem"
            workload_api_socket = "unix:///run/spire/agent.sock"
            clock_skew = "1m 5s"
            cache_size = 10
            "#,
        );

        assert_eq!(config.clock_skew, Duration::from_secs(65));
        assert!(config.accepts(&"partner.org".parse().expect("valid")));
        assert_eq!(config.accepted_list(), "example.org, partner.org");
        assert!(config.accepts_jwt_svids());
        config.validate().expect("valid");
    }

    #[test]
    fn unknown_fields_and_bad_trust_domains_are_refused() {
        let unknown = parse("trust_domain = \"example.org\"\njwt_bundel = \"x\"\n");
        assert!(
            unknown
                .expect_err("refused")
                .contains("unknown field `jwt_bundel`")
        );

        let bad = parse("trust_domain = \"spiffe://example.org\"\n");
        let error = bad.expect_err("refused");
        assert!(error.contains("is not a valid trust domain"), "{error}");
    }

    #[test]
    fn a_section_without_any_bundle_source_is_refused() {
        let error = config("trust_domain = \"example.org\"\n").validate();

        assert!(
            matches!(error, Err(IdentityError::NoBundleSource)),
            "{error:?}"
        );
    }

    #[test]
    fn a_jwt_bundle_without_an_audience_is_refused() {
        let error = config("trust_domain = \"example.org\"\njwt_bundle = \"b.jwks\"\n").validate();

        assert!(
            matches!(error, Err(IdentityError::MissingAudience { .. })),
            "{error:?}"
        );
    }

    #[test]
    fn audiences_must_be_spiffe_ids_or_uris() {
        for bad in [
            "warden",
            "spiffe://example.org/warden/",
            ":x",
            "https:",
            "a b:c",
        ] {
            let text = format!(
                "trust_domain = \"example.org\"\njwt_bundle = \"b\"\naudience = \"{bad}\"\n"
            );
            let error = config(&text).validate();
            assert!(
                matches!(error, Err(IdentityError::InvalidAudience { .. })),
                "{bad}: {error:?}"
            );
        }

        for good in ["spiffe://example.org/warden", "https://warden.example.org"] {
            let text = format!(
                "trust_domain = \"example.org\"\njwt_bundle = \"b\"\naudience = \"{good}\"\n"
            );
            config(&text).validate().expect("valid audience");
        }
    }

    #[test]
    fn a_large_clock_skew_is_refused() {
        let text = "trust_domain = \"example.org\"\nx509_bundle = \"r\"\nclock_skew = \"1h\"\n";
        let error = config(text).validate();

        assert!(
            matches!(error, Err(IdentityError::ClockSkewTooLarge { .. })),
            "{error:?}"
        );
    }

    #[test]
    fn a_malformed_workload_api_socket_is_refused() {
        let text = "trust_domain = \"example.org\"\nworkload_api_socket = \"http://x\"\n";
        let error = config(text).validate();

        assert!(
            matches!(error, Err(IdentityError::InvalidWorkloadApiSocket { .. })),
            "{error:?}"
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_base_directory() {
        let mut config = config(concat!(
            "trust_domain = \"example.org\"\n",
            "jwt_bundle = \"b.jwks\"\n",
            "x509_bundle = \"/etc/r.pem\"\n",
        ));
        config.resolve_paths(Path::new("/srv/warden"));

        assert_eq!(config.jwt_bundle, Some(PathBuf::from("/srv/warden/b.jwks")));
        assert_eq!(config.x509_bundle, Some(PathBuf::from("/etc/r.pem")));
    }
}
