//! The figures a flow's owner reads, computed from the sessions' events: starts, outcomes as
//! shares of starts, steps to an outcome, where sessions went and where they stopped, which
//! remedies resolve — in total, per flow version and per day or week; customers' sessions
//! apart from what agents ran for callers.
//!
//! Pure: events in, figures out. Abandonment is decided here, at query time, from how long
//! an unfinished session has been idle, so no background job has to mark sessions abandoned.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::rfc3339;
use stepwise_store::{Event, EventKind, Party};

/// What the figures are measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Milliseconds since the Unix epoch: the moment idleness is measured to.
    pub now: i64,
    /// An unfinished session idle for at least this many milliseconds is abandoned.
    pub abandon_after: i64,
}

/// The headline figures of a set of sessions. Every session started is in exactly one of
/// resolved, escalated, done, abandoned and in progress, so those five add up to `starts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    /// Sessions started.
    pub starts: u64,
    /// Sessions that ended resolved.
    pub resolved: u64,
    /// Sessions that ended escalated to support.
    pub escalated: u64,
    /// Sessions that ended with nothing to fix.
    pub done: u64,
    /// Sessions that reached an outcome: resolved + escalated + done.
    pub finished: u64,
    /// Unfinished sessions idle for longer than the abandonment time.
    pub abandoned: u64,
    /// Unfinished sessions still within the abandonment time.
    pub in_progress: u64,
    /// Each way a session can stand as a share of starts, when any started.
    pub share_of_starts: Option<Shares>,
    /// The median number of answers given to reach the outcome, over finished sessions.
    pub median_steps: Option<f64>,
    /// Customers who said the outcome helped.
    pub helpful: u64,
    /// Customers who said it did not.
    pub not_helpful: u64,
}

/// Shares of the sessions started, to three decimals. Rounded together (largest remainder),
/// so that they always add up to exactly 1 and the percentages shown to exactly 100.0%.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Shares {
    /// resolved / starts.
    pub resolved: f64,
    /// escalated / starts.
    pub escalated: f64,
    /// done / starts.
    pub done: f64,
    /// abandoned / starts.
    pub abandoned: f64,
    /// in progress / starts.
    pub in_progress: f64,
}

impl Shares {
    /// The shares of `counts` (resolved, escalated, done, abandoned, in progress) in
    /// thousandths of their sum; none when the sum is zero.
    fn of(counts: [u64; 5]) -> Option<Shares> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let exact = counts.map(|c| u128::from(c) * 1000);
        let mut thousandths = exact.map(|e| e / u128::from(total));
        let given: u128 = thousandths.iter().sum();
        // Hand the thousandths rounding took away to the largest remainders, first ones first.
        let mut order: Vec<usize> = (0..5).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(exact[i] % u128::from(total)));
        for &i in order
            .iter()
            .take(usize::try_from(1000 - given).unwrap_or(0))
        {
            thousandths[i] += 1;
        }
        let share = |i: usize| thousandths[i] as f64 / 1000.0;
        Some(Shares {
            resolved: share(0),
            escalated: share(1),
            done: share(2),
            abandoned: share(3),
            in_progress: share(4),
        })
    }
}

/// How many sessions reached a node, and how many were abandoned there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NodeFigures {
    /// The node id (`other-flow/node` for a node reached through a link).
    pub node: String,
    /// What the step says, in a few words (its first line, or its id when it has no text
    /// or is no longer in the flow).
    pub label: String,
    /// Sessions that stood on it at least once.
    pub reached: u64,
    /// Sessions abandoned while standing on it.
    pub dropped_off: u64,
}

/// How often a remedy resolved the sessions that reached it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RemedyFigures {
    /// The remedy's node id.
    pub remedy: String,
    /// What the remedy says, in a few words.
    pub label: String,
    /// Sessions it resolved (counted at their final outcome).
    pub resolved: u64,
    /// Sessions that reached it.
    pub reached: u64,
    /// resolved / reached: a share of the sessions that reached it, when any did.
    pub success_rate: Option<f64>,
}

