//! Errors and warnings a writer reads: a stable code, the file, the exact place in it, and
//! help; rendered through miette as plain text, in colour, or as JSON.

use std::fmt;
use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use serde::Serialize;

use crate::source::snippet::Snippet;
use crate::source::{Source, Span};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing; the flow is still served.
    Warning,
    /// The flow is refused until it is fixed.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $text:literal, $severity:ident;)*) => {
        /// The stable code of a diagnostic, rendered like `stepwise::unknown-target`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in the order of the writers' guide.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// The code in kebab case, e.g. `unknown-target`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $text,)*
                }
            }

            /// Whether a diagnostic with this code refuses the flow.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$name => Severity::$severity,)*
                }
            }
        }
    };
}

codes! {
    /// The file is not valid RON.
    Syntax = "syntax", Error;
    /// A node kind that does not exist (`Questoin(…)`).
    UnknownKind = "unknown-kind", Error;
    /// A field the flow, a node or an answer does not have.
    UnknownField = "unknown-field", Error;
    /// A required field is not written.
    MissingField = "missing-field", Error;
    /// A field is written twice.
    DuplicateField = "duplicate-field", Error;
    /// A value of the wrong type (a number where a string belongs…).
    WrongType = "wrong-type", Error;
    /// Two nodes with the same id.
    DuplicateNode = "duplicate-node", Error;
    /// Two answers of one question with the same id.
    DuplicateAnswer = "duplicate-answer", Error;
    /// An escalation that collects two details with the same id.
    DuplicateDetail = "duplicate-detail", Error;
    /// An id that holds a character that cannot be seen, reorders text, or is whitespace.
    InvisibleCharacter = "invisible-character", Error;
    /// A text or label that holds a control character (NUL…), which no page can show.
    ControlCharacter = "control-character", Error;
    /// A question with no answers.
    NoAnswers = "no-answers", Error;
    /// A `goto`, `otherwise`, `next`, `default` or case naming no node.
    UnknownTarget = "unknown-target", Error;
    /// `start` names no node.
    MissingStart = "missing-start", Error;
    /// Nothing leads to a node.
    UnreachableNode = "unreachable-node", Error;
    /// Nodes that loop with no way to an outcome.
    Trap = "trap", Error;
    /// Remedies and info steps that lead round to each other: a customer who says "no"
    /// is sent round for ever.
    RemedyLoop = "remedy-loop", Error;
    /// A link to a flow that does not exist.
    UnknownFlow = "unknown-flow", Error;
    /// Flows that link to each other in a loop none of them leaves.
    LinkLoop = "link-loop", Error;
    /// A link to a flow that has errors.
    BrokenLink = "broken-link", Error;
    /// A detail's `pattern` that is not a regular expression the `regex` crate compiles.
    InvalidPattern = "invalid-pattern", Error;
    /// An escalation's `route` with an empty queue, an unknown priority or a tag that is not
    /// a plain name.
    InvalidRoute = "invalid-route", Error;
    /// A branch on a fact nothing can set.
    UnknownFact = "unknown-fact", Error;
    /// The flow's id is not its file name.
    IdMismatch = "id-mismatch", Error;
    /// Two files declare the same flow id.
    DuplicateFlow = "duplicate-flow", Error;
    /// The file is over the size limit.
    FileTooLarge = "file-too-large", Error;
    /// The file is not UTF-8.
    NotUtf8 = "not-utf8", Error;
    /// The file cannot be read.
    Unreadable = "unreadable", Error;
    /// A question with a single answer.
    OneAnswer = "one-answer", Warning;
    /// A branch with no cases.
    EmptyBranch = "empty-branch", Warning;
    /// A path through the flow with very many steps.
    LongPath = "long-path", Warning;
    /// A journey across links with more steps than the directory's `journey_steps`.
    LongJourney = "long-journey", Warning;
    /// A linked flow asks again about a fact every way to the link records.
    AskedAgain = "asked-again", Warning;
    /// A flow without a summary.
    MissingSummary = "missing-summary", Warning;
    /// An id that mixes Latin, Cyrillic or Greek letters, which look alike.
    ConfusableId = "confusable-id", Warning;
    /// A text shows an image from another site, which learns who reads the step.
    RemoteImage = "remote-image", Warning;
    /// An input no branch or question reads, here or in a flow this one links to.
    UnusedInput = "unused-input", Warning;
    /// A value an input declares that no branch or question on the fact can use.
    UnusedInputValue = "unused-input-value", Warning;
    /// A text holds raw HTML or a link to `javascript:`, which pages do not show as written.
    RawHtml = "raw-html", Warning;
    /// A text is still the placeholder `stepwise new` wrote.
    PlaceholderText = "placeholder-text", Warning;
    /// Texts of a flow its translation into a language does not translate.
    MissingTranslation = "missing-translation", Warning;
    /// A translation of a text that has changed since it was translated.
    StaleTranslation = "stale-translation", Warning;
    /// A translation of a node, answer or detail the flow does not have (or of a flow).
    OrphanTranslation = "orphan-translation", Warning;
    /// A scenario answer the step it reaches does not offer (or given after the outcome).
    AnswerNotOffered = "answer-not-offered", Error;
    /// A scenario answer written `node=answer` reaches another node.
    UnexpectedStep = "unexpected-step", Error;
    /// A scenario's walk does not end as it expects.
    UnexpectedOutcome = "unexpected-outcome", Error;
    /// Details a scenario gives are refused when they should be accepted, or the reverse.
    UnexpectedDetails = "unexpected-details", Error;
    /// Two scenarios of one file with the same name.
    DuplicateScenario = "duplicate-scenario", Error;
    /// A scenario whose `expect` names nothing to check.
    NothingExpected = "nothing-expected", Error;
    /// A fact a scenario gives that a walk refuses (empty or too long).
    InvalidFact = "invalid-fact", Error;
}

