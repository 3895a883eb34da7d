//! An SVG picture of a flow, laid out here ([`super::layout`]) so no Graphviz is needed.
//!
//! The picture is meant to be styled and marked up by a web page, so every part says what
//! it is:
//!
//! - each node is `<g id="node-ID" class="node kind-KIND" data-node="ID" data-kind="KIND">`,
//!   with `start` added to the class of the first node;
//! - the end a remedy leads to when it helped is `<g id="solved-ID" class="node kind-solved"
//!   data-solved-by="ID">`, ID being the remedy's;
//! - each edge is `<g class="edge" data-from="ID" data-to="ID" data-choice="CHOICE">`, the
//!   choice being what a walk records (answer id, `yes`/`no`, `next`, case value, `default`);
//!   an edge to a solved end has class `edge edge-solved` and no `data-to`.

use std::fmt::Write;

use super::layout::{self, EdgeIn, Point, Segment, Size};
use super::{Block, Kind, Picture, Slugs, text};
use crate::flow::Flow;

/// Body text size, px.
const FONT: f64 = 12.0;
/// Estimated mean width of a body character, px.
const CHAR: f64 = 6.6;
/// Heading text size and mean character width, px.
const HEADING_FONT: f64 = 10.5;
const HEADING_CHAR: f64 = 6.2;
/// Edge label text size and mean character width, px.
const LABEL_FONT: f64 = 11.0;
const LABEL_CHAR: f64 = 6.0;
/// Characters per line in a box, and lines at most.
const WRAP: usize = 30;
const MAX_LINES: usize = 3;
/// Space inside a box around its text, px.
const PAD_X: f64 = 10.0;
const PAD_Y: f64 = 7.0;
/// Height of one line of body text, px.
const LEADING: f64 = 15.0;
/// Narrowest box, px.
const MIN_WIDTH: f64 = 96.0;
/// How far a hexagon's points stick out past its text, px.
const HEX_INSET: f64 = 14.0;
/// How far a link's side bars sit inside its box, px.
const BAR_INSET: f64 = 7.0;

