//! RON text → [`ScenarioFile`]: serde reads the values, and the forgiving reader finds where
//! each scenario, answer and expectation stands, so that failures point at them.

use std::collections::BTreeMap;

use ron::extensions::Extensions;
use serde::Deserialize;

use super::{Details, Expect, Scenario, ScenarioAnswer, ScenarioFile, Spans};
use crate::diagnostic::Diagnostic;
use crate::source::reader::Reader;
use crate::source::{Source, Span};
use crate::syntax::{Grammar, diagnose};

/// A scenario file as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Scenarios")]
struct RawScenarios {
    flow: String,
    scenarios: Vec<RawScenario>,
}

/// One scenario as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    facts: BTreeMap<String, String>,
    #[serde(default)]
    answers: Vec<String>,
    expect: Expect,
    #[serde(default)]
    details: Option<Details>,
}

/// The words of a scenario file's diagnostics.
const SCENARIOS: Grammar = Grammar {
    noun: "scenario file",
    shape: "a scenario file holds one \
        `Scenarios(flow: …, scenarios: [(name: …, answers: […], expect: (…)), …])`",
    variant: "value",
    parentheses: "write the fields in parentheses, e.g. `Rejected(given: {…})`",
    field_hint,
};

/// What a missing field of a scenario file usually holds.
fn field_hint(field: &str) -> &'static str {
    match field {
        "flow" => " with the id of the flow the scenarios walk",
        "scenarios" => " with a list of `(name: …, answers: […], expect: (…))`",
        "name" => " with a string saying what the scenario shows",
        "expect" => " such as `(status: Escalated, node: \"contact\")`",
        "given" => " with a map of detail ids to values",
        _ => "",
    }
}

/// Reads a scenario file; syntax and type errors come back as the diagnostic a writer reads.
pub fn parse(source: &Source) -> Result<ScenarioFile, Box<Diagnostic>> {
    let raw = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .from_str::<RawScenarios>(&source.text)
        .map_err(|e| Box::new(diagnose(source, &e, &SCENARIOS)))?;
    let places = Places::of(&source.text);
    let scenarios = raw
        .scenarios
        .into_iter()
        .enumerate()
        .map(|(i, scenario)| {
            let place = places.scenarios.get(i);
            let spans = place.map(|p| p.spans.clone()).unwrap_or_else(|| Spans {
                whole: places.flow.unwrap_or_default(),
                ..Spans::default()
            });
            let answers = scenario
                .answers
                .iter()
                .enumerate()
                .map(|(j, text)| {
                    let span = place
                        .and_then(|p| p.answers.get(j).copied())
                        .unwrap_or(spans.whole);
                    ScenarioAnswer::new(text, span)
                })
                .collect();
            Scenario {
                name: scenario.name,
                facts: scenario.facts,
                answers,
                expect: scenario.expect,
                details: scenario.details,
                spans,
            }
        })
        .collect();
    Ok(ScenarioFile {
        source: source.clone(),
        flow: raw.flow,
        scenarios,
        flow_span: places.flow,
    })
}

/// Where the parts of a scenario file stand, read without parsing it, so that a file
/// being edited still shows where its parts are.
#[derive(Debug, Default)]
pub struct Places {
    /// The value of `flow`.
    pub flow: Option<Span>,
    /// Each scenario, in order.
    pub scenarios: Vec<Place>,
}

/// Where the parts of one scenario stand.
#[derive(Debug, Default)]
pub struct Place {
    pub(super) spans: Spans,
    /// Each answer, with its quotes.
    pub answers: Vec<Span>,
    /// Each key of `facts`.
    pub facts: Vec<Span>,
    /// The value of `node` in `expect`.
    pub expect_node: Option<Span>,
    /// The value of `flow` in `expect`.
    pub expect_flow: Option<Span>,
}

impl Place {
    /// The whole scenario.
    pub fn whole(&self) -> Span {
        self.spans.whole
    }

    /// The value of `name`.
    pub fn name(&self) -> Option<Span> {
        self.spans.name
    }
}

impl Places {
    /// Reads the places out of a scenario file's text; what cannot be found is left out.
    pub fn of(text: &str) -> Places {
        let mut places = Places::default();
        let mut reader = Reader::new(text);
        reader.skip_attributes();
        if reader.open_group().is_none() {
            return places;
        }
        reader.fields(|reader, field| match field {
            "flow" => places.flow = reader.string(),
            "scenarios" if reader.peek_punct(0) == Some(b'[') => {
                reader.items(|reader| places.scenarios.push(scenario(reader)));
            }
            _ => {
                reader.skip();
            }
        });
        places
    }
}

