//! The few words the engine itself says (the answers to a remedy, "Continue", the ways out
//! of a node on a map, a transcript's headings), in each language it knows; flows bring their own words through translations.

/// The engine's own words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrases {
    /// The language tag these are in.
    pub locale: &'static str,
    /// The answer to a remedy that worked.
    pub solved: &'static str,
    /// The answer to a remedy that did not.
    pub not_solved: &'static str,
    /// The only answer to an information step.
    pub next: &'static str,
    /// A map of the flow: the way a remedy that worked takes.
    pub map_solved: &'static str,
    /// A map of the flow: the way a remedy that did not work takes.
    pub map_not_solved: &'static str,
    /// A map of the flow: the way a branch takes when no case matches.
    pub map_default: &'static str,
    /// What the history shows for a jump.
    pub jumped: &'static str,
    /// Transcript: the line naming the flows and versions.
    pub flow: &'static str,
    /// Transcript: the status line.
    pub status: &'static str,
    /// Transcript: the facts given at the start.
    pub facts_given: &'static str,
    /// Transcript: the heading of the steps taken.
    pub steps: &'static str,
    /// Transcript: a link into another flow.
    pub continued: &'static str,
    /// Transcript: an answer the engine took from a known fact.
    pub already_known: &'static str,
    /// Transcript: the heading of where the walk stands.
    pub now: &'static str,
    /// Transcript: resolved by a remedy, before its id.
    pub resolved_by: &'static str,
    /// Transcript: waiting at a step, before its text.
    pub waiting_at: &'static str,
    /// Transcript: the heading of the collected details.
    pub details: &'static str,
    /// Transcript: a detail left empty.
    pub not_given: &'static str,
    /// Transcript: the heading of the escalation reference.
    pub reference: &'static str,
    /// Transcript: the heading of the agents' notes.
    pub notes: &'static str,
    /// The statuses: active, resolved, escalated, done.
    pub statuses: [&'static str; 4],
    /// The outcomes as a transcript's last line says them: resolved, escalated, done.
    pub outcomes: [&'static str; 3],
    /// A required detail left empty; `{label}` is the detail's label.
    pub detail_required: &'static str,
    /// A detail over its length; `{label}`, and `{max}` the most characters.
    pub detail_too_long: &'static str,
    /// A detail the escalation does not ask for.
    pub detail_not_asked: &'static str,
    /// A detail that does not match its writer's pattern; `{label}`.
    pub detail_pattern: &'static str,
    /// A detail not of its kind, for each kind in the order of
    /// [`crate::DetailKind::ALL`] (the last, any text, is never refused); `{label}`.
    pub detail_kinds: [&'static str; 7],
}

/// English, the language flows are written in.
pub const ENGLISH: Phrases = Phrases {
    locale: "en",
    solved: "Yes, that solved it",
    not_solved: "No, it still isn't working",
    next: "Continue",
    map_solved: "Solved",
    map_not_solved: "Not solved",
    map_default: "default",
    jumped: "(the agent moved on to another step)",
    flow: "Flow",
    status: "Status",
    facts_given: "Facts given",
    steps: "Steps",
    continued: "Continued in another flow",
    already_known: "already known",
    now: "Now",
    resolved_by: "Resolved by the remedy",
    waiting_at: "Waiting at",
    details: "Details for support",
    not_given: "(not given)",
    reference: "Reference",
    notes: "Notes by support",
    statuses: ["active", "resolved", "escalated", "done"],
    outcomes: ["Resolved", "Escalated to support", "Done"],
    detail_required: "{label} is required",
    detail_too_long: "{label} must be at most {max} characters",
    detail_not_asked: "is not asked for here",
    detail_pattern: "{label}: this is not in the form asked for. Check the hint and try again.",
    detail_kinds: [
        "{label}: enter an email address, like name@example.com.",
        "{label}: enter a phone number in digits, with + and the country code if you like, \
         like +44 20 7946 0958.",
        "{label}: enter the amount as a number, like 0.25 or 250 XRP.",
        "{label}: enter a date as year-month-day, like 2026-03-31.",
        "{label}: enter a web address starting with https://.",
        "{label}: enter the transaction ID (TxID) as your wallet or the block explorer shows it: \
         letters and digits only, usually 64 of them.",
        "",
    ],
};

/// German.
pub const GERMAN: Phrases = Phrases {
    locale: "de",
    solved: "Ja, das hat geholfen",
    not_solved: "Nein, es funktioniert immer noch nicht",
    next: "Weiter",
    map_solved: "Gelöst",
    map_not_solved: "Nicht gelöst",
    map_default: "sonst",
    jumped: "(der Support ist zu einem anderen Schritt gesprungen)",
    flow: "Ablauf",
    status: "Status",
    facts_given: "Bekannte Angaben",
    steps: "Schritte",
    continued: "Weiter in einem anderen Ablauf",
    already_known: "bereits bekannt",
    now: "Aktueller Stand",
    resolved_by: "Gelöst durch den Lösungsschritt",
    waiting_at: "Wartet bei",
    details: "Angaben für den Support",
    not_given: "(nicht angegeben)",
    reference: "Referenz",
    notes: "Notizen des Supports",
    statuses: [
        "offen",
        "gelöst",
        "an den Support übergeben",
        "abgeschlossen",
    ],
    outcomes: ["Gelöst", "An den Support übergeben", "Abgeschlossen"],
    detail_required: "{label}: Bitte füllen Sie dieses Feld aus.",
    detail_too_long: "{label}: Bitte höchstens {max} Zeichen.",
    detail_not_asked: "wird hier nicht abgefragt",
    detail_pattern: "{label}: Die Angabe hat nicht die verlangte Form. Bitte prüfen Sie den \
        Hinweis und versuchen Sie es noch einmal.",
    detail_kinds: [
        "{label}: Bitte geben Sie eine E-Mail-Adresse ein, zum Beispiel name@example.com.",
        "{label}: Bitte geben Sie eine Telefonnummer in Ziffern ein, gern mit + und \
         Ländervorwahl, zum Beispiel +49 30 1234567.",
        "{label}: Bitte geben Sie den Betrag als Zahl ein, zum Beispiel 0,25 oder 250 XRP.",
        "{label}: Bitte geben Sie ein Datum als Jahr-Monat-Tag ein, zum Beispiel 2026-03-31.",
        "{label}: Bitte geben Sie eine Webadresse ein, die mit https:// beginnt.",
        "{label}: Bitte geben Sie die Transaktions-ID (TxID) so ein, wie Ihre Wallet oder der \
         Block-Explorer sie anzeigt: nur Buchstaben und Ziffern, meist 64 Zeichen.",
        "",
    ],
};

/// Every language the engine speaks.
pub const ALL: &[Phrases] = &[ENGLISH, GERMAN];

/// The engine's words for a language tag (`de`, `de-AT`…), English when it has none.
pub fn for_locale(locale: &str) -> &'static Phrases {
    let primary = locale.split('-').next().unwrap_or_default();
    ALL.iter()
        .find(|p| p.locale.eq_ignore_ascii_case(locale))
        .or_else(|| ALL.iter().find(|p| p.locale.eq_ignore_ascii_case(primary)))
        .unwrap_or(&ENGLISH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_words_each_detail_problem_with_its_label() {
        for words in ALL {
            let kinds = &words.detail_kinds[..words.detail_kinds.len() - 1];
            for text in kinds.iter().chain([
                &words.detail_required,
                &words.detail_too_long,
                &words.detail_pattern,
            ]) {
                assert!(text.contains("{label}"), "{}: {text}", words.locale);
            }
            assert!(words.detail_too_long.contains("{max}"), "{}", words.locale);
        }
    }

    #[test]
    fn a_regional_tag_uses_its_language() {
        assert_eq!(for_locale("de-AT").locale, "de");
        assert_eq!(for_locale("DE").locale, "de");
        assert_eq!(for_locale("fr").locale, "en");
    }
}