/// The headline figures of the sessions pinned to one flow version.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionFigures {
    /// The content version.
    pub version: String,
    /// When its first session in the period started (RFC 3339).
    pub first_start: String,
    /// Its customers' figures.
    pub summary: Summary,
}

/// How long one point of a trend spans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TrendUnit {
    /// A day (UTC), when the sessions span at most [`DAILY_UP_TO`] days.
    #[default]
    Day,
    /// A week from Monday (UTC), for longer spans.
    Week,
}

/// Sessions spanning at most this many days are shown per day, longer spans per week.
pub const DAILY_UP_TO: i64 = 62;

/// The figures of the sessions that started in one day or week.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendPoint {
    /// The first day of the day or week, `YYYY-MM-DD` (UTC).
    pub from: String,
    /// The figures of the customers' sessions that started in it.
    pub summary: Summary,
}

/// The figures by day or by week, from the first session's to the last one's, with the days
/// or weeks without sessions in between, so a change to a flow shows as a change in the line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Trend {
    /// How long each point spans.
    pub unit: TrendUnit,
    /// Oldest first.
    pub points: Vec<TrendPoint>,
}

/// Every figure of a flow over a set of sessions.
///
/// A session is the customer's own until an agent makes a move on it: from that move on
/// (or from the start, for a session an agent started for a caller) it is counted in
/// `agents`, so that an agent's restart or jump never changes how the customer's session
/// ended. Everything but `agents` counts the customers' sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// The customers' own sessions.
    pub summary: Summary,
    /// Sessions agents ran for callers: started in the console, or taken up there from
    /// where the customer left them.
    pub agents: Summary,
    /// Nodes in the flow's order (breadth first from its start, a linked flow's nodes after
    /// the link); nodes no longer in the flow last, by sessions reached.
    pub nodes: Vec<NodeFigures>,
    /// Remedies by sessions resolved, most first (ties by success rate, then id).
    pub remedies: Vec<RemedyFigures>,
    /// Each version's figures, oldest first (by its first start).
    pub versions: Vec<VersionFigures>,
    /// The figures by day or week.
    pub trend: Trend,
}

/// How one session, or the part of it one party made, ended up, replayed from its events.
#[derive(Debug, Default, Clone)]
struct Replay {
    version: String,
    started: i64,
    last: i64,
    /// Where it stands now.
    node: String,
    /// Answers given on the way to where it stands; back takes one away.
    depth: u64,
    /// The outcome it stands on, with the answers given to reach it and the remedy that
    /// resolved it. A move after an outcome (back, restart) clears it.
    outcome: Option<(EventKind, u64, Option<String>)>,
    reached: BTreeSet<String>,
    helpful: Option<bool>,
}

/// What a replayed session counts as.
enum End {
    Finished(EventKind),
    Abandoned,
    InProgress,
}

impl Replay {
    /// The agents' part of a session, taken up from where the customer's part stands.
    fn taken_up(customer: &Replay, at: i64) -> Replay {
        Replay {
            version: customer.version.clone(),
            started: at,
            last: at,
            node: customer.node.clone(),
            depth: customer.depth,
            ..Replay::default()
        }
    }

    fn apply(&mut self, event: &Event) {
        self.last = self.last.max(event.at);
        let arrive = |r: &mut Replay| {
            r.node = event.node.clone();
            r.reached.insert(event.node.clone());
            r.outcome = None;
        };
        match event.kind {
            EventKind::Started => {
                self.version = event.version.clone();
                self.started = event.at;
                self.depth = 0;
                arrive(self);
            }
            EventKind::Answered | EventKind::Jumped => {
                self.depth += 1;
                arrive(self);
            }
            EventKind::Back => {
                self.depth = self.depth.saturating_sub(1);
                arrive(self);
            }
            EventKind::Restarted => {
                self.depth = 0;
                arrive(self);
            }
            EventKind::Resolved | EventKind::Escalated | EventKind::Done => {
                self.node = event.node.clone();
                self.reached.insert(event.node.clone());
                let remedy = (event.kind == EventKind::Resolved)
                    .then(|| event.value.clone())
                    .flatten();
                self.outcome = Some((event.kind, self.depth, remedy));
            }
            EventKind::Helpful => self.helpful = Some(event.value.as_deref() == Some("yes")),
        }
    }

