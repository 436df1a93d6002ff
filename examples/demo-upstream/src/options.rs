//! The knobs a caller turns when it starts the demo server.
//!
//! They are few on purpose: the demo must behave the same in every test and benchmark,
//! so only what a test needs to vary (fault tools, page size) is configurable.

/// How the demo server behaves; [`Default`] gives the plain desk with unpaged lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoOptions {
    /// Adds the fault-injection tools `crash`, `hang` and `toggle_admin_tools`.
    pub faults: bool,
    /// Serves `tools/list`, `prompts/list` and `resources/list` in pages of this many
    /// items, chained by opaque cursors; `0` returns every item in one page.
    pub page_size: usize,
}

impl DemoOptions {
    /// Returns these options with the fault-injection tools turned on or off.
    pub fn with_faults(self, faults: bool) -> Self {
        Self { faults, ..self }
    }

    /// Returns these options with lists paged `page_size` items at a time (`0`: no paging).
    pub fn with_page_size(self, page_size: usize) -> Self {
        Self { page_size, ..self }
    }
}
