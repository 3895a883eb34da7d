//! The part of a source a rendered diagnostic shows: the lines around its labels, with very
//! long lines cut down to the parts the labels point at.
//!
//! miette reads a `str` snippet by scanning the text from its start, so a file with thousands
//! of diagnostics rendered in quadratic time, and it panics on a label more than 65,535
//! columns into a line (a format width). A [`Snippet`] holds only the lines shown, each of
//! them short, and answers miette's reads from its own table of lines. Its contexts are the
//! ones miette would make of the whole text, so the output is the same for ordinary files.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::{Source, Span, ceil_char_boundary, floor_char_boundary};

/// Lines longer than this many bytes are cut to the parts around the labels' ends.
pub(crate) const LONG_LINE: usize = 1_000;

/// How many bytes of a cut line are kept either side of a label's end.
const AROUND: usize = 60;

/// Lines shown before and after a label, as miette shows them.
const CONTEXT: usize = 1;

/// The most lines one context shows when miette would join two labels' contexts; labels
/// further apart are shown apart, so a diagnostic's snippet never grows with the file.
const MAX_JOINED_LINES: usize = 40;

/// The cut between two kept parts of a long line.
const CUT: &str = "…";

/// The lines a diagnostic shows, as a source miette reads.
pub(crate) struct Snippet<'s> {
    source: &'s Source,
    text: String,
    /// Every line kept, in order: where it stands in `text` and which line of the source
    /// it is (0-based).
    lines: Vec<Line>,
    /// Runs of `text` copied from the source, in order: where each starts in `text`, where
    /// it starts in the source, and its length.
    pieces: Vec<Piece>,
}

#[derive(Clone, Copy)]
struct Line {
    /// The line's start in the snippet's text.
    start: usize,
    /// Its end in the snippet's text, after its newline if it has one.
    end: usize,
    /// Which line of the source it is, 0-based.
    number: usize,
    /// Which group of lines shown together it belongs to.
    group: usize,
    /// Whether it ends with a newline.
    newline: bool,
}

#[derive(Clone, Copy)]
struct Piece {
    at: usize,
    from: usize,
    len: usize,
}

impl<'s> Snippet<'s> {
    /// The lines around `spans` (clamped to the source), and the spans as they stand in them.
    pub(crate) fn of(source: &'s Source, spans: &[Span]) -> (Snippet<'s>, Vec<Span>) {
        let starts = source.line_starts();
        let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).max(1) - 1;
        let last_line = starts.len() - 1;
        // The lines of each context, made the way miette makes them: labels in order of
        // their start, a label joining the context before when miette's test says so.
        let mut order: Vec<Span> = spans.to_vec();
        order.sort_by_key(|s| s.start);
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for span in &order {
            let first = line_of(span.start);
            let last = line_of(span.end.saturating_sub(1).max(span.start));
            let lines = (
                first.saturating_sub(CONTEXT),
                (last + CONTEXT).min(last_line),
            );
            if let Some(group) = groups.last_mut() {
                // miette joins when the line before the context plus its count of lines
                // from the top of the file reaches the next context.
                let count = group.1 + usize::from(group.1 < last_line);
                let joined = (group.0, group.1.max(lines.1));
                let touching = lines.0 <= group.1 + 1;
                if group.0 + count >= lines.0
                    && (touching || joined.1 - joined.0 < MAX_JOINED_LINES)
                {
                    *group = joined;
                    continue;
                }
            }
            groups.push(lines);
        }
        let mut snippet = Snippet {
            source,
            text: String::new(),
            lines: Vec::new(),
            pieces: Vec::new(),
        };
        let text = &*source.text;
        for (group, &(first, last)) in groups.iter().enumerate() {
            for number in first..=last {
                let start = starts[number];
                let newline = number < last_line;
                let end = if newline {
                    starts[number + 1] - 1
                } else {
                    text.len()
                };
                let at = snippet.text.len();
                if end - start > LONG_LINE {
                    let ends: Vec<usize> = spans
                        .iter()
                        .flat_map(|s| [s.start, s.end])
                        .filter(|&p| (start..=end).contains(&p))
                        .collect();
                    snippet.push_cut(start, end, &ends);
                } else {
                    snippet.push_piece(start, end);
                }
                if newline {
                    snippet.push_piece(end, end + 1);
                }
                snippet.lines.push(Line {
                    start: at,
                    end: snippet.text.len(),
                    number,
                    group,
                    newline,
                });
            }
        }
        let mapped = spans
            .iter()
            .map(|s| Span::new(snippet.to_snippet(s.start), snippet.to_snippet(s.end)))
            .collect();
        (snippet, mapped)
    }

    /// Copies `start..end` of the source.
    fn push_piece(&mut self, start: usize, end: usize) {
        if let Some(part) = self.source.text.get(start..end) {
            self.pieces.push(Piece {
                at: self.text.len(),
                from: start,
                len: end - start,
            });
            self.text.push_str(part);
        }
    }

    /// Copies the parts of the long line `start..end` around `ends`, with a cut between.
    fn push_cut(&mut self, start: usize, end: usize, ends: &[usize]) {
        let text = &*self.source.text;
        let mut windows: Vec<(usize, usize)> = if ends.is_empty() {
            vec![(start, start + 2 * AROUND)]
        } else {
            ends.iter()
                .map(|&p| (p.saturating_sub(AROUND).max(start), p + AROUND))
                .collect()
        };
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (from, to) in windows {
            let from = floor_char_boundary(text, from);
            let to = ceil_char_boundary(text, to.min(end));
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let mut at = start;
        for (from, to) in merged {
            if from > at {
                self.text.push_str(CUT);
            }
            self.push_piece(from, to);
            at = to;
        }
        if at < end {
            self.text.push_str(CUT);
        }
    }

    /// Where a source offset stands in the snippet (a label's ends are always kept).
    fn to_snippet(&self, offset: usize) -> usize {
        let k = self.pieces.partition_point(|p| p.from <= offset);
        match k.checked_sub(1).map(|k| self.pieces[k]) {
            Some(p) => p.at + (offset - p.from).min(p.len),
            None => 0,
        }
    }

    /// Where a snippet offset stands in the source.
    fn to_source(&self, offset: usize) -> usize {
        let k = self.pieces.partition_point(|p| p.at <= offset);
        match k.checked_sub(1).map(|k| self.pieces[k]) {
            Some(p) => p.from + (offset - p.at).min(p.len),
            None => 0,
        }
    }

    /// The kept line holding a snippet offset.
    fn line_at(&self, offset: usize) -> Option<usize> {
        let k = self.lines.partition_point(|l| l.start <= offset);
        k.checked_sub(1)
    }
}