    fn end(&self, settings: Settings) -> End {
        match &self.outcome {
            Some((kind, _, _)) => End::Finished(*kind),
            None if settings.now.saturating_sub(self.last) >= settings.abandon_after => {
                End::Abandoned
            }
            None => End::InProgress,
        }
    }
}

/// One session split by who moved it: the customer's part, then the agents' from their
/// first move on.
#[derive(Default)]
struct Parts {
    customer: Option<Replay>,
    agents: Option<Replay>,
}

impl Parts {
    fn apply(&mut self, event: &Event) {
        if let Some(agents) = &mut self.agents {
            return agents.apply(event);
        }
        if event.by == Party::Agent {
            let mut agents = match &self.customer {
                Some(customer) => Replay::taken_up(customer, event.at),
                None => Replay::default(),
            };
            agents.apply(event);
            self.agents = Some(agents);
            return;
        }
        self.customer.get_or_insert_default().apply(event);
    }
}

/// The sessions counted: those that started in `[from, to)` (milliseconds since the Unix
/// epoch), and only those pinned to `version` when one is given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Period {
    /// The first start counted; none means from the first session kept.
    pub from: Option<i64>,
    /// The first start no longer counted; none means up to now.
    pub to: Option<i64>,
    /// Only sessions pinned to this flow version.
    pub version: Option<String>,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "`{name}` is not a date: `{value}`; expected YYYY-MM-DD or an RFC 3339 time such as 2026-11-01T09:30:00Z"
    )]
    NotADate { name: &'static str, value: String },
    #[error("`from` must come before `to`")]
    Empty,
}

impl Period {
    /// A period from the `from`, `to` and `version` a person gave: each date is `YYYY-MM-DD`
    /// (midnight UTC) or an RFC 3339 time; empty values count as not given.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        version: Option<&str>,
    ) -> Result<Period, PeriodError> {
        let from = given(from).map(|v| instant("from", v)).transpose()?;
        let to = given(to).map(|v| instant("to", v)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(PeriodError::Empty);
        }
        Ok(Period {
            from,
            to,
            version: given(version).map(str::to_owned),
        })
    }

    /// The bounds to read, with what was not given filled in.
    pub fn bounds(&self) -> (i64, i64) {
        (self.from.unwrap_or(i64::MIN), self.to.unwrap_or(i64::MAX))
    }
}

/// `value` trimmed, if it holds anything.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Milliseconds since the Unix epoch of `value`, a date or an RFC 3339 time.
fn instant(name: &'static str, value: &str) -> Result<i64, PeriodError> {
    use time::format_description::well_known::Rfc3339;
    let refused = || PeriodError::NotADate {
        name,
        value: value.to_owned(),
    };
    let at = match time::OffsetDateTime::parse(value, &Rfc3339) {
        Ok(at) => at,
        Err(_) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(value, format)
                .map_err(|_| refused())?
                .midnight()
                .assume_utc()
        }
    };
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| refused())
}

