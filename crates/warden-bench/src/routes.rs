//! The three paths a call can take to the same upstream, and where each one listens.

/// One way for the client to reach the upstream's tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Straight to the upstream's MCP endpoint.
    Direct,
    /// Through the bare pass-through HTTP hop: the floor any gateway pays.
    Hop,
    /// Through the real `warden` gateway.
    Warden,
}

impl Route {
    /// Every route, in the order the report lists them.
    pub(crate) const ALL: [Self; 3] = [Self::Direct, Self::Hop, Self::Warden];

    /// The route's name in the report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Hop => "bare hop",
            Self::Warden => "warden",
        }
    }

    /// The route's position in [`Route::ALL`], for arrays indexed by route.
    pub(crate) fn index(self) -> usize {
        match self {
            Self::Direct => 0,
            Self::Hop => 1,
            Self::Warden => 2,
        }
    }
}

/// The MCP endpoint of each route.
#[derive(Debug, Clone)]
pub(crate) struct Targets {
    /// The upstream's own URL.
    pub(crate) direct: String,
    /// The hop's URL.
    pub(crate) hop: String,
    /// Warden's URL.
    pub(crate) warden: String,
}

impl Targets {
    /// The URL a client of `route` connects to.
    pub(crate) fn url(&self, route: Route) -> &str {
        match route {
            Route::Direct => &self.direct,
            Route::Hop => &self.hop,
            Route::Warden => &self.warden,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_sits_at_its_own_index() {
        for (position, route) in Route::ALL.iter().enumerate() {
            assert_eq!(route.index(), position);
        }
    }
}
