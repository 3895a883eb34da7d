//! Checking what a customer types into a detail at an escalation: its length, its kind
//! (email, phone, amount, date, URL, TxID) and the writer's `pattern`, with the problem
//! said in the customer's language ([`crate::phrases`]).
//!
//! Every check is linear in the value: the `regex` crate runs in linear time whatever
//! the pattern, and a pattern is compiled under a size limit.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::model::{Detail, DetailKind};
use crate::phrases::Phrases;

/// The most memory a writer's pattern may compile to, so that a pattern cannot make
/// every submission slow.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;

/// The fewest and most digits a phone number has (E.164 allows 15).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 6..=15;

fn built_in(pattern: &str) -> Regex {
    // These are constants, tested below; a typo is a bug caught by the tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern}: {e}"))
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| built_in(r"^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| built_in(r"^\+?[0-9(][0-9 ().\-/]*[0-9]$"));
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    // A number, and perhaps its coin or currency after it: "250 XRP" says the same.
    built_in(
        r"^(?:(?:[0-9]+|[0-9]{1,3}(?:[ ,'][0-9]{3})+)(?:[.,][0-9]+)?|[.,][0-9]+)(?: ?[A-Za-z]{2,10})?$",
    )
});
static DATE: LazyLock<Regex> = LazyLock::new(|| built_in(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(r"(?i)^https?://[^\s/?#@:]+(\.[^\s/?#@:]+)+(:[0-9]{1,5})?([/?#]\S*)?$")
});
static TXID: LazyLock<Regex> = LazyLock::new(|| built_in(r"^(0x)?[0-9A-Za-z+/_=-]{32,128}$"));

/// Compiles a detail's `pattern` to match the whole answer.
pub fn compile_pattern(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

/// What is wrong with `value` (already trimmed and not empty) as an answer to `detail`,
/// in the words of `words`; `None` if it is fine.
pub fn problem(detail: &Detail, value: &str, words: &Phrases) -> Option<String> {
    let label = &detail.label;
    if value.chars().count() > detail.max_len {
        return Some(
            words
                .detail_too_long
                .replace("{label}", label)
                .replace("{max}", &detail.max_len.to_string()),
        );
    }
    if !fits_kind(detail.kind, value) {
        let index = DetailKind::ALL
            .iter()
            .position(|k| *k == detail.kind)
            .unwrap_or_default();
        let hint = words.detail_kinds.get(index).copied().unwrap_or_default();
        return Some(hint.replace("{label}", label));
    }
    if let Some(pattern) = &detail.pattern {
        // The checker refuses a pattern that does not compile, so a flow being walked has
        // none; if one slipped through, the answer is taken rather than refused for ever.
        if let Ok(pattern) = compile_pattern(pattern)
            && !pattern.is_match(value)
        {
            return Some(words.detail_pattern.replace("{label}", label));
        }
    }
    None
}

/// Whether `value` is of the kind.
fn fits_kind(kind: DetailKind, value: &str) -> bool {
    match kind {
        DetailKind::Text => true,
        DetailKind::Email => EMAIL.is_match(value),
        DetailKind::Phone => {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            PHONE.is_match(value) && PHONE_DIGITS.contains(&digits)
        }
        DetailKind::Amount => AMOUNT.is_match(value),
        DetailKind::Date => DATE.captures(value).is_some_and(|c| {
            let number = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
            match (number(1), number(2), number(3)) {
                (Some(y), Some(m), Some(d)) => is_calendar_date(y, m, d),
                _ => false,
            }
        }),
        DetailKind::Url => URL.is_match(value),
        DetailKind::Txid => TXID.is_match(value),
    }
}

fn is_calendar_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_values_and_refuses_others() {
        let cases: &[(DetailKind, &[&str], &[&str])] = &[
            (
                DetailKind::Email,
                &["ana@example.com", "a.b+c@mail.example.co.uk"],
                &[
                    "ana",
                    "ana@example",
                    "ana @example.com",
                    "@example.com",
                    "a@b@c.de",
                ],
            ),
            (
                DetailKind::Phone,
                &["+44 20 7946 0958", "(030) 123-4567", "0151 2345678"],
                &["12345", "+44 abc 7946", "phone me", "+1234567890123456"],
            ),
            (
                DetailKind::Amount,
                &[
                    "0.25",
                    "1500",
                    "1,500.75",
                    "0,5",
                    "1 000 000",
                    ".5",
                    "250 XRP",
                    "0.1BTC",
                ],
                &["-3", "1..2", "about 5", "1,5,5", "BTC", "5 bitcoins please"],
            ),
            (
                DetailKind::Date,
                &["2026-03-31", "2024-02-29"],
                &[
                    "2026-02-29",
                    "2026-13-01",
                    "31.03.2026",
                    "2026-3-1",
                    "yesterday",
                ],
            ),
            (
                DetailKind::Url,
                &[
                    "https://example.com",
                    "http://img.example.org/a/b.png?x=1",
                    "HTTPS://A.B:8080/",
                ],
                &[
                    "example.com",
                    "ftp://example.com",
                    "https://",
                    "https://user@evil.com",
                    "javascript:alert(1)",
                ],
            ),
            (
                DetailKind::Txid,
                &[
                    "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
                    "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
                    "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW",
                ],
                &[
                    "0x5c50",
                    "not a transaction id at all",
                    "5c504ed432cb5113 8bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
                ],
            ),
        ];
        for (kind, good, bad) in cases {
            for value in *good {
                assert!(fits_kind(*kind, value), "{kind:?} refused {value}");
            }
            for value in *bad {
                assert!(!fits_kind(*kind, value), "{kind:?} took {value}");
            }
        }
    }

    #[test]
    fn a_pattern_must_match_the_whole_answer() {
        let pattern = compile_pattern("[0-9]{4}").expect("compiles");
        assert!(pattern.is_match("1234"));
        assert!(!pattern.is_match("12345"));
        assert!(!pattern.is_match("x1234"));
        assert!(compile_pattern("(unclosed").is_err());
        assert!(
            compile_pattern("a{1000}{1000}").is_err(),
            "too big to compile"
        );
    }
}
