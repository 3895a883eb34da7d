//! A customer's session: a walk loaded from the store, moved by the engine, and stored again
//! before anyone is told it moved.
//!
//! Concurrency is optimistic: each write names the revision it read, so of two answers racing
//! on one session the second is refused (409 `conflict`) instead of overwriting the first,
//! even when they reach two server processes sharing one database. A client may also name the
//! revision it saw, so an answer meant for a step that has since moved on is refused too.

use std::collections::BTreeMap;

use stepwise_engine::{FlowSource, InLocale, Status, Step, Walk, WalkError};
use stepwise_store::{
    Delivery, Event, EventKind, Note, Party, SessionRecord, StoreError, now_millis,
};

use crate::App;
use crate::error::Error;
use crate::library::Library;
use crate::locale::Asked;
use crate::webhooks::{self, EventType};

/// How many times a new reference is drawn when one is taken.
const REFERENCE_ATTEMPTS: usize = 5;

/// A move of a session's walk, as a customer or an agent makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Answer the current step with the answer of this id.
    Answer(String),
    /// Undo the last answer.
    Back,
    /// Go back to the first step.
    Restart,
    /// Jump to the node of this id (agents only).
    Jump(String),
}

impl Move {
    /// Makes the move with the engine.
    fn make(&self, walk: &mut Walk, flows: &impl FlowSource) -> Result<Step, WalkError> {
        match self {
            Move::Answer(answer) => walk.answer(flows, answer),
            Move::Back => walk.back(flows),
            Move::Restart => walk.restart(flows),
            Move::Jump(node) => walk.jump(flows, node),
        }
    }

    /// The event it is recorded as, and what that event names.
    fn event(&self) -> (EventKind, Option<String>) {
        match self {
            Move::Answer(answer) => (EventKind::Answered, Some(answer.clone())),
            Move::Back => (EventKind::Back, None),
            Move::Restart => (EventKind::Restarted, None),
            Move::Jump(node) => (EventKind::Jumped, Some(node.clone())),
        }
    }
}

/// A stored session and its walk.
#[derive(Debug)]
pub struct Session {
    /// What the store holds.
    pub record: SessionRecord,
    /// The walk, read from the record.
    pub walk: Walk,
}

impl Session {
    /// Starts a session on `flow`, read in `locale`, and stores it; `by` says whether a
    /// customer started it or an agent did for a caller.
    pub async fn start(
        app: &App,
        flow: &str,
        facts: BTreeMap<String, String>,
        locale: &str,
        by: Party,
    ) -> Result<(Session, Step), Error> {
        app.record_flows().await?;
        let library = app.library();
        let (mut walk, step) = Walk::start(&library.in_locale(locale), flow, facts)?;
        walk.set_locale(locale);
        let now = now_millis();
        let record = SessionRecord {
            id: uuid::Uuid::new_v4().to_string(),
            flow: walk.flow().to_owned(),
            version: walk
                .versions()
                .get(walk.flow())
                .map(ToString::to_string)
                .unwrap_or_default(),
            status: walk.status().as_str().to_owned(),
            walk: to_json(&walk)?,
            revision: 1,
            created_at: now,
            updated_at: now,
            reference: None,
            details: BTreeMap::new(),
            feedback: None,
            notes: Vec::new(),
        };
        let mut events = vec![event(&record, EventKind::Started, &step, None, by)];
        events.extend(outcome_event(&record, &step, by));
        app.store.insert_session(record.clone(), events).await?;
        Ok((Session { record, walk }, step))
    }

    /// The id of the session an agent names by its id or by its escalation reference (as read
    /// out on a call: any case, spaces around).
    pub async fn find(app: &App, key: &str) -> Result<Option<String>, Error> {
        let key = key.trim();
        if uuid::Uuid::try_parse(key).is_ok() {
            return Ok(app.store.session(key).await?.map(|r| r.id));
        }
        let reference = key.to_ascii_uppercase();
        Ok(app.store.session_by_reference(&reference).await?)
    }

    /// Loads session `id`, with every flow version it is pinned to ready to serve.
    pub async fn load(app: &App, id: &str) -> Result<Session, Error> {
        // Not an id we could have given out: no need to ask the store.
        if uuid::Uuid::try_parse(id).is_err() {
            return Err(Error::UnknownSession);
        }
        let record = app.store.session(id).await?.ok_or(Error::UnknownSession)?;
        let walk: Walk = serde_json::from_str(&record.walk)
            .map_err(|e| Error::Internal(format!("a session holds an unreadable walk: {e}")))?;
        app.library()
            .prepare(app.store.as_ref(), walk.versions())
            .await?;
        Ok(Session { record, walk })
    }

