//! The text of a file and places in it: byte offsets, spans, lines and columns. Reading one
//! from disk is [`crate::files`]' job.
//!
//! [`index`] finds where ids stand in the text; [`lex`] is the small RON lexer it reads with,
//! through the forgiving structural reader in `reader`; `snippet` is the part of a text a
//! rendered diagnostic shows.

pub mod index;
pub mod lex;
pub(crate) mod reader;
pub(crate) mod snippet;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use miette::SourceSpan;

/// A byte range in a source text, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// An empty span at `offset`.
    pub fn at(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    /// How many bytes it covers.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> SourceSpan {
        SourceSpan::new(span.start.into(), span.len())
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The text of one flow file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user gave it (or as found in a directory).
    pub path: PathBuf,
    /// The whole file.
    pub text: Arc<str>,
    /// Byte offset of the start of every line, computed when first needed.
    lines: Arc<OnceLock<Vec<usize>>>,
}

impl Source {
    /// A source from text in memory (tests, uploads). No size limit applies.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
            lines: Arc::default(),
        }
    }

    /// The name it is reported under.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// The file name without `.ron`, which must be the flow's id.
    pub fn stem(&self) -> Option<&str> {
        let name = self.path.file_name()?.to_str()?;
        Some(name.strip_suffix(".ron").unwrap_or(name))
    }

    fn line_starts(&self) -> &[usize] {
        self.lines.get_or_init(|| {
            std::iter::once(0)
                .chain(
                    self.text
                        .bytes()
                        .enumerate()
                        .filter(|&(_, b)| b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect()
        })
    }

    /// The line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset);
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let start = starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol { line, column }
    }

    /// The byte offset of a 1-based line and column counted in characters, as ron reports
    /// them; clamped to the line and the text.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let starts = self.line_starts();
        let Some(&start) = starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        let within = rest[..line_len]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_len, |(i, _)| i);
        start + within
    }

    /// The span clamped to the text and widened to whole characters.
    pub fn clamp(&self, span: Span) -> Span {
        let start = floor_char_boundary(&self.text, span.start);
        if span.is_empty() {
            return Span::at(start);
        }
        let end = ceil_char_boundary(&self.text, span.end.max(start));
        Span::new(start, end)
    }
}

/// The text of the string written at `span` of `text`, without quotes and escapes
/// (`None` if no string stands there).
pub fn string_at(text: &str, span: Span) -> Option<String> {
    use lex::{Kind, Lexer};
    let token = Lexer::new(text.get(span.start..span.end)?).next()?;
    let Kind::Str { raw, escaped, .. } = token.kind else {
        return None;
    };
    let slice = text.get(span.start + token.span.start..span.start + token.span.end)?;
    Some(reader::unescape(slice, raw, escaped).into_owned())
}

/// The id written by the string at `span` of `text`, in NFC as ids are compared.
pub fn id_at(text: &str, span: Span) -> Option<String> {
    reader::id_at(text, span)
}

/// The largest char boundary at or before `offset`, within the text.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary at or after `offset`, within the text.
fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let source = Source::new("a.ron", "ab\nçé x\n");
        assert_eq!(source.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(source.line_col(3), LineCol { line: 2, column: 1 });
        // `x` is after two 2-byte characters and a space.
        assert_eq!(source.line_col(8), LineCol { line: 2, column: 4 });
        assert_eq!(source.offset_of(2, 4), 8);
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let source = Source::new("a.ron", "ab\ncd");
        assert_eq!(source.offset_of(9, 1), 5);
        assert_eq!(source.offset_of(1, 40), 2);
        assert_eq!(source.line_col(400), LineCol { line: 2, column: 3 });
        assert_eq!(source.clamp(Span::new(4, 99)), Span::new(4, 5));
    }

    #[test]
    fn spans_are_widened_to_whole_characters() {
        let source = Source::new("a.ron", "é");
        assert_eq!(source.clamp(Span::new(1, 1)), Span::new(0, 0));
        assert_eq!(source.clamp(Span::new(0, 1)), Span::new(0, 2));
    }

    #[test]
    fn stem_drops_the_ron_extension() {
        assert_eq!(Source::new("flows/a-b.ron", "").stem(), Some("a-b"));
        assert_eq!(Source::new("x", "").stem(), Some("x"));
    }
}
