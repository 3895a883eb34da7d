//! Where things stand in a flow's text: node keys, targets, answer ids, facts, and the
//! top-level `id`, `start` and `summary`, as byte spans.
//!
//! ron reports positions only for errors, so diagnostics about a flow that parsed (an
//! unknown target, an unreachable node) find their place here. The text is read again with
//! [`super::lex`], in one pass that knows the shape of a flow and skips what it does not
//! need. Reading is forgiving, so a text ron refused half-way (a duplicate node id) still
//! yields what stands before the problem, and it never recurses, so no nesting can
//! overflow the stack.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use super::Span;
use super::lex::{Kind, Lexer, Token};

/// The positions of one flow's parts.
#[derive(Debug, Default)]
pub struct Index {
    /// The flow itself: its `Flow` name, else its opening parenthesis.
    pub flow: Option<Span>,
    /// The value of `id`.
    pub id: Option<Span>,
    /// The value of `title`.
    pub title: Option<Span>,
    /// The value of `summary`.
    pub summary: Option<Span>,
    /// The value of `start`.
    pub start: Option<Span>,
    /// Every node, in the order written (a duplicated key appears twice).
    pub nodes: Vec<NodeSpans>,
    /// Node position by id (the first written), made on the first lookup by id.
    by_id: OnceLock<HashMap<String, usize>>,
}

/// The positions of one node's parts.
#[derive(Debug, Default)]
pub struct NodeSpans {
    /// The node id, unescaped.
    pub id: String,
    /// The key, with its quotes.
    pub key: Span,
    /// The kind's name (`Question`).
    pub kind: Option<Span>,
    /// The value of `fact` (question or branch).
    pub fact: Option<Span>,
    /// Each answer of a question.
    pub answers: Vec<AnswerSpans>,
    /// The value of `otherwise` (remedy).
    pub otherwise: Option<Span>,
    /// The value of `next` (info).
    pub next: Option<Span>,
    /// Each case of a branch: the value matched and the target.
    pub cases: Vec<(Span, Span)>,
    /// The value of `default` (branch).
    pub default: Option<Span>,
    /// The value of `flow` (link).
    pub flow: Option<Span>,
}

/// The positions of one answer's parts.
#[derive(Debug, Default)]
pub struct AnswerSpans {
    /// The whole answer.
    pub whole: Span,
    /// The value of `id`.
    pub id: Option<Span>,
    /// The value of `goto`.
    pub goto: Option<Span>,
}

impl NodeSpans {
    /// The spans of the node's targets, in the order of [`crate::Node::targets`].
    pub fn targets(&self) -> Vec<Option<Span>> {
        let mut targets: Vec<Option<Span>> = self.answers.iter().map(|a| a.goto).collect();
        targets.extend(self.otherwise.map(Some));
        targets.extend(self.next.map(Some));
        targets.extend(self.cases.iter().map(|&(_, to)| Some(to)));
        targets.extend(self.default.map(Some));
        targets
    }
}

impl Index {
    /// Reads the positions out of a flow's text. Never fails; what cannot be found is `None`.
    pub fn of(text: &str) -> Index {
        let mut reader = Reader {
            text,
            lexer: Lexer::new(text),
            ahead: VecDeque::with_capacity(2),
            taken: 0,
        };
        let mut index = Index::default();
        reader.skip_attributes();
        let Some((name, open)) = reader.open_group() else {
            return index;
        };
        index.flow = Some(name.unwrap_or(open));
        reader.fields(|reader, field| match field {
            "id" => index.id = reader.string(),
            "title" => index.title = reader.string(),
            "summary" => index.summary = reader.string(),
            "start" => index.start = reader.string(),
            "nodes" if reader.peek_punct(0) == Some(b'{') => {
                reader.entries(|reader, key| {
                    if let Some(node) = reader.node(key) {
                        index.nodes.push(node);
                    }
                });
            }
            _ => {
                reader.skip();
            }
        });
        index
    }

    /// The first node written with this id.
    pub fn node(&self, id: &str) -> Option<&NodeSpans> {
        let by_id = self.by_id.get_or_init(|| {
            let mut by_id = HashMap::with_capacity(self.nodes.len());
            for (i, node) in self.nodes.iter().enumerate() {
                by_id.entry(node.id.clone()).or_insert(i);
            }
            by_id
        });
        by_id.get(id).map(|&i| &self.nodes[i])
    }

    /// The node at `position` if it has this id, else the first node written with it.
    ///
    /// A flow that parsed has its nodes in the order written, so the position in the
    /// parsed map finds the node without building a map of ids.
    pub fn node_at(&self, position: Option<usize>, id: &str) -> Option<&NodeSpans> {
        match position.and_then(|p| self.nodes.get(p)) {
            Some(node) if node.id == id => Some(node),
            _ => self.node(id),
        }
    }

    /// Every node written with this id, in order.
    pub fn nodes_named<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a NodeSpans> + 'a {
        self.nodes.iter().filter(move |n| n.id == id)
    }
}

struct Reader<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
    /// Tokens looked at but not taken yet (at most two).
    ahead: VecDeque<Token>,
    /// How many tokens were taken, to make sure every loop moves on.
    taken: usize,
}

impl<'a> Reader<'a> {
    fn peek(&mut self, offset: usize) -> Option<Token> {
        while self.ahead.len() <= offset {
            self.ahead.push_back(self.lexer.next()?);
        }
        self.ahead.get(offset).copied()
    }

    fn bump(&mut self) -> Option<Token> {
        self.peek(0)?;
        self.taken += 1;
        self.ahead.pop_front()
    }

    fn peek_punct(&mut self, offset: usize) -> Option<u8> {
        match self.peek(offset)?.kind {
            Kind::Punct(p) => Some(p),
            _ => None,
        }
    }

