//! "Did you mean …?": the name closest to a misspelled one, for the help of a diagnostic
//! about a flow, a scenario or a translation.

/// How many candidate comparisons "did you mean" may spend per flow, so that a flow
/// with a million nodes and many typos is still checked in linear time.
const SUGGESTION_BUDGET: usize = 200_000;

/// Finds the candidate closest to a misspelled name, within a comparison budget.
pub(crate) struct Suggest {
    budget: usize,
}

impl Suggest {
    /// A fresh budget.
    pub fn new() -> Suggest {
        Suggest {
            budget: SUGGESTION_BUDGET,
        }
    }

    /// The closest candidate, if one is close enough to be a likely typo.
    pub fn closest<'c>(
        &mut self,
        wanted: &str,
        candidates: impl ExactSizeIterator<Item = &'c str>,
    ) -> Option<&'c str> {
        if candidates.len() > self.budget {
            return None;
        }
        self.budget -= candidates.len();
        closest(wanted, candidates)
    }
}

/// The least similarity (1 − edits ÷ length) of a likely typo.
const LEAST_SIMILARITY: f64 = 0.6;

/// The longest stretch, in characters, that two names may differ over and still be
/// compared edit by edit (a typo changes a few characters; the comparison is quadratic in
/// this, and only this).
const MAX_DIFFERING: usize = 64;

/// The closest of `candidates` to `wanted`, if one is close enough to be a likely typo.
///
/// Linear in the names' length: candidates whose length alone rules them out are skipped,
/// and what two names share at their start and end is matched without edits.
pub(crate) fn closest<'c>(
    wanted: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    let wanted_lower = wanted.to_lowercase();
    let wanted_chars = wanted_lower.chars().count();
    candidates
        .filter(|c| *c != wanted)
        // Each character needs at least one byte and at most four: bytes bound the count
        // of characters before any is counted.
        .filter(|c| could_be_close(wanted_chars, c.len().div_ceil(4), c.len()))
        .filter_map(|c| {
            let lower = c.to_lowercase();
            similarity(&wanted_lower, wanted_chars, &lower).map(|score| (score, c))
        })
        .filter(|&(score, _)| score >= LEAST_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Whether a name of `wanted` characters could be a typo of one of `fewest..=most`: at
/// least as many edits as the lengths differ are needed.
fn could_be_close(wanted: usize, fewest: usize, most: usize) -> bool {
    let least_edits = fewest
        .saturating_sub(wanted)
        .max(wanted.saturating_sub(most));
    let longest = wanted.max(fewest);
    (least_edits as f64) <= (1.0 - LEAST_SIMILARITY) * longest as f64
}

/// 1 − edits ÷ length (Damerau–Levenshtein), or `None` when the names differ over more
/// than [`MAX_DIFFERING`] characters, which is no typo.
fn similarity(wanted: &str, wanted_chars: usize, candidate: &str) -> Option<f64> {
    let candidate_chars = candidate.chars().count();
    if !could_be_close(wanted_chars, candidate_chars, candidate_chars) {
        return None;
    }
    let longest = wanted_chars.max(candidate_chars);
    if longest <= MAX_DIFFERING {
        return Some(strsim::normalized_damerau_levenshtein(wanted, candidate));
    }
    let (a, b) = differing(wanted, candidate);
    if a.chars().count() > MAX_DIFFERING || b.chars().count() > MAX_DIFFERING {
        return None;
    }
    let edits = strsim::damerau_levenshtein(a, b);
    Some(1.0 - edits as f64 / longest as f64)
}

/// What is left of two names once what they share at the start and at the end is cut,
/// keeping one shared character on each side so that a swap of two characters at the
/// edge is still seen as one edit.
fn differing<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    let start = a
        .char_indices()
        .zip(b.chars())
        .find(|&((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let start = floor_before(a, start);
    let (a_rest, b_rest) = (&a[start..], &b[start..]);
    let shared_end = a_rest
        .chars()
        .rev()
        .zip(b_rest.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum::<usize>();
    let shared_end = shared_end.min(a_rest.len()).min(b_rest.len());
    let a_end = ceil_after(a_rest, a_rest.len() - shared_end);
    let b_end = ceil_after(b_rest, b_rest.len() - shared_end);
    (&a_rest[..a_end], &b_rest[..b_end])
}

/// The start of the character before `i` (or 0).
fn floor_before(text: &str, i: usize) -> usize {
    text[..i].char_indices().next_back().map_or(0, |(j, _)| j)
}

/// The end of the character at `i` (or the text's end).
fn ceil_after(text: &str, i: usize) -> usize {
    text[i..]
        .chars()
        .next()
        .map_or(text.len(), |c| i + c.len_utf8())
}

/// `did you mean `x`?`, or the fallback.
pub(crate) fn did_you_mean(suggestion: Option<&str>, otherwise: impl Into<String>) -> String {
    match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => otherwise.into(),
    }
}

/// A list of names for a help line: `a`, `b` and `c`.
pub(crate) fn names<'n>(names: impl IntoIterator<Item = &'n str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name() {
        let names = ["resend-code", "contact-support", "done"];
        assert_eq!(
            closest("resnd-code", names.into_iter()),
            Some("resend-code")
        );
        assert_eq!(closest("Done", names.into_iter()), Some("done"));
        assert_eq!(closest("elsewhere", names.into_iter()), None);
    }

    #[test]
    fn a_typo_in_a_very_long_name_is_found_in_linear_time() {
        let name = "a".repeat(300_000);
        let mut typo = name.clone();
        typo.replace_range(150_000..150_001, "b");
        let other = "b".repeat(300_000);
        let started = std::time::Instant::now();
        let found = closest(&typo, [other.as_str(), name.as_str(), "a"].into_iter());
        assert_eq!(found, Some(name.as_str()));
        println!("300,000 characters: {:?}", started.elapsed());
    }

    #[test]
    fn long_names_that_differ_widely_are_no_typo() {
        let a = "ab".repeat(1_000);
        let b = "ba".repeat(1_000);
        assert_eq!(closest(&a, [b.as_str()].into_iter()), None);
    }

    #[test]
    fn swaps_at_the_edge_of_what_is_shared_are_one_edit() {
        assert_eq!(differing("xxabyy", "xxbayy"), ("xaby", "xbay"));
        let long = format!("{}ab{}", "x".repeat(100), "y".repeat(100));
        let swapped = format!("{}ba{}", "x".repeat(100), "y".repeat(100));
        assert!(similarity(&long, 202, &swapped).is_some_and(|s| s > 0.99));
    }
}
