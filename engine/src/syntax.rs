//! ron's syntax and type errors turned into diagnostics that point at the exact place and
//! say how to fix it, in the words of each kind of file (flow, scenario, translation).

use ron::error::{Error, SpannedError};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::index::Index;
use crate::source::lex::{Kind, Lexer};
use crate::source::{Source, Span};
use crate::suggest::{closest, did_you_mean, names};

/// What a kind of file holds, for the words of its diagnostics.
pub(crate) struct Grammar {
    /// What one file holds, e.g. `flow`.
    pub noun: &'static str,
    /// The shape of a whole file, for help.
    pub shape: &'static str,
    /// What the names of enum variants are called here, e.g. `node kind`.
    pub variant: &'static str,
    /// Help for a variant written without its parentheses.
    pub parentheses: &'static str,
    /// What a missing field usually holds, e.g. ` with a node id`.
    pub field_hint: fn(&str) -> &'static str,
}

/// What ron's error means for a writer.
pub(crate) fn diagnose(source: &Source, error: &SpannedError, grammar: &Grammar) -> Diagnostic {
    let start = source.offset_of(error.span.start.line, error.span.start.col);
    let end = source.offset_of(error.span.end.line, error.span.end.col);
    let span = settle(&source.text, Span::new(start.min(end), start.max(end)));
    if source.text.trim().is_empty() {
        // With nothing to point at there is no snippet, and so no file name in its header.
        return Diagnostic::new(
            Code::Syntax,
            source,
            format!("`{}` is empty", source.name()),
        )
        .with_help(grammar.shape);
    }
    let end_of_text = source.text.trim_end().len();
    if span.start >= end_of_text && !matches!(error.code, Error::MissingStructField { .. }) {
        return end_of_file(source, end_of_text, grammar);
    }
    let here = |code: Code, message: String, label: &str| {
        Diagnostic::new(code, source, message).with_label(span, label)
    };
    match &error.code {
        Error::NoSuchEnumVariant {
            expected, found, ..
        } => here(
            Code::UnknownKind,
            format!("unknown {} `{found}`", grammar.variant),
            &format!("not a {}", grammar.variant),
        )
        .with_help(
            format!(
                "{} The {}s are {}.",
                did_you_mean(closest(found, expected.iter().copied()), ""),
                grammar.variant,
                names(expected.iter().copied())
            )
            .trim_start()
            .to_owned(),
        ),
        Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => here(
            Code::UnknownField,
            format!("unknown field `{found}`{}", within_fields(outer, expected)),
            "unknown field",
        )
        .with_help(
            format!(
                "{} The fields here are {}.",
                did_you_mean(closest(found, expected.iter().copied()), ""),
                names(expected.iter().copied())
            )
            .trim_start()
            .to_owned(),
        ),
        Error::MissingStructField { field, outer } => here(
            Code::MissingField,
            format!("missing field `{field}`{}", within(outer)),
            &format!("`{field}` is missing before this"),
        )
        .with_help(format!("add `{field}: …`{}", (grammar.field_hint)(field))),
        Error::DuplicateStructField { field, outer } => here(
            Code::DuplicateField,
            format!("field `{field}` is written twice{}", within(outer)),
            "written again here",
        )
        .with_help("keep one of them"),
        Error::Message(message) if message.starts_with("duplicate node id") => {
            duplicate_node(source, span, message)
        }
        code => match wrong_type(code) {
            Some((message, label)) => here(Code::WrongType, message, &label)
                .with_help("strings are written in double quotes: `\"…\"`; lists in `[…]`"),
            None => syntax(source, span, code, grammar),
        },
    }
}

/// ` in Question`, when ron says where.
/// The group of fields an unknown one was found in. An input's fields are read as a map (an
/// input may also be a bare string), and ron then names the group around it: the fields it
/// expected say it is an input.
fn within_fields(outer: &Option<String>, expected: &[&str]) -> String {
    match expected == crate::model::INPUT_FIELDS {
        true => " in an input".to_owned(),
        false => within(outer),
    }
}

