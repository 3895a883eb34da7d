//! `stepwise new ID`: starts a flow from a small template with no errors — a question, a
//! remedy, a resolved and an escalate outcome — with scenarios that reach each outcome
//! beside it. Its texts are [`placeholder`]s, which `check` warns about until they are
//! rewritten. Never overwrites a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use stepwise_engine::{SCENARIO_SUFFIX, placeholder};

use super::output;

/// The longest flow id accepted.
const MAX_ID_LEN: usize = 64;

/// Arguments of `stepwise new`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Writes DIR/ID.ron and DIR/ID.scenarios.ron; refuses to overwrite either. The id is
kebab-case: lowercase letters and digits in words joined by `-`.

Examples:
  stepwise new deposit-not-credited
  stepwise new card-declined --flows content/flows
  then: stepwise check && stepwise play card-declined && stepwise test")]
pub struct Args {
    /// The new flow's id, e.g. `deposit-not-credited`; also its file name.
    id: String,
    /// The directory to write it in.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    flows: PathBuf,
}

/// Writes the two files, or says why not.
pub fn run(args: &Args) -> ExitCode {
    if let Err(why) = valid_id(&args.id) {
        return output::fail(&format!("`{}` cannot be a flow id: {why}", args.id));
    }
    let flow_file = args.flows.join(format!("{}.ron", args.id));
    let scenario_file = args.flows.join(format!("{}{SCENARIO_SUFFIX}", args.id));
    for file in [&flow_file, &scenario_file] {
        if file.exists() {
            return output::fail(&format!(
                "`{}` already exists; choose another id, or edit it",
                file.display()
            ));
        }
    }
    if let Err(e) = std::fs::create_dir_all(&args.flows) {
        return output::fail(&format!("cannot create `{}`: {e}", args.flows.display()));
    }
    for (file, text) in [
        (&flow_file, flow_template(&args.id)),
        (&scenario_file, scenarios_template(&args.id)),
    ] {
        if let Err(e) = write_new(file, &text) {
            return output::fail(&format!("cannot write `{}`: {e}", file.display()));
        }
    }
    output::print(&format!(
        "wrote {} and {}\nnext: edit them, then `stepwise check`, `stepwise play {}` and `stepwise test`\n",
        flow_file.display(),
        scenario_file.display(),
        args.id
    ));
    ExitCode::SUCCESS
}

/// Why `id` is not a kebab-case flow id, if it is not.
fn valid_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("it is empty".to_owned());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("it is longer than {MAX_ID_LEN} characters"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "`{c}` is not allowed; use lowercase letters, digits and `-` (kebab-case)"
        ));
    }
    if id.split('-').any(str::is_empty) {
        return Err("`-` must join words: not at the start or end, and never doubled".to_owned());
    }
    Ok(())
}

/// Creates `file` with `text`, failing if it exists (even if it appeared just now).
fn write_new(file: &Path, text: &str) -> std::io::Result<()> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)?;
    out.write_all(text.as_bytes())
}

/// `card-declined` → `Card declined`.
fn title(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A flow with no errors, whose placeholder texts are to be rewritten.
fn flow_template(id: &str) -> String {
    let tags: Vec<String> = id.split('-').map(|w| format!("\"{w}\"")).collect();
    format!(
        r#"// A new flow: write the customer's question as the title, then rewrite each step.
// `stepwise check` checks it, `stepwise play {id}` walks it, and `stepwise test` runs
// the scenarios in {id}{SCENARIO_SUFFIX}.
Flow(
    id: "{id}",
    title: "{title}",
    summary: "{summary}",
    tags: [{tags}],
    start: "ask",
    nodes: {{
        // A question: one button per answer, each leading to a node.
        "ask": Question(
            text: "{question}",
            answers: [
                (id: "broken", label: "It doesn't work", goto: "try-this"),
                (id: "fine", label: "It works now", goto: "solved"),
            ],
        ),
        // A remedy: something to try. If it solved the problem, the walk ends resolved;
        // if not, it goes on to `otherwise`.
        "try-this": Remedy(
            text: "{remedy}",
            otherwise: "contact-support",
        ),
        // An outcome: solved.
        "solved": Resolved(text: "{resolved}"),
        // An outcome: handed to support, with the details they will ask for.
        "contact-support": Escalate(
            text: "{escalate}",
            collect: [
                (id: "tried", label: "What you have tried", max_len: 500),
            ],
        ),
    }},
)
"#,
        title = title(id),
        tags = tags.join(", "),
        summary = placeholder::SUMMARY,
        question = placeholder::QUESTION,
        remedy = placeholder::REMEDY,
        resolved = placeholder::RESOLVED,
        escalate = placeholder::ESCALATE,
    )
}

/// Scenarios reaching each outcome of the template.
fn scenarios_template(id: &str) -> String {
    format!(
        r#"// Scenarios for {id}.ron: `stepwise test` walks each one and checks where it ends.
// Answers are answer ids (`yes`/`no` at a remedy, `next` at an info step), optionally
// written `node=answer` to say where each is given.
Scenarios(
    flow: "{id}",
    scenarios: [
        (
            name: "it works now",
            answers: ["fine"],
            expect: (status: Resolved, node: "solved"),
        ),
        (
            name: "the remedy solves it",
            answers: ["broken", "yes"],
            expect: (status: Resolved, node: "try-this"),
        ),
        (
            name: "the remedy does not help, support takes over",
            answers: ["ask=broken", "try-this=no"],
            expect: (status: Escalated, node: "contact-support"),
            details: Accepted({{"tried": "Restarted it twice."}}),
        ),
    ],
)
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_ids_are_accepted() {
        for id in ["a", "card-declined", "2fa-lost", "x1-y2-z3"] {
            assert_eq!(valid_id(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn other_ids_are_refused() {
        for id in [
            "",
            "Card",
            "card_declined",
            "-card",
            "card-",
            "card--declined",
            "card declined",
            "../x",
            "é",
        ] {
            assert!(valid_id(id).is_err(), "{id:?} was accepted");
        }
        assert!(valid_id(&"a".repeat(MAX_ID_LEN + 1)).is_err());
    }

    #[test]
    fn the_title_is_the_id_in_words() {
        assert_eq!(title("card-declined"), "Card declined");
    }
}
