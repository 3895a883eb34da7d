//! Searches that found no flow, counted in the store for the owner's page: what customers
//! look for that no flow answers yet. A query is kept as one normalised line of at most
//! [`LONGEST_QUERY`] characters, so "Zebra  crossing" and "zebra crossing" count together
//! and a long paste costs no more than a short one.

use std::sync::Arc;

use stepwise_store::{Store, now_millis};

/// Characters of a query kept; the rest is cut off.
pub const LONGEST_QUERY: usize = 200;
/// Characters of a language tag kept (the longest tags a customer sends are far shorter).
const LONGEST_LOCALE: usize = 35;

/// A query as it is counted: lowercase, control characters gone, runs of white space one
/// space, trimmed, at most [`LONGEST_QUERY`] characters. `None` when nothing is left.
pub fn normalise(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let line: String = words.join(" ").chars().take(LONGEST_QUERY).collect();
    let line = line.trim_end().to_owned();
    (!line.is_empty()).then_some(line)
}

/// Counts a search for `query` in `locale` that found nothing. The count is written in the
/// background: a search is answered whether or not the store can take it now (a failure is
/// logged).
pub fn record(store: &Arc<dyn Store>, query: &str, locale: &str) {
    let Some(query) = normalise(query) else {
        return;
    };
    let locale: String = locale.chars().take(LONGEST_LOCALE).collect();
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let store = Arc::clone(store);
    runtime.spawn(async move {
        if let Err(e) = store
            .record_unfound_search(&query, &locale, now_millis())
            .await
        {
            tracing::warn!(error = %e, "a search that found nothing was not counted");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_that_differ_only_in_case_and_spacing_are_one() {
        assert_eq!(
            normalise("  Zebra\t\tCROSSING \n"),
            Some("zebra crossing".to_owned())
        );
        assert_eq!(normalise("a\u{0}b"), Some("a b".to_owned()));
        assert_eq!(normalise(" \t\u{7} "), None);
    }

    #[test]
    fn a_long_query_is_cut_at_a_character_not_a_byte() {
        let long = "ü".repeat(LONGEST_QUERY * 3);
        let kept = normalise(&long).unwrap();
        assert_eq!(kept.chars().count(), LONGEST_QUERY);
        assert!(kept.chars().all(|c| c == 'ü'));
    }
}
