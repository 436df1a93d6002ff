//! The help-desk knowledge base that `search_docs` searches.
//!
//! A fixed handful of articles is enough to make the tool realistic (a read-only lookup
//! whose answer depends on its argument) while keeping every run identical.

/// One knowledge-base article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Article {
    pub(crate) slug: &'static str,
    pub(crate) title: &'static str,
    pub(crate) body: &'static str,
}

/// The longest query searched, in characters.
pub(crate) const MAX_QUERY_CHARS: usize = 500;

const ARTICLES: &[Article] = &[
    Article {
        slug: "vpn-reconnect",
        title: "VPN keeps disconnecting",
        body: "Hourly VPN drops come from the idle timeout on the concentrator. \
               Update the client to 5.2 or later, which sends keep-alives.",
    },
    Article {
        slug: "mfa-reset",
        title: "Resetting multi-factor authentication",
        body: "An identity admin removes the old authenticator, then the user enrols \
               a new phone at the sign-in page within 24 hours.",
    },
    Article {
        slug: "printer-duplex",
        title: "Printer jams on double-sided jobs",
        body: "Duplex jams on floor printers are usually a worn reversing roller. \
               Print single-sided and file a facilities request for the roller.",
    },
    Article {
        slug: "payroll-export",
        title: "Payroll export times out",
        body: "Large monthly exports exceed the 10 minute report limit. \
               Run the export per department, or ask finance IT to raise the limit.",
    },
    Article {
        slug: "hardware-swap",
        title: "Replacing faulty laptops",
        body: "Swollen batteries and broken hinges are warranty repairs. \
               Back up the laptop, then book a swap at the service desk.",
    },
];

/// Returns the articles that mention any word of `query`, best match first.
pub(crate) fn search(query: &str) -> Vec<Article> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() > 1)
        .map(str::to_lowercase)
        .collect();

    let mut scored: Vec<(usize, Article)> = ARTICLES
        .iter()
        .map(|article| (score(article, &words), *article))
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|(left, _), (right, _)| right.cmp(left));
    scored.into_iter().map(|(_, article)| article).collect()
}

/// How many of `words` the article mentions; title words count double.
fn score(article: &Article, words: &[String]) -> usize {
    let title = article.title.to_lowercase();
    let body = article.body.to_lowercase();

    words
        .iter()
        .map(|word| 2 * usize::from(title.contains(word)) + usize::from(body.contains(word)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_finds_the_matching_article_first() {
        let found = search("why does my VPN disconnect?");

        assert_eq!(found.first().map(|a| a.slug), Some("vpn-reconnect"));
    }

    #[test]
    fn query_without_known_words_finds_nothing() {
        assert!(search("quantum teapot").is_empty());
    }
}