/// The figures of the sessions whose events are `events` (in the order the store gives
/// them: each session's events in the order written). `remedies` names the flow's remedies,
/// so that those that never resolved anything are listed too. Nodes come by sessions
/// reached (the report puts them in the flow's order).
pub fn figures(events: &[Event], remedies: &[String], settings: Settings) -> Figures {
    let mut parts: Vec<Parts> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for event in events {
        let at = *index.entry(event.session.as_str()).or_insert_with(|| {
            parts.push(Parts::default());
            parts.len() - 1
        });
        parts[at].apply(event);
    }
    // A session whose start was not given (never the case for the store's reads) counts
    // for nothing.
    let (mut sessions, mut agents) = (Vec::new(), Vec::new());
    for part in parts {
        sessions.extend(part.customer.filter(|s| !s.version.is_empty()));
        agents.extend(part.agents.filter(|s| !s.version.is_empty()));
    }

    let mut nodes: BTreeMap<&str, NodeFigures> = BTreeMap::new();
    let mut remedy_figures: BTreeMap<&str, (u64, u64)> =
        remedies.iter().map(|r| (r.as_str(), (0, 0))).collect();
    for session in &sessions {
        for node in &session.reached {
            nodes
                .entry(node)
                .or_insert_with(|| NodeFigures {
                    node: node.clone(),
                    label: node.clone(),
                    reached: 0,
                    dropped_off: 0,
                })
                .reached += 1;
        }
        if let End::Abandoned = session.end(settings)
            && let Some(node) = nodes.get_mut(session.node.as_str())
        {
            node.dropped_off += 1;
        }
        if let Some((_, _, Some(remedy))) = &session.outcome {
            remedy_figures.entry(remedy).or_default().0 += 1;
        }
    }
    for (remedy, (_, reached)) in remedy_figures.iter_mut() {
        *reached = nodes.get(remedy).map_or(0, |n| n.reached);
    }

    let mut nodes: Vec<NodeFigures> = nodes.into_values().collect();
    nodes.sort_by(|a, b| b.reached.cmp(&a.reached).then_with(|| a.node.cmp(&b.node)));
    let mut remedies: Vec<RemedyFigures> = remedy_figures
        .into_iter()
        .map(|(remedy, (resolved, reached))| RemedyFigures {
            remedy: remedy.to_owned(),
            label: remedy.to_owned(),
            resolved,
            reached,
            success_rate: rate(resolved, reached),
        })
        .collect();
    remedies.sort_by(|a, b| {
        b.resolved
            .cmp(&a.resolved)
            .then_with(|| {
                b.success_rate
                    .unwrap_or(0.0)
                    .total_cmp(&a.success_rate.unwrap_or(0.0))
            })
            .then_with(|| a.remedy.cmp(&b.remedy))
    });

    let mut by_version: BTreeMap<&str, Vec<&Replay>> = BTreeMap::new();
    for session in &sessions {
        by_version
            .entry(&session.version)
            .or_default()
            .push(session);
    }
    let mut versions: Vec<(i64, VersionFigures)> = by_version
        .into_iter()
        .map(|(version, group)| {
            let first = group.iter().map(|s| s.started).min().unwrap_or(0);
            let figures = VersionFigures {
                version: version.to_owned(),
                first_start: rfc3339(first),
                summary: summary(group, settings),
            };
            (first, figures)
        })
        .collect();
    versions.sort_by(|(a_first, a), (b_first, b)| {
        a_first.cmp(b_first).then_with(|| a.version.cmp(&b.version))
    });
    let versions = versions.into_iter().map(|(_, v)| v).collect();

    Figures {
        summary: summary(sessions.iter().collect(), settings),
        agents: summary(agents.iter().collect(), settings),
        nodes,
        remedies,
        versions,
        trend: trend(&sessions, settings),
    }
}

const DAY: i64 = 24 * 60 * 60 * 1000;

/// The figures per day or week of the sessions' starts.
fn trend(sessions: &[Replay], settings: Settings) -> Trend {
    let day = |s: &Replay| s.started.div_euclid(DAY);
    let (Some(first), Some(last)) = (
        sessions.iter().map(day).min(),
        sessions.iter().map(day).max(),
    ) else {
        return Trend::default();
    };
    let (unit, width, origin) = if last - first < DAILY_UP_TO {
        (TrendUnit::Day, 1, first)
    } else {
        // The Unix epoch was a Thursday: Monday is three days on from a week's start.
        (TrendUnit::Week, 7, first - (first + 3).rem_euclid(7))
    };
    let slot = |s: &Replay| usize::try_from((day(s) - origin) / width).unwrap_or(0);
    let count = slot_count(last, origin, width);
    let mut slots: Vec<Vec<&Replay>> = vec![Vec::new(); count];
    for session in sessions {
        if let Some(group) = slots.get_mut(slot(session)) {
            group.push(session);
        }
    }
    let points = slots
        .into_iter()
        .enumerate()
        .map(|(i, group)| TrendPoint {
            from: date(origin + i as i64 * width),
            summary: summary(group, settings),
        })
        .collect();
    Trend { unit, points }
}

