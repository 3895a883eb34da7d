//! Moves made from a page's form, for the customer's wizard and the agent console alike. A
//! form says where the session stood when it was shown; a move is made only if it still
//! stands there.

use axum::Form;
use axum::extract::rejection::FormRejection;
use serde::Deserialize;
use stepwise_app::{Asked, Error, Move, Session};
use stepwise_engine::WalkError;
use stepwise_store::Party;

use super::PageError;
use crate::serve::AppState;

/// What a form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Take the answer the form names.
    Answer,
    /// Undo the last answer.
    Back,
    /// Go back to the first step, wherever the session stands.
    Restart,
    /// Go to the node the form names (agents only).
    Jump,
}

/// An [`Action`] as a type, so that one handler serves the route of each: `post(handler::<Back>)`.
pub trait FormAction: Send + 'static {
    /// The action.
    const ACTION: Action;
}

/// Marks the route of [`Action::Answer`].
pub struct Answer;
/// Marks the route of [`Action::Back`].
pub struct Back;
/// Marks the route of [`Action::Restart`].
pub struct Restart;
/// Marks the route of [`Action::Jump`].
pub struct Jump;

impl FormAction for Answer {
    const ACTION: Action = Action::Answer;
}
impl FormAction for Back {
    const ACTION: Action = Action::Back;
}
impl FormAction for Restart {
    const ACTION: Action = Action::Restart;
}
impl FormAction for Jump {
    const ACTION: Action = Action::Jump;
}

/// Where the form was shown, and what it names.
#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    at: String,
    #[serde(default)]
    pos: usize,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    node: String,
    /// `yes` once the customer said they mean to leave an escalation they sent.
    #[serde(default)]
    confirmed: String,
}

impl MoveForm {
    /// Whether the customer confirmed leaving an escalation they had sent.
    pub fn confirmed(&self) -> bool {
        self.confirmed == "yes"
    }
}

impl Action {
    /// The form of this action, as posted. A restart needs nothing from its form, so a post
    /// without one restarts too.
    pub fn read(
        self,
        form: Result<Form<MoveForm>, FormRejection>,
    ) -> Result<MoveForm, FormRejection> {
        match (self, form) {
            (_, Ok(Form(form))) => Ok(form),
            (Action::Restart, Err(_)) => Ok(MoveForm::default()),
            (_, Err(rejection)) => Err(rejection),
        }
    }
}

/// Makes the move `form` asks for on session `id`, as `by`. A stale form (an old tab, the browser's
/// back button), a move the step does not offer, or a race with another tab leaves the
/// session as it is: the page then simply shows the current step.
pub async fn make(
    state: &AppState,
    id: &str,
    asked: &Asked,
    action: Action,
    form: MoveForm,
    by: Party,
) -> Result<(), PageError> {
    let result = match action {
        Action::Restart => {
            Session::apply_if(state, id, asked, None, Move::Restart, by, |_, _| Ok(())).await
        }
        Action::Answer | Action::Back | Action::Jump => {
            let change = match action {
                Action::Answer => Move::Answer(form.answer),
                Action::Jump => Move::Jump(form.node),
                _ => Move::Back,
            };
            let (at, pos) = (form.at, form.pos);
            Session::apply_if(state, id, asked, None, change, by, |walk, flows| {
                let here = walk.current(flows)?;
                if here.node != at || here.position != pos {
                    // Refused like a finished walk: nothing changes, and the page shows the step.
                    return Err(WalkError::Finished);
                }
                Ok(())
            })
            .await
        }
    };
    unless_stale(result.map(drop))
}

/// The one way a page refuses a stale change: the walk refusing it, a race lost to another
/// tab, or feedback before the outcome show the current step instead of an error.
pub fn unless_stale(result: Result<(), Error>) -> Result<(), PageError> {
    match result {
        Ok(()) | Err(Error::Walk(_) | Error::Conflict | Error::NotFinished) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
