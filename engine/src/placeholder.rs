//! The texts `stepwise new` writes in a new flow for the writer to rewrite. They read as
//! instructions, not help for a customer, so the checker warns (`placeholder-text`) while
//! any of them is left in a flow.
//!
//! Kept apart so that the template and the check read the same words.

/// The summary of a new flow.
pub const SUMMARY: &str =
    "One or two sentences for lists and search results: what this flow helps with.";

/// The first question of a new flow.
pub const QUESTION: &str = "What is happening?";

/// The remedy of a new flow.
pub const REMEDY: &str =
    "Try this first. Text is Markdown: **bold**, lists and [links](https://example.com).";

/// The resolved outcome of a new flow.
pub const RESOLVED: &str = "Good: there is nothing more to do.";

/// The escalation of a new flow.
pub const ESCALATE: &str = "Contact support and give them the details below.";

/// Every text above.
pub const ALL: [&str; 5] = [SUMMARY, QUESTION, REMEDY, RESOLVED, ESCALATE];
