//! Just enough of RFC 6570 to decide whether a URI was made from a template:
//! literal text must match exactly, `{var}` matches one path segment and
//! `{+var}`, `{#var}` or `{/var*}` style expressions match any text.

/// A parsed URI template, used only for matching.
#[derive(Debug, Clone)]
pub(crate) struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A simple expansion: anything up to the next `/`, `?` or `#`.
    Segment,
    /// A reserved or multi-segment expansion: any text.
    Any,
}

impl UriTemplate {
    /// Parses `template`; text that is not a well-formed expression stays literal.
    pub(crate) fn new(template: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = template;

        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|offset| open + offset) else {
                break;
            };
            push_literal(&mut parts, &rest[..open]);
            let expression = &rest[open + 1..close];
            parts.push(if expression.starts_with(['+', '#', '/', '?', '&', ';']) {
                Part::Any
            } else {
                Part::Segment
            });
            rest = &rest[close + 1..];
        }
        push_literal(&mut parts, rest);

        Self {
            source: template.to_owned(),
            parts,
        }
    }

    /// The template text as the upstream listed it.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether `uri` could have been produced by expanding this template.
    pub(crate) fn matches(&self, uri: &str) -> bool {
        matches_from(&self.parts, uri)
    }
}

fn push_literal(parts: &mut Vec<Part>, text: &str) {
    if !text.is_empty() {
        parts.push(Part::Literal(text.to_owned()));
    }
}

fn matches_from(parts: &[Part], text: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return text.is_empty();
    };

    match first {
        Part::Literal(literal) => text
            .strip_prefix(literal.as_str())
            .is_some_and(|remaining| matches_from(rest, remaining)),
        Part::Segment => {
            let limit = text.find(['/', '?', '#']).unwrap_or(text.len());
            (1..=limit).any(|end| text.is_char_boundary(end) && matches_from(rest, &text[end..]))
        }
        Part::Any => (0..=text.len())
            .any(|end| text.is_char_boundary(end) && matches_from(rest, &text[end..])),
    }
}

#[cfg(test)]
mod tests {
    use super::UriTemplate;

    #[test]
    fn simple_expression_matches_one_segment() {
        let template = UriTemplate::new("tickets://{id}");

        assert!(template.matches("tickets://42"));
        assert!(!template.matches("tickets://"));
        assert!(!template.matches("tickets://42/comments"));
        assert!(!template.matches("files://42"));
    }

    #[test]
    fn reserved_expression_matches_across_segments() {
        let template = UriTemplate::new("file:///{+path}");

        assert!(template.matches("file:///srv/data/a.txt"));
    }

    #[test]
    fn literal_suffix_must_match() {
        let template = UriTemplate::new("test://template/{id}/data");

        assert!(template.matches("test://template/7/data"));
        assert!(!template.matches("test://template/7/other"));
    }
}
