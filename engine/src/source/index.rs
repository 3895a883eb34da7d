//! Where things stand in a flow's text: node keys, targets, answer ids, facts, and the
//! top-level `id`, `start` and `summary`, as byte spans.
//!
//! ron reports positions only for errors, so diagnostics about a flow that parsed (an
//! unknown target, an unreachable node) find their place here. The text is read again with
//! [`super::lex`], in one pass that knows the shape of a flow and skips what it does not
//! need. Reading is forgiving, so a text ron refused half-way (a duplicate node id) still
//! yields what stands before the problem, and it never recurses, so no nesting can
//! overflow the stack.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Span;
use super::lex::Token;
use super::reader::Reader;

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
    /// Each fact named in `inputs`.
    pub inputs: Vec<Span>,
    /// Each value an input declares, in the order written, with the position of its input
    /// in the list.
    pub input_values: Vec<(usize, Span)>,
    /// Every node, in the order written (a duplicated key appears twice).
    pub nodes: Vec<NodeSpans>,
    /// Node position by id (the first written), made on the first lookup by id.
    by_id: OnceLock<HashMap<String, usize>>,
}

/// The positions of one node's parts.
#[derive(Debug, Default)]
pub struct NodeSpans {
    /// The node id, unescaped, in NFC as ids are compared.
    pub id: String,
    /// The key, with its quotes.
    pub key: Span,
    /// The key and its value, up to the value's closing parenthesis.
    pub whole: Span,
    /// The value of `text`.
    pub text: Option<Span>,
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
    /// The `id` of each detail an escalation collects.
    pub details: Vec<Option<Span>>,
    /// The `pattern` of each detail an escalation collects, in the order of `details`.
    pub patterns: Vec<Option<Span>>,
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

    /// The span of the node's `k`-th target (see [`NodeSpans::targets`]), found without
    /// listing them all: a question with thousands of answers has a diagnostic on each.
    pub fn target(&self, k: usize) -> Option<Span> {
        let answers = self.answers.len();
        if k < answers {
            return self.answers[k].goto;
        }
        let singles = [self.otherwise, self.next];
        let mut k = k - answers;
        for single in singles.into_iter().flatten() {
            if k == 0 {
                return Some(single);
            }
            k -= 1;
        }
        if k < self.cases.len() {
            return Some(self.cases[k].1);
        }
        if k == self.cases.len() {
            return self.default;
        }
        None
    }
}

