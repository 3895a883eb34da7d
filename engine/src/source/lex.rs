//! A small, forgiving RON lexer: tokens with byte spans, for locating things in the text.
//!
//! ron itself gives no positions for values that parse, so the index reads the text again
//! with this. It never fails: anything it does not know becomes an [`Kind::Unknown`] token,
//! and an unclosed string or comment simply runs to the end of the text.

use super::Span;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (`"…"`, `r#"…"#`, `b"…"`); `escaped` when it holds a backslash escape.
    Str {
        raw: bool,
        escaped: bool,
        closed: bool,
    },
    /// An identifier (`Question`, `goto`, `true`, `r#type`).
    Ident,
    /// A number or a char literal.
    Literal,
    /// One of `( ) [ ] { } : , # !`.
    Punct(u8),
    /// Anything else, one character at a time.
    Unknown,
}

/// One token and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Where it is.
    pub span: Span,
}

/// The tokens of a RON text, skipping whitespace and comments.
pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`.
    pub fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    fn skip_trivia(&mut self) {
        loop {
            match (self.at(self.pos), self.at(self.pos + 1)) {
                (b, _) if b.is_ascii_whitespace() => self.pos += 1,
                (b'/', b'/') => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                (b'/', b'*') => {
                    // RON block comments nest.
                    let mut depth = 0usize;
                    while self.pos < self.bytes.len() {
                        match (self.at(self.pos), self.at(self.pos + 1)) {
                            (b'/', b'*') => {
                                depth += 1;
                                self.pos += 2;
                            }
                            (b'*', b'/') => {
                                depth -= 1;
                                self.pos += 2;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => self.pos += 1,
                        }
                    }
                }
                _ => return,
            }
        }
        // A lone byte of a multi-byte character cannot start here: every arm above
        // moves over ASCII only, and strings and identifiers swallow whole characters.
    }

    /// A string whose opening quote is at `quote`, with `hashes` `#` for a raw string.
    fn string(&mut self, quote: usize, raw: Option<usize>) -> Kind {
        let mut i = quote + 1;
        let mut escaped = false;
        loop {
            if i >= self.bytes.len() {
                self.pos = self.bytes.len();
                return Kind::Str {
                    raw: raw.is_some(),
                    escaped,
                    closed: false,
                };
            }
            match (self.bytes[i], raw) {
                (b'\\', None) => {
                    escaped = true;
                    i += 2;
                }
                (b'"', None) => break,
                (b'"', Some(hashes))
                    if self.bytes[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&b| b == b'#')
                        .count()
                        == hashes =>
                {
                    i += hashes;
                    break;
                }
                _ => i += 1,
            }
        }
        self.pos = (i + 1).min(self.bytes.len());
        Kind::Str {
            raw: raw.is_some(),
            escaped,
            closed: true,
        }
    }

    /// A raw string starting at `r` (at `start`), if one starts there.
    fn raw_string(&mut self, r: usize) -> Option<Kind> {
        let mut i = r + 1;
        while self.at(i) == b'#' {
            i += 1;
        }
        (self.at(i) == b'"').then(|| self.string(i, Some(i - r - 1)))
    }

    fn ident_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        self.skip_trivia();
        let start = self.pos;
        let b = *self.bytes.get(start)?;
        let next = self.at(start + 1);
        let kind = match b {
            b'"' => self.string(start, None),
            b'b' if next == b'"' => self.string(start + 1, None),
            b'b' if next == b'r' && matches!(self.at(start + 2), b'"' | b'#') => {
                match self.raw_string(start + 1) {
                    Some(kind) => kind,
                    None => self.ident(start),
                }
            }
            b'r' if matches!(next, b'"' | b'#') => match self.raw_string(start) {
                Some(kind) => kind,
                None => self.ident(start),
            },
            b'\'' => {
                let mut i = start + 1;
                if self.at(i) == b'\\' {
                    i += 2;
                }
                while i < self.bytes.len() && !matches!(self.bytes[i], b'\'' | b'\n') {
                    i += 1;
                }
                self.pos = (i + 1).min(self.bytes.len());
                Kind::Literal
            }
            b'0'..=b'9' => self.number(start),
            b'+' | b'-' | b'.' if next.is_ascii_digit() => self.number(start),
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b':' | b',' | b'#' | b'!' => {
                self.pos += 1;
                Kind::Punct(b)
            }
            b if Lexer::ident_byte(b) => self.ident(start),
            _ => {
                self.pos += 1;
                Kind::Unknown
            }
        };
        Some(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }
}

impl Lexer<'_> {
    fn ident(&mut self, start: usize) -> Kind {
        let mut i = start;
        // `r#type` is a raw identifier.
        if self.at(i) == b'r' && self.at(i + 1) == b'#' {
            i += 2;
        }
        while i < self.bytes.len() && Lexer::ident_byte(self.bytes[i]) {
            i += 1;
        }
        self.pos = i.max(start + 1).min(self.bytes.len());
        Kind::Ident
    }

    fn number(&mut self, start: usize) -> Kind {
        let mut i = start + 1;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            let exponent_sign =
                matches!(b, b'+' | b'-') && matches!(self.bytes[i - 1], b'e' | b'E');
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                i += 1;
            } else {
                break;
            }
        }
        self.pos = i;
        Kind::Literal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        Lexer::new(text)
            .map(|t| (t.kind, &text[t.span.start..t.span.end]))
            .collect()
    }

    const STR: Kind = Kind::Str {
        raw: false,
        escaped: false,
        closed: true,
    };

    #[test]
    fn tokens_skip_comments_and_whitespace() {
        assert_eq!(
            kinds("Flow( // c\n id: /* a /* nested */ b */ \"x\", n: -1.5e+3 )"),
            vec![
                (Kind::Ident, "Flow"),
                (Kind::Punct(b'('), "("),
                (Kind::Ident, "id"),
                (Kind::Punct(b':'), ":"),
                (STR, "\"x\""),
                (Kind::Punct(b','), ","),
                (Kind::Ident, "n"),
                (Kind::Punct(b':'), ":"),
                (Kind::Literal, "-1.5e+3"),
                (Kind::Punct(b')'), ")"),
            ]
        );
    }

    #[test]
    fn strings_keep_escapes_raw_and_unicode_whole() {
        assert_eq!(
            kinds(r##""a\"b" r#"q"x"# "é""##),
            vec![
                (
                    Kind::Str {
                        raw: false,
                        escaped: true,
                        closed: true
                    },
                    r#""a\"b""#
                ),
                (
                    Kind::Str {
                        raw: true,
                        escaped: false,
                        closed: true
                    },
                    r###"r#"q"x"#"###
                ),
                (STR, "\"é\""),
            ]
        );
    }

    #[test]
    fn an_unclosed_string_runs_to_the_end() {
        assert_eq!(
            kinds("x: \"abc,\n y"),
            vec![
                (Kind::Ident, "x"),
                (Kind::Punct(b':'), ":"),
                (
                    Kind::Str {
                        raw: false,
                        escaped: false,
                        closed: false
                    },
                    "\"abc,\n y"
                ),
            ]
        );
    }

    #[test]
    fn odd_input_still_ends() {
        for text in [
            "\"\\", "r#", "r##\"", "'", "'\\", "/*", "b", "br#", "\u{a0}", "@", "-",
        ] {
            assert!(Lexer::new(text).count() <= text.len(), "{text:?}");
        }
    }
}