/// One scenario, in the list after `scenarios:`.
fn scenario(reader: &mut Reader<'_>) -> Place {
    let start = reader.here();
    let mut place = Place::default();
    if reader.open_group().is_none() {
        let end = reader.skip();
        place.spans.whole = Span::new(start, end);
        return place;
    }
    let end = reader.fields(|reader, field| match field {
        "name" => place.spans.name = reader.string(),
        "facts" => {
            let facts = reader.value();
            place.facts = fact_keys(reader.slice(facts), facts.start);
            place.spans.facts = Some(facts);
        }
        "expect" => place.spans.expect = Some(expect(reader, &mut place)),
        "details" => place.spans.details = Some(reader.value()),
        "answers" if reader.peek_punct(0) == Some(b'[') => {
            reader.items(|reader| place.answers.push(reader.value()));
        }
        _ => {
            reader.skip();
        }
    });
    place.spans.whole = Span::new(start, end);
    place
}

/// The keys of a `facts: {…}` written at `offset`.
fn fact_keys(facts: &str, offset: usize) -> Vec<Span> {
    let mut keys = Vec::new();
    let mut reader = Reader::new(facts);
    if reader.peek_punct(0) == Some(b'{') {
        reader.entries(|reader, key| {
            keys.push(Span::new(key.span.start + offset, key.span.end + offset));
            reader.skip();
        });
    }
    keys
}

/// An `expect: (…)`, noting where its `node` and `flow` stand; says where it is.
fn expect(reader: &mut Reader<'_>, place: &mut Place) -> Span {
    let start = reader.here();
    if reader.open_group().is_none() {
        return Span::new(start, reader.skip());
    }
    let end = reader.fields(|reader, field| match field {
        "node" => place.expect_node = reader.string(),
        "flow" => place.expect_flow = reader.string(),
        _ => {
            reader.skip();
        }
    });
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::scenario::ExpectedStatus;

    const FILE: &str = r#"// Scenarios of the demo flow.
Scenarios(
    flow: "demo",
    scenarios: [
        (
            name: "first",
            facts: {"platform": "app"},
            answers: ["a", "fix=no"],
            expect: (status: Escalated, node: "support"),
            details: Accepted({"serial": "SN-1"}),
        ),
        (name: "second", answers: [], expect: (node: "ask")),
    ],
)
"#;

    fn text(span: Span) -> &'static str {
        &FILE[span.start..span.end]
    }

    #[test]
    fn places_are_read_from_the_text_alone() {
        let places = Places::of(FILE);
        assert_eq!(places.flow.map(text), Some("\"demo\""));
        let first = &places.scenarios[0];
        let facts: Vec<_> = first.facts.iter().map(|&s| text(s)).collect();
        assert_eq!(facts, ["\"platform\""]);
        assert_eq!(first.expect_node.map(text), Some("\"support\""));
        assert_eq!(first.name().map(text), Some("\"first\""));
        assert_eq!(places.scenarios[1].expect_node.map(text), Some("\"ask\""));
    }

    #[test]
    fn scenarios_are_read_with_their_places() {
        let file = match parse(&Source::new("demo.scenarios.ron", FILE)) {
            Ok(file) => file,
            Err(d) => panic!("{}", d.message),
        };
        assert_eq!(file.flow, "demo");
        assert_eq!(file.flow_span.map(text), Some("\"demo\""));
        let [first, second] = file.scenarios.as_slice() else {
            panic!("two scenarios");
        };
        assert_eq!(first.name, "first");
        assert_eq!(first.facts.get("platform").map(String::as_str), Some("app"));
        assert_eq!(first.answers[0].at, None);
        assert_eq!(first.answers[1].at.as_deref(), Some("fix"));
        assert_eq!(first.answers[1].answer, "no");
        assert_eq!(text(first.answers[1].span), "\"fix=no\"");
        assert_eq!(first.expect.status, Some(ExpectedStatus::Escalated));
        assert_eq!(
            first.spans.expect.map(text),
            Some("(status: Escalated, node: \"support\")")
        );
        assert_eq!(
            first.spans.details.map(text),
            Some("Accepted({\"serial\": \"SN-1\"})")
        );
        assert_eq!(text(second.name_span()), "\"second\"");
        assert_eq!(second.expect.node.as_deref(), Some("ask"));
        assert!(second.details.is_none());
    }

    #[test]
    fn a_misspelt_status_is_reported_with_the_values_allowed() {
        let broken = FILE.replace("Escalated", "Escalate");
        let Err(d) = parse(&Source::new("demo.scenarios.ron", broken)) else {
            panic!("a misspelt status was accepted");
        };
        assert_eq!(d.code, Code::UnknownKind);
        assert!(
            d.message.contains("unknown value `Escalate`"),
            "{}",
            d.message
        );
        let help = d.help.unwrap_or_default();
        assert!(help.contains("did you mean `Escalated`?"), "{help}");
    }

    #[test]
    fn a_missing_expectation_is_reported() {
        let broken = FILE.replace(", expect: (node: \"ask\")", "");
        let Err(d) = parse(&Source::new("demo.scenarios.ron", broken)) else {
            panic!("a scenario without `expect` was accepted");
        };
        assert_eq!(d.code, Code::MissingField);
        assert!(d.message.contains("`expect`"), "{}", d.message);
    }
}