impl Index {
    /// Reads the positions out of a flow's text. Never fails; what cannot be found is `None`.
    pub fn of(text: &str) -> Index {
        let mut reader = Reader::new(text);
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
            "inputs" if reader.peek_punct(0) == Some(b'[') => {
                let mut position = 0;
                reader.items(|reader| {
                    input(reader, position, &mut index);
                    position += 1;
                });
            }
            "nodes" if reader.peek_punct(0) == Some(b'{') => {
                reader.entries(|reader, key| {
                    if let Some(node) = node(reader, key) {
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

/// One node, after its key and colon.
fn node(reader: &mut Reader<'_>, key: Token) -> Option<NodeSpans> {
    let mut node = NodeSpans {
        id: reader.id(key)?,
        key: key.span,
        ..NodeSpans::default()
    };
    let Some((kind, _)) = reader.open_group() else {
        let end = reader.skip();
        node.whole = Span::new(key.span.start, end);
        return Some(node);
    };
    node.kind = kind;
    let end = reader.fields(|reader, field| match field {
        "text" => node.text = reader.string(),
        "fact" => node.fact = reader.string(),
        "otherwise" => node.otherwise = reader.string(),
        "next" => node.next = reader.string(),
        "default" => node.default = reader.string(),
        "flow" => node.flow = reader.string(),
        "answers" if reader.peek_punct(0) == Some(b'[') => {
            reader.items(|reader| node.answers.push(answer(reader)));
        }
        "collect" if reader.peek_punct(0) == Some(b'[') => {
            reader.items(|reader| {
                let (id, pattern) = detail(reader);
                node.details.push(id);
                node.patterns.push(pattern);
            });
        }
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
    node.whole = Span::new(key.span.start, end);
    Some(node)
}

/// One item of `inputs`: a bare name, or `(name: …, values: […], …)`.
fn input(reader: &mut Reader<'_>, position: usize, index: &mut Index) {
    if reader.open_group().is_none() {
        index.inputs.extend(reader.string());
        return;
    }
    reader.fields(|reader, field| match field {
        "name" => index.inputs.extend(reader.string()),
        "values" if reader.peek_punct(0) == Some(b'[') => {
            reader.items(|reader| {
                let value = reader.string();
                index
                    .input_values
                    .extend(value.map(|span| (position, span)));
            });
        }
        _ => {
            reader.skip();
        }
    });
}

/// The `id` and `pattern` of one detail, in a list after `collect:`.
fn detail(reader: &mut Reader<'_>) -> (Option<Span>, Option<Span>) {
    if reader.open_group().is_none() {
        reader.skip();
        return (None, None);
    }
    let (mut id, mut pattern) = (None, None);
    reader.fields(|reader, field| match field {
        "id" => id = reader.string(),
        "pattern" => pattern = reader.string(),
        _ => {
            reader.skip();
        }
    });
    (id, pattern)
}

/// One answer of a question, in a list after `answers:`.
fn answer(reader: &mut Reader<'_>) -> AnswerSpans {
    let start = reader.here();
    match reader.open_group() {
        Some(_) => {
            let mut answer = AnswerSpans::default();
            let end = reader.fields(|reader, field| match field {
                "id" => answer.id = reader.string(),
                "goto" => answer.goto = reader.string(),
                _ => {
                    reader.skip();
                }
            });
            answer.whole = Span::new(start, end);
            answer
        }
        None => {
            let end = reader.skip();
            AnswerSpans {
                whole: Span::new(start, end),
                ..AnswerSpans::default()
            }
        }
    }
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
        assert_eq!(text(ask.text), "\"Which?\"");
        assert!(text(Some(ask.whole)).starts_with("\"ask\": Question("));
        assert!(text(Some(ask.whole)).ends_with("],\n        )"));
        assert_eq!(text(ask.answers[1].id), "\"b\"");
        let targets: Vec<_> = ask.targets().into_iter().map(text).collect();
        assert_eq!(targets, ["\"fix\"", "r#\"e\\nd\"#"]);
        let route = index.node("route").expect("route");
        let targets: Vec<_> = route.targets().into_iter().map(text).collect();
        assert_eq!(targets, ["\"end\\u{21}\"", "\"e\\nd\""]);
        for node in &index.nodes {
            let one_by_one: Vec<_> = (0..=node.targets().len()).map(|k| node.target(k)).collect();
            let mut listed = node.targets();
            listed.push(None);
            assert_eq!(one_by_one, listed, "{}", node.id);
        }
        assert_eq!(
            text(index.node("fix").and_then(|n| n.otherwise)),
            "\"route\""
        );
    }

    #[test]
    fn inputs_written_with_values_are_found() {
        let text = "Flow(inputs: [\"a\", (name: \"b\", values: [\"x\", \"y\"], signed: true)])";
        let index = Index::of(text);
        let inputs: Vec<_> = index.inputs.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(inputs, ["\"a\"", "\"b\""]);
        let values: Vec<_> = index
            .input_values
            .iter()
            .map(|&(at, s)| (at, &text[s.start..s.end]))
            .collect();
        assert_eq!(values, [(1, "\"x\""), (1, "\"y\"")]);
    }

    #[test]
    fn inputs_details_and_ids_in_nfc_are_found() {
        let text = "Flow(inputs: [\"a\", \"b\"], nodes: {\"cafe\u{301}\": Escalate(text: \"\", \
                    collect: [(id: \"txid\", label: \"T\"), (label: \"no id\")])})";
        let index = Index::of(text);
        let inputs: Vec<_> = index.inputs.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(inputs, ["\"a\"", "\"b\""]);
        let node = index.node("caf\u{e9}").expect("found by its NFC id");
        let details: Vec<_> = node
            .details
            .iter()
            .map(|s| s.map(|s| &text[s.start..s.end]))
            .collect();
        assert_eq!(details, [Some("\"txid\""), None]);
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
