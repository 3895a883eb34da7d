//! A forgiving reader of RON structure over [`super::lex`]: groups, fields, map entries and
//! list items with their spans, for finding where things stand in a text ron has parsed.
//!
//! It never fails and never recurses: what it does not expect it skips, and every loop
//! moves on by at least one token, so broken or deeply nested text still ends.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::Span;
use super::lex::{Kind, Lexer, Token};

pub(crate) struct Reader<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
    /// Tokens looked at but not taken yet (at most two).
    ahead: VecDeque<Token>,
    /// How many tokens were taken, to make sure every loop moves on.
    taken: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            lexer: Lexer::new(text),
            ahead: VecDeque::with_capacity(2),
            taken: 0,
        }
    }

    pub(crate) fn peek(&mut self, offset: usize) -> Option<Token> {
        while self.ahead.len() <= offset {
            self.ahead.push_back(self.lexer.next()?);
        }
        self.ahead.get(offset).copied()
    }

    pub(crate) fn bump(&mut self) -> Option<Token> {
        self.peek(0)?;
        self.taken += 1;
        self.ahead.pop_front()
    }

    pub(crate) fn peek_punct(&mut self, offset: usize) -> Option<u8> {
        match self.peek(offset)?.kind {
            Kind::Punct(p) => Some(p),
            _ => None,
        }
    }

    pub(crate) fn slice(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// Skips `#![enable(…)]` attributes at the top of the file.
    pub(crate) fn skip_attributes(&mut self) {
        while self.peek_punct(0) == Some(b'#') {
            self.bump();
            if self.peek_punct(0) == Some(b'!') {
                self.bump();
            }
            if self.peek_punct(0) == Some(b'[') {
                self.skip();
            }
        }
    }

    /// Takes `Name(` or `(`: the name's span if any, and the parenthesis'.
    pub(crate) fn open_group(&mut self) -> Option<(Option<Span>, Span)> {
        let name = match (self.peek(0), self.peek_punct(1)) {
            (Some(t), Some(b'(')) if t.kind == Kind::Ident => {
                self.bump();
                Some(t.span)
            }
            _ => None,
        };
        match self.peek(0) {
            Some(t) if t.kind == Kind::Punct(b'(') => {
                self.bump();
                Some((name, t.span))
            }
            _ => None,
        }
    }

    /// Skips one value, however nested, without recursing; says where it ended.
    pub(crate) fn skip(&mut self) -> usize {
        if self.peek(0).is_some_and(|t| t.kind == Kind::Ident) && self.peek_punct(1) == Some(b'(') {
            self.bump();
        }
        let mut depth = 0usize;
        loop {
            let Some(token) = self.peek(0) else {
                return self.text.len();
            };
            match token.kind {
                Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                // A closer at the top belongs to whoever holds this value.
                Kind::Punct(b')' | b']' | b'}') if depth == 0 => return token.span.start,
                Kind::Punct(b')' | b']' | b'}') => depth -= 1,
                _ => {}
            }
            self.bump();
            if depth == 0 {
                return token.span.end;
            }
        }
    }

    /// Moves past a `,` if there is one; says whether the group ends with `close`.
    pub(crate) fn separator(&mut self, close: u8) -> Option<usize> {
        match self.peek(0) {
            None => Some(self.text.len()),
            Some(t) if t.kind == Kind::Punct(close) => {
                self.bump();
                Some(t.span.end)
            }
            Some(t) if t.kind == Kind::Punct(b',') => {
                self.bump();
                // A trailing comma: the closer may follow at once.
                match self.peek(0) {
                    Some(t) if t.kind == Kind::Punct(close) => {
                        self.bump();
                        Some(t.span.end)
                    }
                    _ => None,
                }
            }
            Some(t) if matches!(t.kind, Kind::Punct(b')' | b']' | b'}')) => {
                // A stray closer of another kind: step over it so reading moves on.
                self.bump();
                None
            }
            Some(_) => None,
        }
    }

    /// Reads `name: value, …)` after an opening parenthesis, handing each field's name to
    /// `field`, which reads or skips its value; says where the group ended.
    pub(crate) fn fields(&mut self, mut field: impl FnMut(&mut Self, &'a str)) -> usize {
        loop {
            if let Some(end) = self.separator(b')') {
                return end;
            }
            let before = self.taken;
            match (self.peek(0), self.peek_punct(1)) {
                (Some(t), Some(b':')) if t.kind == Kind::Ident => {
                    self.bump();
                    self.bump();
                    field(self, self.slice(t.span));
                }
                _ => {
                    self.skip();
                }
            }
            if self.taken == before {
                self.bump();
            }
        }
    }

    /// Reads `{ key: value, … }`, handing each string key to `entry`, which reads or
    /// skips its value.
    pub(crate) fn entries(&mut self, mut entry: impl FnMut(&mut Self, Token)) {
        self.bump();
        loop {
            if self.separator(b'}').is_some() {
                return;
            }
            let before = self.taken;
            match (self.peek(0), self.peek_punct(1)) {
                (Some(key), Some(b':')) if matches!(key.kind, Kind::Str { .. }) => {
                    self.bump();
                    self.bump();
                    entry(self, key);
                }
                _ => {
                    self.skip();
                }
            }
            if self.taken == before {
                self.bump();
            }
        }
    }

    /// A string value, also written `Some("…")`; anything else is skipped.
    pub(crate) fn string(&mut self) -> Option<Span> {
        let mut wrappers = 0;
        while self
            .peek(0)
            .is_some_and(|t| t.kind == Kind::Ident && self.slice(t.span) == "Some")
            && self.peek_punct(1) == Some(b'(')
        {
            self.bump();
            self.bump();
            wrappers += 1;
        }
        let found = match self.peek(0) {
            Some(t) if matches!(t.kind, Kind::Str { .. }) => {
                self.bump();
                Some(t.span)
            }
            _ => {
                self.skip();
                None
            }
        };
        for _ in 0..wrappers {
            if self.peek_punct(0) == Some(b')') {
                self.bump();
            }
        }
        found
    }

    /// Reads `[ item, … ]`, handing each item to `item`, which reads or skips it; the
    /// reader stands on the `[`.
    pub(crate) fn items(&mut self, mut item: impl FnMut(&mut Self)) {
        self.bump();
        loop {
            if self.separator(b']').is_some() {
                return;
            }
            let before = self.taken;
            item(self);
            if self.taken == before {
                self.bump();
            }
        }
    }

    /// Where the next token starts (the end of the text after the last one).
    pub(crate) fn here(&mut self) -> usize {
        self.peek(0).map_or(self.text.len(), |t| t.span.start)
    }

    /// The span of the next value, skipping it.
    pub(crate) fn value(&mut self) -> Span {
        let start = self.here();
        let end = self.skip();
        Span::new(start, end)
    }

    /// The unescaped text of a string token.
    pub(crate) fn unescaped(&self, token: Token) -> Option<String> {
        let Kind::Str { raw, escaped, .. } = token.kind else {
            return None;
        };
        Some(unescape(self.slice(token.span), raw, escaped).into_owned())
    }

    /// The id a string token names: its text without quotes and escapes, in NFC as ids are
    /// compared (see [`crate::ids`]).
    pub(crate) fn id(&self, token: Token) -> Option<String> {
        self.unescaped(token).map(crate::ids::into_nfc)
    }
}

/// The id written by the string token at `span` of `text` (see [`Reader::id`]).
pub(crate) fn id_at(text: &str, span: Span) -> Option<String> {
    let token = Lexer::new(text.get(span.start..span.end)?).next()?;
    let Kind::Str { raw, escaped, .. } = token.kind else {
        return None;
    };
    let slice = text.get(span.start + token.span.start..span.start + token.span.end)?;
    Some(crate::ids::into_nfc(
        unescape(slice, raw, escaped).into_owned(),
    ))
}

/// The text of a string token, without quotes and escapes.
pub(crate) fn unescape(token: &str, raw: bool, escaped: bool) -> Cow<'_, str> {
    let token = token.strip_prefix('b').unwrap_or(token);
    if raw {
        let inner = token.trim_start_matches('r').trim_matches('#');
        let inner = inner.strip_prefix('"').unwrap_or(inner);
        return Cow::Borrowed(inner.strip_suffix('"').unwrap_or(inner));
    }
    if escaped && let Ok(text) = ron::from_str::<String>(token) {
        return Cow::Owned(text);
    }
    let inner = token.strip_prefix('"').unwrap_or(token);
    Cow::Borrowed(inner.strip_suffix('"').unwrap_or(inner))
}