    /// Loads session `id`, makes the customer's move, and stores it with the events it causes. A refused
    /// move leaves the stored session as it was; a move that loses a race to another one
    /// stored meanwhile is [`Error::Conflict`]. The step comes in the language `asked`
    /// chooses, else the session's; a `?lang=` also becomes the session's language from then on.
    pub async fn apply(
        app: &App,
        id: &str,
        asked: &Asked,
        change: Move,
    ) -> Result<(Session, Step), Error> {
        Session::apply_if(app, id, asked, None, change, Party::Customer, |_, _| Ok(())).await
    }

    /// [`Session::apply`], but only if the session is still at `revision` (the one the client
    /// saw), else [`Error::Conflict`]. Without a revision the move applies to the session
    /// as it is read now.
    pub async fn apply_at(
        app: &App,
        id: &str,
        asked: &Asked,
        revision: Option<i64>,
        change: Move,
    ) -> Result<(Session, Step), Error> {
        Session::apply_if(app, id, asked, revision, change, Party::Customer, |_, _| {
            Ok(())
        })
        .await
    }

    /// [`Session::apply_at`], made by `by`, if `guard` accepts the walk as it stands; its
    /// error refuses the move.
    pub async fn apply_if<G>(
        app: &App,
        id: &str,
        asked: &Asked,
        revision: Option<i64>,
        change: Move,
        by: Party,
        guard: G,
    ) -> Result<(Session, Step), Error>
    where
        G: FnOnce(&Walk, &InLocale<'_, Library>) -> Result<(), WalkError>,
    {
        let mut session = Session::load(app, id).await?;
        if revision.is_some_and(|seen| seen != session.record.revision) {
            return Err(Error::Conflict);
        }
        let before = session.walk.status();
        let step = {
            let library = app.library();
            let locale = asked.choose(&library, Some(session.walk.locale()));
            if asked.lang.is_some() {
                session.walk.set_locale(&locale);
            }
            let flows = library.in_locale(&locale);
            guard(&session.walk, &flows)?;
            change.make(&mut session.walk, &flows)?
        };
        let (kind, value) = change.event();
        let mut events = vec![event(&session.record, kind, &step, value, by)];
        events.extend(outcome_event(&session.record, &step, by));
        let after = session.walk.status();
        let sent = match (before, after) {
            (b, Status::Resolved) if b != Status::Resolved => Some(EventType::Resolved),
            // The case was sent to support: it stays on record, and support is told.
            (Status::Escalated, a)
                if a != Status::Escalated && session.record.reference.is_some() =>
            {
                Some(EventType::EscalationWithdrawn)
            }
            _ => None,
        };
        let deliveries = match sent {
            Some(kind) if app.webhooks.sends(kind) => session.webhook(app, kind, false)?,
            _ => Vec::new(),
        };
        session.save_with(app, events, deliveries).await?;
        Ok((session, step))
    }

    /// Records the details support needs at an escalation and gives the session its
    /// escalation reference (kept when the details are corrected later).
    pub async fn submit_details(
        app: &App,
        id: &str,
        details: BTreeMap<String, String>,
    ) -> Result<Session, Error> {
        let mut session = Session::load(app, id).await?;
        let library = app.library();
        let locale = session.walk.locale().to_owned();
        session
            .walk
            .submit_details(&library.in_locale(&locale), details)?;
        session.record.details = session.walk.details().clone();
        let keep = session.record.reference.is_some();
        let mut attempts = 0;
        loop {
            if !keep {
                session.record.reference = Some(new_reference());
            }
            attempts += 1;
            let deliveries = match keep || !app.webhooks.sends(EventType::Escalated) {
                true => Vec::new(),
                false => session.webhook(app, EventType::Escalated, true)?,
            };
            match session.save_with(app, Vec::new(), deliveries).await {
                Err(StoreError::Duplicate(_)) if !keep && attempts < REFERENCE_ATTEMPTS => continue,
                other => break other?,
            }
        }
        Ok(session)
    }

    /// Records whether the outcome helped, once the session has reached one.
    pub async fn give_feedback(app: &App, id: &str, helpful: bool) -> Result<(), Error> {
        let mut session = Session::load(app, id).await?;
        if session.walk.status() == Status::Active {
            return Err(Error::NotFinished);
        }
        session.record.feedback = Some(helpful);
        let step = session.walk.current(app.library().as_ref())?;
        let answer = if helpful { "yes" } else { "no" };
        let helpful_event = event(
            &session.record,
            EventKind::Helpful,
            &step,
            Some(answer.to_owned()),
            Party::Customer,
        );
        let deliveries = match app.webhooks.sends(EventType::Feedback) {
            true => session.webhook(app, EventType::Feedback, false)?,
            false => Vec::new(),
        };
        session
            .save_with(app, vec![helpful_event], deliveries)
            .await?;
        Ok(())
    }

    /// Adds an agent's note at the step the session stands on.
    pub async fn add_note(app: &App, id: &str, text: &str) -> Result<Session, Error> {
        let mut session = Session::load(app, id).await?;
        let node = session.walk.current(app.library().as_ref())?.node;
        session.record.notes.push(Note {
            at: now_millis(),
            node,
            text: text.to_owned(),
        });
        session.save(app, Vec::new()).await?;
        Ok(session)
    }

    /// Stores the session as it is now with the `events` that brought it here, if nobody
    /// changed it since it was loaded.
    pub async fn save(&mut self, app: &App, events: Vec<Event>) -> Result<(), StoreError> {
        self.save_with(app, events, Vec::new()).await
    }

    /// [`Session::save`], with webhook `deliveries` put in the outbox in the same
    /// transaction, and sent once it commits.
    pub async fn save_with(
        &mut self,
        app: &App,
        events: Vec<Event>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), StoreError> {
        let expected = self.record.revision;
        let mut next = self.record.clone();
        next.revision = expected + 1;
        next.walk = to_json(&self.walk).map_err(|e| StoreError::Database(e.to_string()))?;
        next.status = self.walk.status().as_str().to_owned();
        next.updated_at = now_millis();
        let wake = !deliveries.is_empty();
        app.store
            .update_session_with(next.clone(), expected, events, deliveries)
            .await?;
        self.record = next;
        if wake {
            app.outbox.wake();
        }
        Ok(())
    }

    /// The deliveries of a webhook of `kind` about this session as it will be stored, with
    /// the transcript support reads (in the flows' own language) when `with_transcript`.
    fn webhook(
        &self,
        app: &App,
        kind: EventType,
        with_transcript: bool,
    ) -> Result<Vec<Delivery>, Error> {
        let mut record = self.record.clone();
        record.status = self.walk.status().as_str().to_owned();
        let transcript = match with_transcript {
            true => {
                let transcript = self.walk.transcript(app.library().as_ref())?;
                let markdown =
                    crate::transcript::markdown(&transcript, record.reference.as_deref(), &[]);
                Some((transcript, markdown))
            }
            false => None,
        };
        // Where support should file it: the escalation's route, while the walk stands on it.
        let route = self
            .walk
            .current(app.library().as_ref())?
            .outcome
            .and_then(|o| o.route);
        let data = webhooks::data(
            &record,
            &self.walk,
            route.as_ref(),
            transcript.as_ref().map(|(t, m)| (t, m.clone())),
        );
        Ok(app.webhooks.deliveries(kind, &record.id, data))
    }

    /// What a move that lost to another is answered with: a conflict carrying the session as
    /// it stands now, so the client can show the current step without asking again.
    pub async fn moved(app: &App, id: &str) -> Error {
        let current = async {
            let session = Session::load(app, id).await?;
            let library = app.library();
            let step = session
                .walk
                .current(&library.in_locale(session.walk.locale()))?;
            Ok::<_, Error>((session, step))
        };
        match current.await {
            Ok(now) => Error::Moved(Box::new(now)),
            Err(e) => e,
        }
    }
}

/// An event of `session`, which now stands on `step`, made by `by`.
fn event(
    session: &SessionRecord,
    kind: EventKind,
    step: &Step,
    value: Option<String>,
    by: Party,
) -> Event {
    let node = if step.flow == session.flow {
        step.node.clone()
    } else {
        format!("{}/{}", step.flow, step.node)
    };
    Event {
        session: session.id.clone(),
        flow: session.flow.clone(),
        version: session.version.clone(),
        kind,
        node,
        value,
        at: now_millis(),
        by,
    }
}

/// The outcome `step` reached, if it is one.
fn outcome_event(session: &SessionRecord, step: &Step, by: Party) -> Option<Event> {
    let outcome = step.outcome.as_ref()?;
    let kind = match outcome.kind {
        Status::Active => return None,
        Status::Resolved => EventKind::Resolved,
        Status::Escalated => EventKind::Escalated,
        Status::Done => EventKind::Done,
    };
    let mut reached = event(session, kind, step, None, by);
    // The remedy that resolved it is the node the walk stands on, named as nodes are (with
    // its flow, past a link).
    if outcome.resolved_by.is_some() {
        reached.value = Some(reached.node.clone());
    }
    Some(reached)
}

fn to_json(walk: &Walk) -> Result<String, Error> {
    serde_json::to_string(walk).map_err(|e| Error::Internal(format!("cannot store a walk: {e}")))
}

/// A new escalation reference: `SW-` and 40 random bits in Crockford's base 32, short enough
/// to read out on a call and without the letters people confuse (I, L, O, U).
pub fn new_reference() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = uuid::Uuid::new_v4();
    // The first five bytes of a v4 UUID are all random.
    let bits = random.as_bytes()[..5]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let code: String = (0..8)
        .rev()
        .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect();
    format!("SW-{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_crockford_codes() {
        let r = new_reference();
        assert_eq!(r.len(), 11, "{r}");
        assert!(r.starts_with("SW-"));
        assert!(
            r[3..]
                .chars()
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))),
            "{r}"
        );
        assert_ne!(new_reference(), r);
    }
}