    fn slice(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// Skips `#![enable(…)]` attributes at the top of the file.
    fn skip_attributes(&mut self) {
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
    fn open_group(&mut self) -> Option<(Option<Span>, Span)> {
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
    fn skip(&mut self) -> usize {
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
    fn separator(&mut self, close: u8) -> Option<usize> {
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
    fn fields(&mut self, mut field: impl FnMut(&mut Self, &'a str)) -> usize {
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
    fn entries(&mut self, mut entry: impl FnMut(&mut Self, Token)) {
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
    fn string(&mut self) -> Option<Span> {
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

    /// One node, after its key and colon.
    fn node(&mut self, key: Token) -> Option<NodeSpans> {
        let Kind::Str { raw, escaped, .. } = key.kind else {
            return None;
        };
        let mut node = NodeSpans {
            id: unescape(self.slice(key.span), raw, escaped).into_owned(),
            key: key.span,
            ..NodeSpans::default()
        };
        let Some((kind, _)) = self.open_group() else {
            self.skip();
            return Some(node);
        };
        node.kind = kind;
        self.fields(|reader, field| match field {
            "fact" => node.fact = reader.string(),
            "otherwise" => node.otherwise = reader.string(),
            "next" => node.next = reader.string(),
            "default" => node.default = reader.string(),
            "flow" => node.flow = reader.string(),
            "answers" if reader.peek_punct(0) == Some(b'[') => reader.answers(&mut node.answers),
            "cases" if reader.peek_punct(0) == Some(b'{') => {
                reader.entries(|reader, key| {
                    let at = reader.peek(0).map_or(key.span, |t| t.span);
                    let to = reader.string().unwrap_or(at);
                    node.cases.push((key.span, to));
                });
            }
            _ => {
                reader.skip();
            }
        });
        Some(node)
    }

    /// The answers of a question, after `answers:`.
    fn answers(&mut self, answers: &mut Vec<AnswerSpans>) {
        self.bump();
        loop {
            if self.separator(b']').is_some() {
                return;
            }
            let before = self.taken;
            let start = self.peek(0).map_or(self.text.len(), |t| t.span.start);
            match self.open_group() {
                Some(_) => {
                    let mut answer = AnswerSpans::default();
                    let end = self.fields(|reader, field| match field {
                        "id" => answer.id = reader.string(),
                        "goto" => answer.goto = reader.string(),
                        _ => {
                            reader.skip();
                        }
                    });
                    answer.whole = Span::new(start, end);
                    answers.push(answer);
                }
                None => {
                    let end = self.skip();
                    answers.push(AnswerSpans {
                        whole: Span::new(start, end),
                        ..AnswerSpans::default()
                    });
                }
            }
            if self.taken == before {
                self.bump();
            }
        }
    }
}

/// The text of a string token, without quotes and escapes.
fn unescape(token: &str, raw: bool, escaped: bool) -> Cow<'_, str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = r##"#![enable(implicit_some)]
Flow(
    id: "demo", // the id
    title: "Demo",
    start: "ask",
    nodes: {
        "ask": Question(
            text: "Which?",
            fact: Some("which"),
            answers: [
                (id: "a", label: "A", goto: "fix"),
                Answer(id: "b", label: "B", goto: r#"e\nd"#),
            ],
        ),
        "fix": Remedy(text: "Try", otherwise: "route"),
        "route": Branch(fact: "which", cases: {"a": "end\u{21}"}, default: "e\nd"),
        "e\nd": Done(text: "ok"),
    },
)
"##;

    fn text(span: Option<Span>) -> &'static str {
        let span = span.expect("span found");
        &FLOW[span.start..span.end]
    }

    #[test]
    fn top_level_fields_are_found() {
        let index = Index::of(FLOW);
        assert_eq!(text(index.id), "\"demo\"");
        assert_eq!(text(index.start), "\"ask\"");
        assert_eq!(text(index.flow), "Flow");
        assert_eq!(index.summary, None);
    }

    #[test]
    fn nodes_answers_and_targets_are_found() {
        let index = Index::of(FLOW);
        let ids: Vec<_> = index.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["ask", "fix", "route", "e\nd"]);
        let ask = index.node("ask").expect("ask");
        assert_eq!(text(ask.kind), "Question");
        assert_eq!(text(ask.fact), "\"which\"");
        assert_eq!(text(ask.answers[1].id), "\"b\"");
        let targets: Vec<_> = ask.targets().into_iter().map(text).collect();
        assert_eq!(targets, ["\"fix\"", "r#\"e\\nd\"#"]);
        let route = index.node("route").expect("route");
        let targets: Vec<_> = route.targets().into_iter().map(text).collect();
        assert_eq!(targets, ["\"end\\u{21}\"", "\"e\\nd\""]);
        assert_eq!(
            text(index.node("fix").and_then(|n| n.otherwise)),
            "\"route\""
        );
    }

    #[test]
    fn duplicate_keys_are_all_kept() {
        let index = Index::of(r#"(nodes: {"a": Done(text: ""), "a": Done(text: "")})"#);
        assert_eq!(index.nodes_named("a").count(), 2);
        assert_eq!(index.node("a").map(|n| n.key.start), Some(9));
    }

    #[test]
    fn broken_text_yields_what_can_be_read() {
        let index = Index::of(r#"Flow(id: "x", nodes: { "a": Info(text: , next: "b" "c": ]"#);
        assert_eq!(index.id.map(|s| s.start), Some(9));
        assert!(index.node("a").is_some());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = "(".repeat(100_000) + &")".repeat(100_000);
        let index = Index::of(&text);
        assert!(index.nodes.is_empty());
    }
}
