//! Where things stand in a flow's text: node keys, targets, answer ids, facts, and the
//! top-level `id`, `start` and `summary`, as byte spans.
//!
//! ron reports positions only for errors, so diagnostics about a flow that parsed (an
//! unknown target, an unreachable node) find their place here. The text is read again with
//! [`super::lex`] into a loose tree of RON values; reading is forgiving, so a text ron
//! refused half-way (a duplicate node id) still yields what stands before the problem.

use std::borrow::Cow;
use std::collections::HashMap;

use super::Span;
use super::lex::{Kind, Lexer, Token};

/// How deep values may nest before the reader stops descending (ron's own limit is 128).
const MAX_DEPTH: usize = 128;

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
    by_id: HashMap<String, usize>,
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
        let tokens: Vec<Token> = Lexer::new(text).collect();
        let mut reader = Reader {
            text,
            tokens: &tokens,
            at: 0,
        };
        reader.skip_attributes();
        let top = reader.value(0);
        let mut index = Index::default();
        if let Value::Group {
            name, open, fields, ..
        } = &top
        {
            index.flow = Some(name.unwrap_or(*open));
            for (field, value) in fields {
                match *field {
                    "id" => index.id = value.span_of_str(),
                    "title" => index.title = value.span_of_str(),
                    "summary" => index.summary = value.span_of_str(),
                    "start" => index.start = value.span_of_str(),
                    "nodes" => {
                        if let Value::Map { entries, .. } = value {
                            index.nodes = entries.iter().filter_map(node_spans).collect();
                        }
                    }
                    _ => {}
                }
            }
        }
        for (i, node) in index.nodes.iter().enumerate() {
            index.by_id.entry(node.id.clone()).or_insert(i);
        }
        index
    }

    /// The first node written with this id.
    pub fn node(&self, id: &str) -> Option<&NodeSpans> {
        self.by_id.get(id).map(|&i| &self.nodes[i])
    }

    /// Every node written with this id, in order.
    pub fn nodes_named<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a NodeSpans> + 'a {
        self.nodes.iter().filter(move |n| n.id == id)
    }
}

fn node_spans((key, value): &(Value<'_>, Value<'_>)) -> Option<NodeSpans> {
    let Value::Str { span, text } = key else {
        return None;
    };
    let mut node = NodeSpans {
        id: text.to_string(),
        key: *span,
        ..NodeSpans::default()
    };
    let Value::Group { name, fields, .. } = value else {
        return Some(node);
    };
    node.kind = *name;
    for (field, value) in fields {
        match *field {
            "fact" => node.fact = value.span_of_str(),
            "otherwise" => node.otherwise = value.span_of_str(),
            "next" => node.next = value.span_of_str(),
            "default" => node.default = value.span_of_str(),
            "flow" => node.flow = value.span_of_str(),
            "answers" => {
                if let Value::List { items, .. } = value {
                    node.answers = items.iter().map(answer_spans).collect();
                }
            }
            "cases" => {
                if let Value::Map { entries, .. } = value {
                    node.cases = entries
                        .iter()
                        .map(|(k, v)| (k.span(), v.span_of_str().unwrap_or(v.span())))
                        .collect();
                }
            }
            _ => {}
        }
    }
    Some(node)
}

fn answer_spans(value: &Value<'_>) -> AnswerSpans {
    let mut answer = AnswerSpans {
        whole: value.span(),
        ..AnswerSpans::default()
    };
    if let Value::Group { fields, .. } = value {
        for (field, value) in fields {
            match *field {
                "id" => answer.id = value.span_of_str(),
                "goto" => answer.goto = value.span_of_str(),
                _ => {}
            }
        }
    }
    answer
}

/// A RON value, loosely: enough structure to find fields, keys and strings.
#[derive(Debug)]
enum Value<'a> {
    Str {
        span: Span,
        text: Cow<'a, str>,
    },
    /// `Name(field: v, …)` or `(v, …)`; the name is optional, fields or items.
    Group {
        name: Option<Span>,
        open: Span,
        end: usize,
        fields: Vec<(&'a str, Value<'a>)>,
        items: Vec<Value<'a>>,
    },
    List {
        span: Span,
        items: Vec<Value<'a>>,
    },
    Map {
        span: Span,
        entries: Vec<(Value<'a>, Value<'a>)>,
    },
    /// A number, a char, an identifier, or something the reader skipped.
    Other {
        span: Span,
    },
}

impl Value<'_> {
    fn span(&self) -> Span {
        match self {
            Value::Str { span, .. }
            | Value::List { span, .. }
            | Value::Map { span, .. }
            | Value::Other { span } => *span,
            Value::Group {
                name, open, end, ..
            } => Span::new(name.unwrap_or(*open).start, *end),
        }
    }

    /// The span of a string, also when written `Some("…")`.
    fn span_of_str(&self) -> Option<Span> {
        match self {
            Value::Str { span, .. } => Some(*span),
            Value::Group { items, .. } if items.len() == 1 => items[0].span_of_str(),
            _ => None,
        }
    }
}

