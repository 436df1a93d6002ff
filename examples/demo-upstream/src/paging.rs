//! Pages long lists behind opaque cursors, as MCP list methods allow.
//!
//! The gateway must follow `nextCursor` to see a whole upstream, so the demo can page on
//! purpose (`--page-size`). A cursor names the list it belongs to and an offset, encoded
//! so that clients treat it as opaque; a cursor from another list, or one this server did
//! not issue, is refused rather than guessed at.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::ErrorData;

/// One page of a list and the cursor to the next page, if there is one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_cursor: Option<String>,
}

/// Cuts the page that `cursor` points at out of `items`; `page_size` 0 means one page.
///
/// `list` names the list (`tools`, `prompts`, `resources`) so cursors cannot cross lists.
pub(crate) fn page<T>(
    list: &str,
    items: Vec<T>,
    page_size: usize,
    cursor: Option<&str>,
) -> Result<Page<T>, ErrorData> {
    let start = match cursor {
        Some(cursor) => decode(list, cursor)?,
        None => 0,
    };

    let total = items.len();
    let end = match page_size {
        0 => total,
        size => start.saturating_add(size).min(total),
    };
    let next_cursor = (end < total).then(|| encode(list, end));

    let taken = end.saturating_sub(start);
    let items = items.into_iter().skip(start).take(taken).collect();
    Ok(Page { items, next_cursor })
}

/// Makes the opaque cursor for `offset` in `list`.
fn encode(list: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{list}:{offset}"))
}

/// Reads a cursor back, refusing any this server would not have issued for `list`.
fn decode(list: &str, cursor: &str) -> Result<usize, ErrorData> {
    let offset = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (named, offset) = text.split_once(':')?;
            (named == list)
                .then(|| offset.parse::<usize>().ok())
                .flatten()
        });

    offset.ok_or_else(|| {
        let message = format!(
            "cursor `{cursor}` was not issued by this server for {list}/list; \
             list again without a cursor"
        );
        ErrorData::invalid_params(message, None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_all(page_size: usize) -> Vec<u32> {
        let items: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;

        loop {
            let Ok(page) = page("tools", items.clone(), page_size, cursor.as_deref()) else {
                panic!("a cursor issued by the pager was refused");
            };
            seen.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return seen,
            }
        }
    }

    #[test]
    fn following_cursors_visits_every_item_once() {
        assert_eq!(collect_all(3), (0..7).collect::<Vec<_>>());
        assert_eq!(collect_all(7), (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn zero_page_size_returns_everything_without_a_cursor() {
        let result = page("tools", vec![1, 2, 3], 0, None);

        assert_eq!(
            result.ok(),
            Some(Page {
                items: vec![1, 2, 3],
                next_cursor: None
            })
        );
    }

    #[test]
    fn cursor_from_another_list_is_refused() {
        let prompts_cursor = encode("prompts", 2);

        let result = page("tools", vec![1, 2, 3], 2, Some(&prompts_cursor));

        assert!(result.is_err_and(|error| error.message.contains("tools/list")));
    }

    #[test]
    fn garbage_cursor_is_refused() {
        assert!(page("tools", vec![1], 1, Some("!!not-a-cursor")).is_err());
    }
}