fn within(outer: &Option<String>) -> String {
    match outer {
        Some(outer) => format!(" in `{outer}`"),
        None => String::new(),
    }
}

/// For errors that mean "a value of the wrong type": what was expected, and a label.
fn wrong_type(code: &Error) -> Option<(String, String)> {
    let (expected, noun) = match code {
        Error::InvalidValueForType { expected, found } => {
            return Some((
                format!("expected {expected}, found {found}"),
                format!("found {found}"),
            ));
        }
        Error::ExpectedDifferentLength { expected, found } => {
            return Some((
                format!("expected {expected}, found {found} elements"),
                format!("{found} elements"),
            ));
        }
        Error::ExpectedString => ("a string in double quotes", "a string"),
        Error::ExpectedBoolean => ("`true` or `false`", "`true` or `false`"),
        Error::ExpectedInteger => ("a whole number", "a whole number"),
        Error::ExpectedFloat => ("a number", "a number"),
        Error::ExpectedChar => ("a character", "a character"),
        Error::ExpectedArray => ("a list in `[…]`", "a list"),
        Error::ExpectedMap => ("a map in `{…}`", "a map"),
        Error::ExpectedOption => ("a value or `None`", "a value"),
        Error::ExpectedUnit => ("`()`", "`()`"),
        _ => return None,
    };
    Some((
        format!("expected {expected}"),
        format!("this is not {noun}"),
    ))
}

/// Two nodes with the same id: point at the second, and at the first.
fn duplicate_node(source: &Source, span: Span, message: &str) -> Diagnostic {
    let id = message.split('`').nth(1).unwrap_or_default();
    let index = Index::of(&source.text);
    let mut keys = index.nodes_named(id).map(|n| n.key);
    let first = keys.next();
    let again = keys.next().unwrap_or(span);
    let mut d = Diagnostic::new(
        Code::DuplicateNode,
        source,
        format!("node id `{id}` is used twice"),
    )
    .with_label(again, "used again here");
    if let Some(first) = first.filter(|f| *f != again) {
        d = d.with_label(first, "first used here");
    }
    d.with_help("give each node its own id, and update the answers that lead to it")
}

/// ron points at the whitespace before a value, or at nothing; point at the token
/// that is there instead.
fn settle(text: &str, span: Span) -> Span {
    let covered = text.get(span.start..span.end).unwrap_or_default();
    if !covered.trim().is_empty() {
        return span;
    }
    let rest = text.get(span.start..).unwrap_or_default();
    match Lexer::new(rest).next() {
        Some(token) => Span::new(span.start + token.span.start, span.start + token.span.end),
        None => span,
    }
}

/// The text ended before the flow did: point at the end, and at what was left open.
fn end_of_file(source: &Source, end: usize, grammar: &Grammar) -> Diagnostic {
    let last = source.text[..end]
        .char_indices()
        .next_back()
        .map_or(Span::at(end), |(i, c)| Span::new(i, i + c.len_utf8()));
    let d = Diagnostic::new(Code::Syntax, source, "unexpected end of file")
        .with_label(last, "the file ends here");
    match unclosed(&source.text, end) {
        Some(Unclosed::String(at)) => d
            .with_label(at, "this string is never closed")
            .with_help("add the closing `\"` of this string"),
        Some(Unclosed::Bracket(at)) => d
            .with_label(at, "this bracket is never closed")
            .with_help("close it, or remove it"),
        _ => d.with_help(format!(
            "the {} is cut short: finish it, or restore the end of the file",
            grammar.noun
        )),
    }
}