impl Code {
    /// Whether only scenario files raise it (`stepwise test`), not flow files.
    pub fn is_scenario(self) -> bool {
        matches!(
            self,
            Code::AnswerNotOffered
                | Code::UnexpectedStep
                | Code::UnexpectedOutcome
                | Code::UnexpectedDetails
                | Code::DuplicateScenario
                | Code::NothingExpected
                | Code::InvalidFact
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A span of the source and what to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What, in a few words.
    pub text: String,
}

/// One problem found in a flow file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error or warning (given by the code).
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The exact place.
    pub primary: Option<Label>,
    /// Related places (where an id was first defined, the rest of a loop…).
    pub secondary: Vec<Label>,
    /// The file it is about.
    pub source: Source,
}

/// How to render diagnostics as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No colour: logs, files, snapshots.
    Plain,
    /// ANSI colour for a terminal.
    Colour,
}

/// Width diagnostics are wrapped at, fixed so output does not depend on the terminal.
pub const RENDER_WIDTH: usize = 100;

impl Diagnostic {
    /// A diagnostic about `source`, with the severity its code carries.
    pub fn new(code: Code, source: &Source, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            help: None,
            primary: None,
            secondary: Vec::new(),
            source: source.clone(),
        }
    }

    /// Points at the exact place (the first call) or at a related one (later calls).
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        let label = Label {
            span: self.source.clamp(span),
            text: text.into(),
        };
        if self.primary.is_none() {
            self.primary = Some(label);
        } else {
            self.secondary.push(label);
        }
        self
    }

    /// Points at the place if it is known.
    pub fn with_label_at(self, span: Option<Span>, text: impl Into<String>) -> Diagnostic {
        match span {
            Some(span) => self.with_label(span, text),
            None => self,
        }
    }

    /// Says how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The file it is about.
    pub fn path(&self) -> &Path {
        &self.source.path
    }

    /// Whether it refuses the flow.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic as a writer reads it: header, snippet with the place underlined, help.
    pub fn render(&self, style: Style) -> String {
        let theme = match style {
            Style::Plain => GraphicalTheme::unicode_nocolor(),
            Style::Colour => GraphicalTheme::unicode(),
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(RENDER_WIDTH)
            .with_links(false)
            .with_urls(false);
        let mut out = String::new();
        match handler.render_report(&mut out, &Shown::of(self)) {
            Ok(()) => out,
            Err(_) => format!(
                "{}: {} [stepwise::{}]: {}\n",
                self.source.name(),
                self.severity,
                self.code,
                self.message
            ),
        }
    }

    /// The diagnostic as one JSON object, for editors and CI.
    pub fn to_json(&self) -> JsonDiagnostic {
        let place = |span: Span| {
            let start = self.source.line_col(span.start);
            let end = self.source.line_col(span.end);
            (start.line, start.column, end.line, end.column)
        };
        let primary = self.primary.as_ref().map(|l| place(l.span));
        let labels = self
            .primary
            .iter()
            .map(|l| (true, l))
            .chain(self.secondary.iter().map(|l| (false, l)))
            .map(|(primary, label)| {
                let (line, column, end_line, end_column) = place(label.span);
                JsonLabel {
                    primary,
                    message: label.text.clone(),
                    line,
                    column,
                    end_line,
                    end_column,
                }
            })
            .collect();
        JsonDiagnostic {
            code: self.code,
            severity: self.severity,
            file: self.source.name(),
            line: primary.map(|p| p.0),
            column: primary.map(|p| p.1),
            end_line: primary.map(|p| p.2),
            end_column: primary.map(|p| p.3),
            message: self.message.clone(),
            help: self.help.clone(),
            labels,
        }
    }

    /// Where it points, for ordering: the primary label's start, else the file's start.
    pub fn offset(&self) -> usize {
        self.primary.as_ref().map_or(0, |l| l.span.start)
    }
}