impl SourceCode for Snippet<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let last = (start + span.len()).saturating_sub(1).max(start);
        let (Some(first), Some(end)) = (self.line_at(start), self.line_at(last)) else {
            return Err(MietteError::OutOfBounds);
        };
        let group = self.lines[first].group;
        if self.lines[end].group != group || last > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let mut top = first.saturating_sub(context_lines_before);
        while self.lines[top].group != group {
            top += 1;
        }
        let mut bottom = (end + context_lines_after).min(self.lines.len() - 1);
        while self.lines[bottom].group != group {
            bottom -= 1;
        }
        let (top, bottom) = (self.lines[top], self.lines[bottom]);
        // As miette counts: the lines from the top of the file to the end of the snippet.
        let line_count = bottom.number + usize::from(bottom.newline);
        let (data_start, line, column) = if context_lines_before == 0 && context_lines_after == 0 {
            // The place a header names: its column in characters of the whole line, as
            // `--format json` counts it.
            let at = self.source.line_col(self.to_source(start));
            (start.min(bottom.end), at.line - 1, at.column - 1)
        } else {
            (top.start, top.number, 0)
        };
        let data = &self.text[data_start..bottom.end];
        Ok(Box::new(MietteSpanContents::new_named(
            self.source.name(),
            data.as_bytes(),
            (data_start, data.len()).into(),
            line,
            column,
            line_count,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept_whole() {
        let source = Source::new("a.ron", "one\ntwo\nthree\nfour\n");
        let (snippet, spans) = Snippet::of(&source, &[Span::new(8, 13)]);
        assert_eq!(snippet.text, "two\nthree\nfour\n");
        assert_eq!(&snippet.text[spans[0].start..spans[0].end], "three");
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let text = format!("{}\"here\"{}\n", "x".repeat(100_000), "y".repeat(100_000));
        let source = Source::new("a.ron", text);
        let (snippet, spans) = Snippet::of(&source, &[Span::new(100_000, 100_006)]);
        assert!(snippet.text.len() < 4 * AROUND, "{}", snippet.text.len());
        assert!(snippet.text.starts_with(CUT) && snippet.text.ends_with("…\n"));
        assert_eq!(&snippet.text[spans[0].start..spans[0].end], "\"here\"");
        assert_eq!(snippet.to_source(spans[0].start), 100_000);
    }

    #[test]
    fn labels_far_apart_are_shown_apart() {
        let text = "line\n".repeat(1_000);
        let source = Source::new("a.ron", text);
        let (snippet, _) = Snippet::of(&source, &[Span::new(0, 4), Span::new(4_000, 4_004)]);
        // Lines 1-2 and 800-802, not the 800 lines between.
        assert_eq!(snippet.lines.len(), 5);
    }
}
