//! A session written up for a ticket.

use stepwise_engine::Transcript;

/// The engine's Markdown transcript, with the escalation reference support will be quoted.
pub fn markdown(transcript: &Transcript, reference: Option<&str>) -> String {
    let mut text = transcript.to_string();
    if let Some(reference) = reference {
        let words = stepwise_engine::phrases::for_locale(&transcript.locale);
        text.push_str(&format!("\n## {}\n\n{reference}\n", words.reference));
    }
    text
}
