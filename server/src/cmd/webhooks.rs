//! `stepwise webhooks list|retry`: the webhook outbox as an operator reads it, from the store.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Subcommand;
use stepwise_app::clock;
use stepwise_store::{DeliveryStatus, Store, StoreConfig, now_millis};

use super::output;
use super::store::with_store;

/// Arguments of `stepwise webhooks`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Deliveries are kept in the server's store until they are delivered, and after. One that
failed for a day of retries is `failed` and stays so until it is retried: the next server
attempt sends it, with the same webhook-id, so a receiver can drop a repeat.

Examples:
  stepwise webhooks list --status failed
  stepwise webhooks retry msg_2b1f… --store postgres://stepwise@db/stepwise")]
pub struct Args {
    #[command(subcommand)]
    command: Action,
    /// The store the server keeps its sessions in.
    #[arg(
        long,
        value_name = "URL",
        default_value = "sqlite://stepwise.db",
        global = true
    )]
    store: StoreConfig,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List deliveries, newest first.
    List {
        /// Only those pending, delivered or failed.
        #[arg(long, value_parser = parse_status)]
        status: Option<DeliveryStatus>,
        /// How many to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the deliveries as JSON lines, with their attempts.
        #[arg(long)]
        json: bool,
    },
    /// Send a failed delivery again (or a pending one now).
    Retry {
        /// The delivery's id (its webhook-id, `msg_…`).
        id: String,
    },
}

fn parse_status(name: &str) -> Result<DeliveryStatus, String> {
    DeliveryStatus::parse(name)
        .ok_or_else(|| format!("`{name}` is not a status; expected pending, delivered or failed"))
}

/// Lists or retries, or says why it cannot.
pub fn run(args: &Args) -> ExitCode {
    let result = with_store(&args.store, |store| async move {
        match &args.command {
            Action::List {
                status,
                limit,
                json,
            } => list(store.as_ref(), *status, *limit, *json).await,
            Action::Retry { id } => retry(store.as_ref(), id).await,
        }
    });
    match result {
        Ok(text) => {
            output::print(&text);
            ExitCode::SUCCESS
        }
        Err(e) => output::fail(&e),
    }
}

async fn list(
    store: &dyn Store,
    status: Option<DeliveryStatus>,
    limit: usize,
    json: bool,
) -> Result<String, String> {
    let deliveries = store
        .deliveries(status, limit)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    for d in &deliveries {
        if json {
            let attempts = store.attempts(&d.id).await.map_err(|e| e.to_string())?;
            let line = serde_json::json!({
                "id": d.id,
                "type": d.kind,
                "session": d.session,
                "endpoint": d.endpoint,
                "status": d.status.as_str(),
                "created_at": clock::rfc3339(d.created_at),
                "next_attempt_at": (d.status == DeliveryStatus::Pending)
                    .then(|| clock::rfc3339(d.next_attempt_at)),
                "last_error": d.last_error,
                "ticket": d.ticket.as_ref().map(|t| serde_json::json!({"id": t.id, "url": t.url})),
                "attempts": attempts.iter().map(|a| serde_json::json!({
                    "at": clock::rfc3339(a.at), "outcome": a.outcome, "took_ms": a.took_ms,
                })).collect::<Vec<_>>(),
            });
            let _ = writeln!(out, "{line}");
        } else {
            let outcome = match (&d.ticket, &d.last_error) {
                (Some(ticket), _) => format!("ticket {}", ticket.id),
                (None, Some(error)) => error.clone(),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "{}  {:<9}  {:<28}  {}  attempts {}  {}  {}",
                d.id,
                d.status.as_str(),
                d.kind,
                clock::rfc3339(d.created_at),
                d.attempts,
                d.endpoint,
                outcome
            );
        }
    }
    if deliveries.is_empty() && !json {
        out.push_str("no deliveries\n");
    }
    Ok(out)
}

async fn retry(store: &dyn Store, id: &str) -> Result<String, String> {
    match store.retry_delivery(id, now_millis()).await {
        Ok(true) => Ok(format!(
            "{id} will be sent again by the next server attempt\n"
        )),
        Ok(false) => Err(format!(
            "no delivery `{id}` waits to be sent (it is unknown, or already delivered)"
        )),
        Err(e) => Err(e.to_string()),
    }
}