/// Any other RON error: ron's message, and a hint when the cause is likely elsewhere.
fn syntax(source: &Source, span: Span, code: &Error, grammar: &Grammar) -> Diagnostic {
    let message = match code {
        Error::Eof => "unexpected end of file".to_owned(),
        Error::ExpectedComma => "expected `,` or a closing bracket".to_owned(),
        Error::ExpectedMapColon => "expected `:` after the key".to_owned(),
        Error::ExpectedStructLikeEnd | Error::ExpectedOptionEnd => "expected `)`".to_owned(),
        Error::ExpectedArrayEnd => "expected `]`".to_owned(),
        Error::ExpectedMapEnd => "expected `}`".to_owned(),
        Error::ExpectedStringEnd => "this string is never closed".to_owned(),
        Error::TrailingCharacters => {
            format!("unexpected text after the end of the {}", grammar.noun)
        }
        Error::UnexpectedChar(c) => format!("unexpected character `{c}`"),
        Error::ExceededRecursionLimit => "brackets are nested too deeply".to_owned(),
        other => lowercase_first(&other.to_string()),
    };
    let label = match code {
        Error::ExpectedComma => "expected `,` before this",
        Error::ExpectedStringEnd => "opens here",
        _ => "here",
    };
    let d = Diagnostic::new(Code::Syntax, source, message).with_label(span, label);
    let hint = match unclosed(&source.text, span.start) {
        Some(Unclosed::String(at)) if at.start != span.start => Some((
            at,
            "this string is never closed",
            "add the closing `\"` of this string",
        )),
        Some(Unclosed::Multiline(at)) => Some((
            at,
            "this string runs on past its line",
            "is a closing `\"` missing at the end of the line where this string starts? \
             A missing quote only shows where the text stops making sense",
        )),
        Some(Unclosed::Abutting(at)) => Some((
            at,
            "this string may be missing its closing `\"`",
            "the string ends at the next `\"`, which looks meant to open another string: \
             add the missing `\"`",
        )),
        _ => None,
    };
    if let Some((at, label, help)) = hint {
        return d.with_label(at, label).with_help(help);
    }
    d.with_help(match code {
        Error::ExpectedComma => "separate fields, list items and map entries with `,`".to_owned(),
        Error::ExpectedMapColon => "write map entries as `\"key\": value`".to_owned(),
        Error::ExpectedStringEnd => "add the closing `\"` of this string".to_owned(),
        Error::TrailingCharacters => grammar.shape.to_owned(),
        Error::ExpectedStructLike => grammar.parentheses.to_owned(),
        Error::ExpectedIdentifier => "write fields as `name: value`".to_owned(),
        Error::ExpectedDifferentStructName { .. } | Error::ExpectedNamedStructLike(_) => {
            grammar.shape.to_owned()
        }
        _ => format!("see the writers' guide for the shape of a {}", grammar.noun),
    })
}

enum Unclosed {
    /// A string that runs to the end of the text.
    String(Span),
    /// A string that runs over a line break up to the error.
    Multiline(Span),
    /// A string directly followed by the error: its closing quote was likely meant to
    /// open another string.
    Abutting(Span),
    /// A bracket never closed.
    Bracket(Span),
}

/// The likely real cause of an error at `error`: a string left open before it, a string
/// that ran over a line break up to it, or a bracket never closed.
fn unclosed(text: &str, error: usize) -> Option<Unclosed> {
    let mut last = None;
    let mut open = Vec::new();
    for token in Lexer::new(text) {
        if token.span.start > error {
            break;
        }
        match token.kind {
            Kind::Str { closed: false, .. } => return Some(Unclosed::String(opening(token.span))),
            Kind::Punct(b'(' | b'[' | b'{') => open.push(token.span),
            Kind::Punct(b')' | b']' | b'}') => {
                open.pop();
            }
            _ => {}
        }
        if token.span.end <= error {
            last = Some(token);
        }
    }
    if let Some(token) = last
        && matches!(token.kind, Kind::Str { raw: false, .. })
    {
        let body = text
            .get(token.span.start..token.span.end)
            .unwrap_or_default();
        if body.contains('\n') {
            return Some(Unclosed::Multiline(opening(token.span)));
        }
        if token.span.end == error {
            return Some(Unclosed::Abutting(opening(token.span)));
        }
    }
    open.pop().map(Unclosed::Bracket)
}

/// The opening quote of a string token.
fn opening(span: Span) -> Span {
    Span::new(span.start, span.start + 1)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