/// Renders diagnostics one after another.
pub fn render_all<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    style: Style,
) -> String {
    diagnostics
        .into_iter()
        .map(|d| d.render(style))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One diagnostic as JSON. Lines and columns are 1-based; columns count characters.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    /// Stable code, e.g. `unknown-target`.
    pub code: Code,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The file as given.
    pub file: String,
    /// Start of the primary label, if the diagnostic points anywhere.
    pub line: Option<usize>,
    /// Start column of the primary label.
    pub column: Option<usize>,
    /// End line of the primary label.
    pub end_line: Option<usize>,
    /// End column (exclusive) of the primary label.
    pub end_column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Every labelled place, the primary first.
    pub labels: Vec<JsonLabel>,
}

/// One labelled place in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct JsonLabel {
    /// Whether this is the exact place of the problem.
    pub primary: bool,
    /// What the label says.
    pub message: String,
    /// Start line.
    pub line: usize,
    /// Start column.
    pub column: usize,
    /// End line.
    pub end_line: usize,
    /// End column (exclusive).
    pub end_column: usize,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// A diagnostic as miette renders it: its labels in the [`Snippet`] of its source they show.
struct Shown<'d> {
    diagnostic: &'d Diagnostic,
    snippet: Snippet<'d>,
    /// The primary label first, as they stand in the snippet.
    labels: Vec<Span>,
}

impl<'d> Shown<'d> {
    fn of(diagnostic: &'d Diagnostic) -> Shown<'d> {
        let spans: Vec<Span> = diagnostic
            .primary
            .iter()
            .chain(&diagnostic.secondary)
            .map(|l| l.span)
            .collect();
        let (snippet, labels) = Snippet::of(&diagnostic.source, &spans);
        Shown {
            diagnostic,
            snippet,
            labels,
        }
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl miette::Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("stepwise::{}", self.diagnostic.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        // Without a label there is nothing to show, and an empty source would render
        // an empty snippet.
        self.diagnostic
            .primary
            .as_ref()
            .map(|_| &self.snippet as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = self.diagnostic.primary.as_ref()?;
        let texts = std::iter::once(primary).chain(&self.diagnostic.secondary);
        let spans = texts
            .zip(&self.labels)
            .enumerate()
            .map(|(k, (label, &span))| {
                if k == 0 {
                    LabeledSpan::new_primary_with_span(Some(label.text.clone()), span)
                } else {
                    LabeledSpan::new_with_span(Some(label.text.clone()), span)
                }
            });
        Some(Box::new(spans))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnostic {
        let source = Source::new("flows/a.ron", "start: \"nope\",\n");
        Diagnostic::new(Code::MissingStart, &source, "`start` names no node")
            .with_label(Span::new(7, 13), "no node `nope`")
            .with_help("name one of the nodes")
    }

    #[test]
    fn codes_are_kebab_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{text}"
            );
            assert!(seen.insert(text), "{text} twice");
        }
    }

    #[test]
    fn plain_rendering_shows_code_place_snippet_and_help() {
        let text = sample().render(Style::Plain);
        assert!(text.contains("stepwise::missing-start"), "{text}");
        assert!(text.contains("[flows/a.ron:1:8]"), "{text}");
        assert!(text.contains("no node `nope`"), "{text}");
        assert!(text.contains("help: name one of the nodes"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "plain text has no escapes: {text}"
        );
    }

    #[test]
    fn colour_rendering_uses_ansi_escapes() {
        assert!(sample().render(Style::Colour).contains('\u{1b}'));
    }

    #[test]
    fn json_gives_one_based_lines_and_columns() {
        let json = serde_json::to_value(sample().to_json()).expect("serializes");
        assert_eq!(json["code"], "missing-start");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["file"], "flows/a.ron");
        assert_eq!(json["line"], 1);
        assert_eq!(json["column"], 8);
        assert_eq!(json["end_column"], 14);
        assert_eq!(json["labels"][0]["primary"], true);
    }

    #[test]
    fn the_header_and_json_name_the_same_column_in_characters() {
        let text = "text: \"Café 🎉 ünïcödé\", next: \"nope\",\n";
        let source = Source::new("a.ron", text);
        let at = text.find("\"nope\"").expect("target");
        let d = Diagnostic::new(Code::UnknownTarget, &source, "no node `nope`")
            .with_label(Span::new(at, at + 6), "no such node");
        let column = text[..at].chars().count() + 1;
        assert_eq!(d.to_json().column, Some(column));
        let rendered = d.render(Style::Plain);
        assert!(
            rendered.contains(&format!("[a.ron:1:{column}]")),
            "{rendered}"
        );
    }

    #[test]
    fn a_diagnostic_without_a_place_still_renders() {
        let source = Source::new("gone.ron", "");
        let text = Diagnostic::new(Code::Unreadable, &source, "cannot read `gone.ron`")
            .render(Style::Plain);
        assert!(text.contains("cannot read `gone.ron`"), "{text}");
    }
}