struct Reader<'t, 'a> {
    text: &'a str,
    tokens: &'t [Token],
    at: usize,
}

impl<'a> Reader<'_, 'a> {
    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.at).copied()
    }

    fn peek_punct(&self, offset: usize) -> Option<u8> {
        match self.tokens.get(self.at + offset)?.kind {
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
            self.at += 1;
            if self.peek_punct(0) == Some(b'!') {
                self.at += 1;
            }
            if self.peek_punct(0) == Some(b'[') {
                self.skip_group();
            }
        }
    }

    /// Skips a bracketed group without reading it (past the nesting limit), iteratively.
    fn skip_group(&mut self) -> usize {
        let mut depth = 0usize;
        let mut end = self.peek().map_or(self.text.len(), |t| t.span.end);
        while let Some(token) = self.peek() {
            self.at += 1;
            end = token.span.end;
            match token.kind {
                Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                Kind::Punct(b')' | b']' | b'}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ if depth == 0 => break,
                _ => {}
            }
        }
        end
    }

    fn value(&mut self, depth: usize) -> Value<'a> {
        let Some(token) = self.peek() else {
            return Value::Other {
                span: Span::at(self.text.len()),
            };
        };
        if depth >= MAX_DEPTH {
            let end = self.skip_group();
            return Value::Other {
                span: Span::new(token.span.start, end),
            };
        }
        match token.kind {
            Kind::Str { raw, escaped, .. } => {
                self.at += 1;
                Value::Str {
                    span: token.span,
                    text: unescape(self.slice(token.span), raw, escaped),
                }
            }
            Kind::Ident if self.peek_punct(1) == Some(b'(') => {
                self.at += 1;
                self.group(Some(token.span), depth)
            }
            Kind::Punct(b'(') => self.group(None, depth),
            Kind::Punct(b'[') => self.list(depth),
            Kind::Punct(b'{') => self.map(depth),
            // A closer belongs to the caller; leave it there.
            Kind::Punct(b')' | b']' | b'}') => Value::Other {
                span: Span::at(token.span.start),
            },
            _ => {
                self.at += 1;
                Value::Other { span: token.span }
            }
        }
    }

    /// Moves past a `,` if there is one; says whether the group ends with `close`.
    fn separator(&mut self, close: u8) -> Option<usize> {
        match self.peek() {
            None => Some(self.text.len()),
            Some(t) if t.kind == Kind::Punct(close) => {
                self.at += 1;
                Some(t.span.end)
            }
            Some(t) if t.kind == Kind::Punct(b',') => {
                self.at += 1;
                // A trailing comma: the closer may follow at once.
                match self.peek() {
                    Some(t) if t.kind == Kind::Punct(close) => {
                        self.at += 1;
                        Some(t.span.end)
                    }
                    _ => None,
                }
            }
            Some(t) if matches!(t.kind, Kind::Punct(b')' | b']' | b'}')) => {
                // A stray closer of another kind: step over it so reading moves on.
                self.at += 1;
                None
            }
            Some(_) => None,
        }
    }

    fn group(&mut self, name: Option<Span>, depth: usize) -> Value<'a> {
        let open = self.peek().map_or(Span::at(self.text.len()), |t| t.span);
        self.at += 1;
        let mut fields = Vec::new();
        let mut items = Vec::new();
        let end = loop {
            if let Some(end) = self.separator(b')') {
                break end;
            }
            let before = self.at;
            match self.peek() {
                Some(t) if t.kind == Kind::Ident && self.peek_punct(1) == Some(b':') => {
                    self.at += 2;
                    let value = self.value(depth + 1);
                    fields.push((self.slice(t.span), value));
                }
                _ => items.push(self.value(depth + 1)),
            }
            if self.at == before {
                self.at += 1;
            }
        };
        Value::Group {
            name,
            open,
            end,
            fields,
            items,
        }
    }

    fn list(&mut self, depth: usize) -> Value<'a> {
        let start = self.peek().map_or(self.text.len(), |t| t.span.start);
        self.at += 1;
        let mut items = Vec::new();
        let end = loop {
            if let Some(end) = self.separator(b']') {
                break end;
            }
            let before = self.at;
            items.push(self.value(depth + 1));
            if self.at == before {
                self.at += 1;
            }
        };
        Value::List {
            span: Span::new(start, end),
            items,
        }
    }

    fn map(&mut self, depth: usize) -> Value<'a> {
        let start = self.peek().map_or(self.text.len(), |t| t.span.start);
        self.at += 1;
        let mut entries = Vec::new();
        let end = loop {
            if let Some(end) = self.separator(b'}') {
                break end;
            }
            let before = self.at;
            let key = self.value(depth + 1);
            if self.peek_punct(0) == Some(b':') {
                self.at += 1;
                let value = self.value(depth + 1);
                entries.push((key, value));
            }
            if self.at == before {
                self.at += 1;
            }
        };
        Value::Map {
            span: Span::new(start, end),
            entries,
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
