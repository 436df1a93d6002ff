//! The configuration the benchmark gives Warden: one Streamable HTTP upstream with its
//! names kept (`prefix = ""`), so that every route calls the same tool name, plus
//! whatever the operator merges in (identity, for instance).

use std::path::Path;

use anyhow::Context as _;
use toml::{Table, Value};

/// The name of the one upstream in the generated configuration.
pub(crate) const UPSTREAM_NAME: &str = "bench";

/// Writes the TOML text Warden runs with: listening on a free loopback port, its data in
/// `data_dir`, relaying `upstream_url`; then `extra`, merged by [`merge`].
pub(crate) fn generate(
    upstream_url: &str,
    data_dir: &Path,
    extra: Option<&str>,
) -> anyhow::Result<String> {
    let mut config = base(upstream_url, data_dir);

    if let Some(extra) = extra {
        let extra: Table = extra
            .parse()
            .context("the extra Warden configuration is not valid TOML")?;
        merge(&mut config, extra);
    }

    toml::to_string(&config).context("cannot write the Warden configuration as TOML")
}

/// The generated part, before anything is merged in.
fn base(upstream_url: &str, data_dir: &Path) -> Table {
    let mut gateway = Table::new();
    gateway.insert("listen".into(), "127.0.0.1:0".into());
    gateway.insert("data_dir".into(), data_dir.display().to_string().into());

    let mut upstream = Table::new();
    upstream.insert("name".into(), UPSTREAM_NAME.into());
    upstream.insert("url".into(), upstream_url.into());
    upstream.insert("prefix".into(), "".into());

    let mut config = Table::new();
    config.insert("gateway".into(), Value::Table(gateway));
    config.insert(
        "upstream".into(),
        Value::Array(vec![Value::Table(upstream)]),
    );
    config
}

/// Merges `extra` into `config`: tables merge key by key, arrays get the extra items
/// appended, and any other value in `extra` replaces the one in `config`.
pub(crate) fn merge(config: &mut Table, extra: Table) {
    for (key, value) in extra {
        match (config.get_mut(&key), value) {
            (Some(Value::Table(mine)), Value::Table(theirs)) => merge(mine, theirs),
            (Some(Value::Array(mine)), Value::Array(theirs)) => mine.extend(theirs),
            (_, value) => {
                config.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Table {
        text.parse()
            .unwrap_or_else(|error| panic!("test TOML is valid: {error}"))
    }

    #[test]
    fn the_generated_configuration_keeps_upstream_names_on_a_free_loopback_port() {
        let text = generate("http://127.0.0.1:9/mcp", Path::new("/tmp/bench-data"), None)
            .unwrap_or_else(|error| panic!("generates: {error}"));

        let expected = parse(
            "[gateway]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"/tmp/bench-data\"\n\
             [[upstream]]\nname = \"bench\"\nurl = \"http://127.0.0.1:9/mcp\"\nprefix = \"\"\n",
        );
        assert_eq!(parse(&text), expected);
    }

    #[test]
    fn extra_tables_merge_arrays_append_and_values_replace() {
        let mut config = parse(
            "[gateway]\nlisten = \"127.0.0.1:0\"\ncall_timeout = \"60s\"\n\
             [[upstream]]\nname = \"bench\"\n",
        );
        let extra = parse(
            "[gateway]\ncall_timeout = \"5s\"\n[identity]\ntrust_domain = \"example.org\"\n\
             [[upstream]]\nname = \"second\"\n",
        );

        merge(&mut config, extra);

        let expected = parse(
            "[gateway]\nlisten = \"127.0.0.1:0\"\ncall_timeout = \"5s\"\n\
             [identity]\ntrust_domain = \"example.org\"\n\
             [[upstream]]\nname = \"bench\"\n[[upstream]]\nname = \"second\"\n",
        );
        assert_eq!(config, expected);
    }

    #[test]
    fn extra_text_that_is_not_toml_is_refused() {
        let error = generate(
            "http://127.0.0.1:9/mcp",
            Path::new("/tmp"),
            Some("[gateway"),
        )
        .err()
        .map(|error| error.to_string());

        assert_eq!(
            error.as_deref(),
            Some("the extra Warden configuration is not valid TOML")
        );
    }
}