fn slot_count(last: i64, origin: i64, width: i64) -> usize {
    usize::try_from((last - origin) / width + 1).unwrap_or(0)
}

/// `YYYY-MM-DD` of a day counted from the Unix epoch.
fn date(day: i64) -> String {
    let midnight = day.saturating_mul(DAY);
    rfc3339(midnight).chars().take(10).collect()
}

fn summary(sessions: Vec<&Replay>, settings: Settings) -> Summary {
    let mut s = Summary::default();
    let mut steps = Vec::new();
    for session in sessions {
        s.starts += 1;
        match session.end(settings) {
            End::Finished(kind) => {
                match kind {
                    EventKind::Resolved => s.resolved += 1,
                    EventKind::Escalated => s.escalated += 1,
                    _ => s.done += 1,
                }
                if let Some((_, depth, _)) = session.outcome {
                    steps.push(depth);
                }
            }
            End::Abandoned => s.abandoned += 1,
            End::InProgress => s.in_progress += 1,
        }
        match session.helpful {
            Some(true) => s.helpful += 1,
            Some(false) => s.not_helpful += 1,
            None => {}
        }
    }
    s.finished = s.resolved + s.escalated + s.done;
    s.share_of_starts = Shares::of([s.resolved, s.escalated, s.done, s.abandoned, s.in_progress]);
    s.median_steps = median(&mut steps);
    s
}

/// A rate as a percentage with one decimal, or `-` when there is none.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// `part / whole` rounded to three decimals, or nothing when `whole` is zero.
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

