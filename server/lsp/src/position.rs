//! Byte spans of the engine and the protocol's positions, which count UTF-16 code units.

use std::sync::Arc;

use line_index::{LineIndex, TextSize, WideEncoding, WideLineCol};
use lsp_types::{Position, Range};
use stepwise_engine::Span;

/// A text's lines, for converting positions both ways.
#[derive(Debug)]
pub struct Lines {
    index: LineIndex,
    text: Arc<str>,
    len: usize,
}

impl Lines {
    /// The lines of `text`.
    pub fn new(text: Arc<str>) -> Lines {
        Lines {
            index: LineIndex::new(&text),
            len: text.len(),
            text,
        }
    }

    /// The position of a byte offset (clamped to the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = TextSize::try_from(offset.min(self.len)).unwrap_or(TextSize::from(u32::MAX));
        let utf8 = self.index.line_col(offset);
        match self.index.to_wide(WideEncoding::Utf16, utf8) {
            Some(wide) => Position::new(wide.line, wide.col),
            None => Position::new(utf8.line, utf8.col),
        }
    }

    /// The range of a span.
    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The byte offset of a position, on a character boundary; a position past a line's
    /// end stands at its end, and one past the last line at the end of the text.
    pub fn offset(&self, position: Position) -> usize {
        let Some(line) = self.index.line(position.line) else {
            return self.len;
        };
        // The line's range runs to the start of the next: its end is before the newline.
        let mut end = usize::from(line.end());
        if end > usize::from(line.start()) && self.text.as_bytes().get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        // A line has at least as many bytes as UTF-16 units: this bounds what follows.
        let wide = WideLineCol {
            line: position.line,
            col: position.character.min(u32::from(line.len())),
        };
        let offset = match self
            .index
            .to_utf8(WideEncoding::Utf16, wide)
            .and_then(|utf8| self.index.offset(utf8))
        {
            Some(offset) => usize::from(offset).min(end),
            None => end,
        };
        let mut offset = offset.min(self.len);
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_code_units() {
        // `é` is one unit, `🔑` two; `x` stands after both.
        let text = "a\né🔑 x\n";
        let lines = Lines::new(text.into());
        let x = text.find('x').expect("x");
        assert_eq!(lines.position(x), Position::new(1, 4));
        assert_eq!(lines.offset(Position::new(1, 4)), x);
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let lines = Lines::new("ab\ncd".into());
        assert_eq!(lines.offset(Position::new(0, 99)), 2);
        assert_eq!(lines.offset(Position::new(9, 0)), 5);
        assert_eq!(lines.position(99), Position::new(1, 2));
        // Inside a surrogate pair: the offset stays on a character boundary.
        let lines = Lines::new("🔑".into());
        assert_eq!(lines.offset(Position::new(0, 1)), 0);
        assert_eq!(lines.offset(Position::new(0, u32::MAX)), 4);
    }
}
