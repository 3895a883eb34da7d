//! A session written up for a ticket.

use stepwise_engine::{Transcript, literal, phrases};
use stepwise_store::Note;

use crate::clock;

/// The engine's Markdown transcript, with the escalation reference support will be quoted
/// and, for agents, their notes. Notes are what an agent typed, so they go in as literals.
pub fn markdown(transcript: &Transcript, reference: Option<&str>, notes: &[Note]) -> String {
    let words = phrases::for_locale(&transcript.locale);
    let mut text = transcript.to_string();
    if let Some(reference) = reference {
        text.push_str(&format!("\n## {}\n\n{reference}\n", words.reference));
    }
    if !notes.is_empty() {
        text.push_str(&format!("\n## {}\n\n", words.notes));
        for note in notes {
            let name = format!(
                "{} ({})",
                clock::rfc3339(note.at),
                literal::span(&note.node)
            );
            text.push_str(&literal::item(0, &name, &note.text));
        }
    }
    text
}