fn median(values: &mut [u64]) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    /// A scripted session: `(kind, node, value)` moves, one minute apart from `start`.
    fn session(
        id: &str,
        version: &str,
        start: i64,
        moves: &[(EventKind, &str, &str)],
    ) -> Vec<Event> {
        moves
            .iter()
            .enumerate()
            .map(|(i, (kind, node, value))| Event {
                session: id.into(),
                flow: "f".into(),
                version: version.into(),
                kind: *kind,
                node: (*node).into(),
                value: (!value.is_empty()).then(|| (*value).into()),
                at: start + i as i64 * MINUTE,
                by: Party::Customer,
            })
            .collect()
    }

    /// `events` with those from the `from`th on made by an agent.
    fn by_agent_from(mut events: Vec<Event>, from: usize) -> Vec<Event> {
        for event in events.iter_mut().skip(from) {
            event.by = Party::Agent;
        }
        events
    }

    use EventKind::*;

    /// Seven sessions on a flow `q1 -> (fix-a | q2)`, `fix-a -> fix-b -> support`:
    /// - a: q1, fix-a, solved                        resolved by fix-a in 2 answers
    /// - b: q1, fix-a, no, fix-b, solved             resolved by fix-b in 3 answers
    /// - c: q1, fix-a, no, fix-b, no, support        escalated in 3 answers
    /// - d: q1, q2, done                             done in 2 answers, said not helpful
    /// - e: q1, fix-a, idle 2 hours                  abandoned at fix-a
    /// - f: q1, fix-a, back, idle 2 hours            abandoned at q1
    /// - g: q1, fix-a, solved, back, (v2) 1 min ago  in progress at fix-a
    ///
    /// a said helpful; d not helpful.
    fn scripted() -> (Vec<Event>, i64) {
        let now = 1_000 * MINUTE;
        let early = now - 200 * MINUTE;
        let mut events = Vec::new();
        events.extend(session(
            "a",
            "v1",
            early,
            &[
                (Started, "q1", ""),
                (Answered, "fix-a", "yes"),
                (Answered, "fix-a", "yes"),
                (Resolved, "fix-a", "fix-a"),
                (Helpful, "fix-a", "yes"),
            ],
        ));
        events.extend(session(
            "b",
            "v1",
            early,
            &[
                (Started, "q1", ""),
                (Answered, "fix-a", "yes"),
                (Answered, "fix-b", "no"),
                (Answered, "fix-b", "yes"),
                (Resolved, "fix-b", "fix-b"),
            ],
        ));
        events.extend(session(
            "c",
            "v1",
            early,
            &[
                (Started, "q1", ""),
                (Answered, "fix-a", "yes"),
                (Answered, "fix-b", "no"),
                (Answered, "support", "no"),
                (Escalated, "support", ""),
            ],
        ));
        events.extend(session(
            "d",
            "v1",
            early,
            &[
                (Started, "q1", ""),
                (Answered, "q2", "no"),
                (Answered, "all-good", "fine"),
                (Done, "all-good", ""),
                (Helpful, "all-good", "no"),
            ],
        ));
        events.extend(session(
            "e",
            "v1",
            early,
            &[(Started, "q1", ""), (Answered, "fix-a", "yes")],
        ));
        events.extend(session(
            "f",
            "v1",
            early,
            &[
                (Started, "q1", ""),
                (Answered, "fix-a", "yes"),
                (Back, "q1", ""),
            ],
        ));
        events.extend(session(
            "g",
            "v2",
            now - 5 * MINUTE,
            &[
                (Started, "q1", ""),
                (Answered, "fix-a", "yes"),
                (Answered, "fix-a", "yes"),
                (Resolved, "fix-a", "fix-a"),
                (Back, "fix-a", ""),
            ],
        ));
        (events, now)
    }

    fn settings(now: i64) -> Settings {
        Settings {
            now,
            abandon_after: 30 * MINUTE,
        }
    }

    #[test]
    fn figures_of_a_scripted_set_match_hand_counts() {
        let (events, now) = scripted();
        let remedies = ["fix-a".to_owned(), "fix-b".to_owned(), "fix-c".to_owned()];
        let f = figures(&events, &remedies, settings(now));
        let s = &f.summary;
        assert_eq!(
            (s.starts, s.resolved, s.escalated, s.done, s.finished),
            (7, 2, 1, 1, 4)
        );
        assert_eq!((s.abandoned, s.in_progress), (2, 1));
        // Of 7 starts: 2 resolved, 1 escalated, 1 done, 2 abandoned, 1 in progress, that is
        // 285.714 or 142.857 thousandths. Rounded down they make 996; the four missing go to
        // the largest remainders: the three 142.857s, then the first 285.714.
        let shares = s.share_of_starts.unwrap();
        assert_eq!(
            (
                shares.resolved,
                shares.escalated,
                shares.done,
                shares.abandoned,
                shares.in_progress
            ),
            (0.286, 0.143, 0.143, 0.285, 0.143)
        );
        let thousandths = [
            shares.resolved,
            shares.escalated,
            shares.done,
            shares.abandoned,
            shares.in_progress,
        ]
        .map(|x| (x * 1000.0).round() as u64);
        assert_eq!(thousandths.iter().sum::<u64>(), 1000);
        assert_eq!(s.median_steps, Some(2.5)); // 2, 2, 3, 3
        assert_eq!((s.helpful, s.not_helpful), (1, 1));

        let node = |id: &str| f.nodes.iter().find(|n| n.node == id).cloned().unwrap();
        assert_eq!((node("q1").reached, node("q1").dropped_off), (7, 1));
        assert_eq!((node("fix-a").reached, node("fix-a").dropped_off), (6, 1));
        assert_eq!((node("fix-b").reached, node("fix-b").dropped_off), (2, 0));
        assert_eq!(node("support").reached, 1);
        assert_eq!(f.nodes[0].node, "q1");
        assert_eq!(f.nodes[1].node, "fix-a");

        let ranked: Vec<(&str, u64, u64)> = f
            .remedies
            .iter()
            .map(|r| (r.remedy.as_str(), r.resolved, r.reached))
            .collect();
        // fix-a and fix-b resolved one each (g went back); fix-b has the better rate.
        assert_eq!(ranked, [("fix-b", 1, 2), ("fix-a", 1, 6), ("fix-c", 0, 0)]);
        assert_eq!(f.remedies[0].success_rate, Some(0.5));
        assert_eq!(f.remedies[2].success_rate, None);

        let versions: Vec<(&str, u64, u64)> = f
            .versions
            .iter()
            .map(|v| (v.version.as_str(), v.summary.starts, v.summary.in_progress))
            .collect();
        assert_eq!(versions, [("v1", 6, 0), ("v2", 1, 1)]);
        let v1 = f.versions[0].summary.share_of_starts.unwrap();
        assert_eq!((v1.resolved, v1.abandoned), (0.333, 0.333)); // 2 of 6 each
        let v2 = f.versions[1].summary.share_of_starts.unwrap();
        assert_eq!((v2.resolved, v2.in_progress), (0.0, 1.0));
        // Only customers here.
        assert_eq!(f.agents, Summary::default());
    }

    #[test]
    fn an_unfinished_session_is_abandoned_only_once_idle_long_enough() {
        let (events, now) = scripted();
        let patient = Settings {
            now,
            abandon_after: 1_000 * MINUTE,
        };
        let s = figures(&events, &[], patient).summary;
        assert_eq!((s.abandoned, s.in_progress), (0, 3));
        let strict = Settings {
            now,
            abandon_after: 0,
        };
        let s = figures(&events, &[], strict).summary;
        assert_eq!((s.abandoned, s.in_progress), (3, 0));
    }

    #[test]
    fn restart_counts_steps_from_the_first_step_again() {
        let events = session(
            "r",
            "v1",
            0,
            &[
                (Started, "q1", ""),
                (Answered, "q2", "no"),
                (Restarted, "q1", ""),
                (Jumped, "all-good", "all-good"),
                (Done, "all-good", ""),
            ],
        );
        let f = figures(&events, &[], settings(0));
        assert_eq!(f.summary.median_steps, Some(1.0));
        assert_eq!(f.summary.done, 1);
    }

    #[test]
    fn periods_take_dates_and_rfc3339_times() {
        let p = Period::parse(
            Some("2026-11-01"),
            Some("2026-11-02T01:00:00+02:00"),
            Some(" "),
        )
        .unwrap();
        assert_eq!(p.from, Some(1_793_491_200_000));
        assert_eq!(p.to, Some(1_793_491_200_000 + 23 * 60 * MINUTE));
        assert_eq!(p.version, None);
        assert_eq!(
            Period::parse(None, None, None).unwrap().bounds(),
            (i64::MIN, i64::MAX)
        );
        assert!(matches!(
            Period::parse(Some("yesterday"), None, None),
            Err(PeriodError::NotADate { name: "from", .. })
        ));
        assert!(matches!(
            Period::parse(None, Some("2026-13-01"), None),
            Err(PeriodError::NotADate { name: "to", .. })
        ));
        assert_eq!(
            Period::parse(Some("2026-11-02"), Some("2026-11-01"), None),
            Err(PeriodError::Empty)
        );
    }

    #[test]
    fn an_agents_restart_of_an_escalated_case_leaves_it_escalated() {
        // The customer escalates; an agent opens the case and restarts it with the caller,
        // then leaves it.
        let events = by_agent_from(
            session(
                "x",
                "v1",
                0,
                &[
                    (Started, "q1", ""),
                    (Answered, "support", "no"),
                    (Escalated, "support", ""),
                    (Restarted, "q1", ""),
                ],
            ),
            3,
        );
        let f = figures(&events, &[], settings(1_000 * MINUTE));
        assert_eq!((f.summary.starts, f.summary.escalated), (1, 1));
        assert_eq!(f.summary.abandoned, 0);
        let q1 = f.nodes.iter().find(|n| n.node == "q1").unwrap();
        assert_eq!(q1.dropped_off, 0);
        // The agent's part is counted apart: taken up, then left at the first step.
        assert_eq!((f.agents.starts, f.agents.abandoned), (1, 1));
    }

    #[test]
    fn sessions_agents_run_and_their_jumps_are_counted_apart() {
        let mut events = by_agent_from(
            session(
                "call",
                "v1",
                0,
                &[
                    (Started, "q1", ""),
                    (Jumped, "support", "support"),
                    (Escalated, "support", ""),
                ],
            ),
            0,
        );
        // A customer stops at q2; an agent takes the session up and jumps to support.
        events.extend(by_agent_from(
            session(
                "mine",
                "v1",
                0,
                &[
                    (Started, "q1", ""),
                    (Answered, "q2", "no"),
                    (Jumped, "support", "support"),
                    (Escalated, "support", ""),
                ],
            ),
            2,
        ));
        let f = figures(&events, &[], settings(1_000 * MINUTE));
        let s = &f.summary;
        assert_eq!((s.starts, s.escalated, s.abandoned), (1, 0, 1));
        assert_eq!(
            f.nodes.iter().find(|n| n.node == "q2").unwrap().dropped_off,
            1
        );
        assert!(f.nodes.iter().all(|n| n.node != "support"));
        let a = &f.agents;
        assert_eq!((a.starts, a.escalated), (2, 2));
        // The agent's jump is one answer on from where the customer stood.
        assert_eq!(a.median_steps, Some(1.5));
    }

    #[test]
    fn a_back_from_an_escalation_un_escalates_it() {
        let events = session(
            "b",
            "v1",
            0,
            &[
                (Started, "q1", ""),
                (Answered, "support", "no"),
                (Escalated, "support", ""),
                (Back, "q1", ""),
            ],
        );
        let f = figures(&events, &[], settings(1_000 * MINUTE));
        assert_eq!((f.summary.escalated, f.summary.abandoned), (0, 1));
    }

    #[test]
    fn the_trend_has_a_point_per_day_or_per_week_with_empty_ones_between() {
        let day = 24 * 60 * MINUTE;
        // 2026-11-02 is a Monday.
        let monday = 1_793_577_600_000;
        let mut events = session("a", "v1", monday, &[(Started, "q1", "")]);
        events.extend(session("b", "v1", monday + 2 * day, &[(Started, "q1", "")]));
        events.extend(session(
            "c",
            "v1",
            monday + 2 * day + MINUTE,
            &[(Started, "q1", ""), (Jumped, "end", ""), (Done, "end", "")],
        ));
        let f = figures(&events, &[], settings(monday + 100 * day));
        assert_eq!(f.trend.unit, TrendUnit::Day);
        let points: Vec<(&str, u64, u64)> = f
            .trend
            .points
            .iter()
            .map(|p| (p.from.as_str(), p.summary.starts, p.summary.done))
            .collect();
        assert_eq!(
            points,
            [
                ("2026-11-02", 1, 0),
                ("2026-11-03", 0, 0),
                ("2026-11-04", 2, 1)
            ]
        );
        // Past 62 days, weeks from Monday.
        events.extend(session(
            "d",
            "v1",
            monday + 70 * day + 3 * day,
            &[(Started, "q1", "")],
        ));
        let f = figures(&events, &[], settings(monday + 100 * day));
        assert_eq!(f.trend.unit, TrendUnit::Week);
        assert_eq!(f.trend.points.len(), 11);
        assert_eq!(f.trend.points[0].from, "2026-11-02");
        assert_eq!(f.trend.points[0].summary.starts, 3);
        assert_eq!(f.trend.points[10].from, "2027-01-11");
        assert_eq!(f.trend.points[10].summary.starts, 1);
        let starts: u64 = f.trend.points.iter().map(|p| p.summary.starts).sum();
        assert_eq!(starts, f.summary.starts);
    }

    #[test]
    fn shares_always_add_up_to_one() {
        for counts in [
            [1, 1, 1, 0, 0],
            [8, 2, 5, 10, 5],
            [1, 0, 0, 0, 2],
            [3, 3, 3, 3, 3],
        ] {
            let s = Shares::of(counts).unwrap();
            let sum = [s.resolved, s.escalated, s.done, s.abandoned, s.in_progress]
                .map(|x| (x * 1000.0).round() as u64)
                .iter()
                .sum::<u64>();
            assert_eq!(sum, 1000, "{counts:?}: {s:?}");
        }
        assert_eq!(Shares::of([0; 5]), None);
    }

    #[test]
    fn no_sessions_give_zeros_and_no_rates() {
        let f = figures(&[], &[], settings(0));
        assert_eq!(f.summary, Summary::default());
        assert!(f.nodes.is_empty() && f.versions.is_empty());
    }
}
