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
    fn a_regional_tag_uses_its_language() {
        assert_eq!(for_locale("de-AT").locale, "de");
        assert_eq!(for_locale("DE").locale, "de");
        assert_eq!(for_locale("fr").locale, "en");
    }
}