/// The flow as a standalone SVG document, laid out top-down.
pub fn svg(flow: &Flow) -> String {
    let picture = Picture::of(flow);
    let drawn: Vec<Drawn> = picture.boxes.iter().map(Drawn::new).collect();
    let sizes: Vec<Size> = drawn.iter().map(|d| d.size).collect();
    let edges: Vec<EdgeIn> = picture
        .lines
        .iter()
        .map(|l| EdgeIn {
            from: l.from,
            to: l.to,
            label: label_size(&l.label),
        })
        .collect();
    let root = picture.boxes.iter().position(|b| b.start).unwrap_or(0);
    let placed = layout::layout(&sizes, &edges, root);

    // Marker ids are per flow, so two diagrams inlined in one page do not share them.
    let marker = Slugs::default().make("stepwise_arrow_", &picture.id);
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="stepwise-diagram" data-flow="{}" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif">"#,
        xml(&picture.id),
        w = placed.width.ceil(),
        h = placed.height.ceil(),
    );
    let _ = writeln!(out, "<title>{}</title>", xml(&picture.title));
    let _ = writeln!(
        out,
        r##"<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker><marker id="{marker}_solved" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{}"/></marker></defs>"##,
        Kind::Solved.colours().1
    );

    out.push_str("<g class=\"edges\">\n");
    for (line, route) in picture.lines.iter().zip(&placed.routes) {
        let from = &picture.boxes[line.from];
        let to = &picture.boxes[line.to];
        let solved = to.kind == Kind::Solved;
        let mut d = format!("M{}", pt(route.start));
        for segment in &route.segments {
            match segment {
                Segment::Line(p) => {
                    let _ = write!(d, " L{}", pt(*p));
                }
                Segment::Curve(a, b, p) => {
                    let _ = write!(d, " C{} {} {}", pt(*a), pt(*b), pt(*p));
                }
            }
        }
        if solved {
            let _ = write!(
                out,
                r#"<g class="edge edge-solved" data-from="{}" data-choice="{}">"#,
                xml(&from.node),
                xml(&line.choice)
            );
        } else {
            let _ = write!(
                out,
                r#"<g class="edge" data-from="{}" data-to="{}" data-choice="{}">"#,
                xml(&from.node),
                xml(&to.node),
                xml(&line.choice)
            );
        }
        let (stroke, arrow) = if solved {
            (Kind::Solved.colours().1, format!("{marker}_solved"))
        } else {
            ("#64748b", marker.clone())
        };
        let _ = write!(
            out,
            r#"<path d="{d}" fill="none" stroke="{stroke}" stroke-width="1.4" marker-end="url(#{arrow})"/>"#
        );
        if let (Some(at), false) = (route.label, line.label.is_empty()) {
            let size = label_size(&line.label);
            let _ = write!(
                out,
                r##"<rect class="edge-label-bg" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="3" fill="#ffffff" fill-opacity="0.85"/><text class="edge-label" x="{:.1}" y="{:.1}" font-size="{LABEL_FONT}" fill="#334155" dominant-baseline="central">{}</text>"##,
                at.x - 1.0,
                at.y - size.h / 2.0,
                size.w,
                size.h,
                at.x + 2.0,
                at.y,
                xml(&line.label)
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for ((block, drawn), centre) in picture.boxes.iter().zip(&drawn).zip(&placed.centres) {
        node(&mut out, block, drawn, *centre);
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// A box's text in lines, and the size it needs.
struct Drawn {
    lines: Vec<String>,
    size: Size,
}

impl Drawn {
    fn new(block: &Block) -> Drawn {
        let lines = text::wrap(&block.text, WRAP, MAX_LINES);
        let widest = lines.iter().map(|l| l.chars().count() as f64 * CHAR).fold(
            block.heading.chars().count() as f64 * HEADING_CHAR,
            f64::max,
        );
        let sides = match block.kind {
            Kind::Branch => HEX_INSET * 2.0,
            Kind::Link => BAR_INSET * 2.0,
            _ => 0.0,
        };
        let w = (widest + PAD_X * 2.0 + sides).max(MIN_WIDTH);
        let h = PAD_Y * 2.0 + HEADING_FONT + 2.0 + LEADING * lines.len() as f64;
        let size = if block.kind == Kind::Solved {
            Size { w: 64.0, h: 24.0 }
        } else {
            Size { w, h }
        };
        Drawn { lines, size }
    }
}

/// The room an edge label takes; none for an empty label.
fn label_size(label: &str) -> Size {
    if label.is_empty() {
        Size::default()
    } else {
        Size {
            w: label.chars().count() as f64 * LABEL_CHAR + 6.0,
            h: LABEL_FONT + 5.0,
        }
    }
}

/// Writes one node: its group, tooltip, shape and text.
fn node(out: &mut String, block: &Block, drawn: &Drawn, centre: Point) {
    let Size { w, h } = drawn.size;
    let (x, y) = (centre.x - w / 2.0, centre.y - h / 2.0);
    let kind = block.kind.name();
    let (fill, stroke, ink) = block.kind.colours();
    if block.kind == Kind::Solved {
        let _ = write!(
            out,
            r#"<g id="solved-{}" class="node kind-solved" data-solved-by="{}">"#,
            xml(&block.node),
            xml(&block.node)
        );
        let _ = write!(
            out,
            r#"<title>solved by {}</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/><text x="{:.1}" y="{:.1}" font-size="{HEADING_FONT}" font-weight="bold" fill="{ink}" text-anchor="middle" dominant-baseline="central">{}</text></g>"#,
            xml(&block.node),
            h / 2.0,
            centre.x,
            centre.y,
            block.kind.heading()
        );
        out.push('\n');
        return;
    }
    let start = if block.start { " start" } else { "" };
    let _ = write!(
        out,
        r#"<g id="node-{id}" class="node kind-{kind}{start}" data-node="{id}" data-kind="{kind}">"#,
        id = xml(&block.node)
    );
    let tooltip = if block.text.is_empty() {
        block.heading.clone()
    } else {
        format!("{}: {}", block.heading, block.text)
    };
    let _ = write!(out, "<title>{}</title>", xml(&tooltip));
    let width = match (block.start, block.kind) {
        (true, _) => 2.6,
        (false, Kind::Escalate | Kind::Resolved | Kind::Done) => 1.8,
        _ => 1.2,
    };
    let paint = format!(r#"fill="{fill}" stroke="{stroke}" stroke-width="{width}""#);
    let (x2, y2) = (x + w, y + h);
    match block.kind {
        Kind::Question => rect(out, x, y, w, h, 10.0, &paint),
        Kind::Remedy => rect(out, x, y, w, h, 2.0, &paint),
        Kind::Resolved | Kind::Escalate | Kind::Done | Kind::Solved => {
            rect(out, x, y, w, h, (h / 2.0).min(16.0), &paint)
        }
        Kind::Info => {
            let fold = 10.0;
            let _ = write!(
                out,
                r#"<path d="M{x:.1},{y:.1} L{:.1},{y:.1} L{x2:.1},{:.1} L{x2:.1},{y2:.1} L{x:.1},{y2:.1} Z M{:.1},{y:.1} L{:.1},{:.1} L{x2:.1},{:.1}" {paint} stroke-linejoin="round"/>"#,
                x2 - fold,
                y + fold,
                x2 - fold,
                x2 - fold,
                y + fold,
                y + fold,
            );
        }
        Kind::Branch => {
            let mid = centre.y;
            let _ = write!(
                out,
                r#"<polygon points="{:.1},{y:.1} {:.1},{y:.1} {x2:.1},{mid:.1} {:.1},{y2:.1} {:.1},{y2:.1} {x:.1},{mid:.1}" {paint}/>"#,
                x + HEX_INSET,
                x2 - HEX_INSET,
                x2 - HEX_INSET,
                x + HEX_INSET,
            );
        }
        Kind::Link => {
            rect(out, x, y, w, h, 2.0, &paint);
            let _ = write!(
                out,
                r#"<path d="M{:.1},{y:.1} L{:.1},{y2:.1} M{:.1},{y:.1} L{:.1},{y2:.1}" fill="none" stroke="{stroke}" stroke-width="{width}"/>"#,
                x + BAR_INSET,
                x + BAR_INSET,
                x2 - BAR_INSET,
                x2 - BAR_INSET,
            );
        }
    }
    let mut baseline = y + PAD_Y + HEADING_FONT;
    let _ = write!(
        out,
        r#"<text class="heading" x="{:.1}" y="{baseline:.1}" font-size="{HEADING_FONT}" font-weight="bold" fill="{stroke}" text-anchor="middle">{}</text>"#,
        centre.x,
        xml(&block.heading)
    );
    baseline += 2.0;
    for line in &drawn.lines {
        baseline += LEADING;
        let _ = write!(
            out,
            r#"<text class="text" x="{:.1}" y="{:.1}" font-size="{FONT}" fill="{ink}" text-anchor="middle">{}</text>"#,
            centre.x,
            baseline - 3.0,
            xml(line)
        );
    }
    out.push_str("</g>\n");
}

/// Writes a rectangle with rounded corners.
fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, r: f64, paint: &str) {
    let _ = write!(
        out,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{r:.1}" {paint}/>"#
    );
}

/// A point as SVG path coordinates.
fn pt(p: Point) -> String {
    format!("{:.1},{:.1}", p.x, p.y)
}

/// Text safe in XML content and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if c.is_control() && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
