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

/// The closest of `candidates` to `wanted`, if one is close enough to be a likely typo.
pub(crate) fn closest<'c>(
    wanted: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    let wanted_lower = wanted.to_lowercase();
    candidates
        .filter(|c| *c != wanted)
        .map(|c| {
            (
                strsim::normalized_damerau_levenshtein(&wanted_lower, &c.to_lowercase()),
                c,
            )
        })
        .filter(|&(score, _)| score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
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
