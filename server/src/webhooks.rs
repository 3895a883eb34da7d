//! Webhooks on the wire: each delivery signed as the Standard Webhooks specification says
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and posted over HTTP(S). What is
//! sent, when, and how often it is retried is the application's (`stepwise_app::webhooks`).

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use standardwebhooks::{
    HEADER_WEBHOOK_ID, HEADER_WEBHOOK_SIGNATURE, HEADER_WEBHOOK_TIMESTAMP, Webhook,
};
use stepwise_app::webhooks::{Sent, Transport};
use stepwise_store::{Delivery, Ticket};

/// The most of a receiver's answer that is read: enough for a ticket's id and URL. The rest
/// is never read, however much is sent.
const MAX_ANSWER: usize = 64 * 1024;
/// The longest ticket id and URL kept from an answer.
const MAX_TICKET_ID: usize = 100;
const MAX_TICKET_URL: usize = 2000;
/// The shortest secret accepted, in bytes once decoded.
const MIN_SECRET_BYTES: usize = 16;

/// Why the webhook settings were refused at start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("webhooks need a secret: give --webhook-secret or STEPWISE_WEBHOOK_SECRET")]
    NoSecret,
    #[error(
        "the webhook secret is not `whsec_` and base64 of at least {MIN_SECRET_BYTES} bytes (e.g. `whsec_$(openssl rand -base64 32)`)"
    )]
    BadSecret,
    #[error("cannot set up the webhook client: {0}")]
    Client(String),
}

/// Signs and posts deliveries.
pub struct HttpTransport {
    client: reqwest::Client,
    signer: Webhook,
    timeout: Duration,
}

impl HttpTransport {
    /// A transport signing with `secret` (`whsec_…`), giving each attempt `timeout`.
    pub fn new(secret: &str, timeout: Duration) -> Result<HttpTransport, SetupError> {
        let encoded = secret
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SetupError::BadSecret)?;
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| SetupError::BadSecret)?;
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SetupError::BadSecret);
        }
        let signer = Webhook::from_bytes(bytes).map_err(|_| SetupError::BadSecret)?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is an answer like any other that is not 2xx: retried, never followed
            // with the customer's data to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("stepwise/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(HttpTransport {
            client,
            signer,
            timeout,
        })
    }
}

impl Transport for HttpTransport {
    async fn send(&self, delivery: &Delivery, timestamp: i64) -> Sent {
        let signature = match self
            .signer
            .sign(&delivery.id, timestamp, delivery.body.as_bytes())
        {
            Ok(signature) => signature,
            Err(e) => return Sent::NotTaken(format!("cannot sign: {e}")),
        };
        let request = self
            .client
            .post(&delivery.endpoint)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(HEADER_WEBHOOK_ID, &delivery.id)
            .header(HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
            .header(HEADER_WEBHOOK_SIGNATURE, signature)
            .body(delivery.body.clone());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Sent::NotTaken(failure(&e)),
        };
        let status = response.status();
        if !status.is_success() {
            return Sent::NotTaken(format!("HTTP {}", status.as_u16()));
        }
        let mut answer = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_ANSWER - answer.len();
                    answer.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if answer.len() >= MAX_ANSWER {
                        break;
                    }
                }
                Ok(None) => break,
                // Taken all the same: the status said so; only the ticket is lost.
                Err(_) => break,
            }
        }
        Sent::Taken(ticket(&answer))
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// What an attempt that got no answer met, for the attempt log.
fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "no answer".to_owned()
    }
}

#[derive(Deserialize)]
struct Answer {
    ticket: Option<TicketAnswer>,
}

#[derive(Deserialize)]
struct TicketAnswer {
    id: serde_json::Value,
    url: Option<String>,
}

/// The ticket a receiver's answer names (`{"ticket": {"id": …, "url": …}}`), if it names one
/// that can be shown: an id of printable characters, and an http(s) URL.
fn ticket(answer: &[u8]) -> Option<Ticket> {
    let answer: Answer = serde_json::from_slice(answer).ok()?;
    let ticket = answer.ticket?;
    let id = match ticket.id {
        serde_json::Value::String(id) => id,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_TICKET_ID || id.chars().any(char::is_control) {
        return None;
    }
    let url = ticket.url.filter(|url| {
        (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= MAX_TICKET_URL
            && !url.chars().any(|c| c.is_control() || c.is_whitespace())
    });
    Some(Ticket {
        id: id.to_owned(),
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_taken_only_when_it_can_be_shown() {
        let t = ticket(br#"{"ticket": {"id": 123, "url": "https://desk.example/t/123"}}"#);
        assert_eq!(
            t,
            Some(Ticket {
                id: "123".into(),
                url: Some("https://desk.example/t/123".into())
            })
        );
        let t = ticket(br#"{"ticket": {"id": "ABC-9", "url": "javascript:alert(1)"}}"#);
        assert_eq!(
            t,
            Some(Ticket {
                id: "ABC-9".into(),
                url: None
            })
        );
        assert_eq!(ticket(br#"{"ticket": {"id": "a\u0007b"}}"#), None);
        assert_eq!(ticket(br#"{"ok": true}"#), None);
        assert_eq!(ticket(b"not json"), None);
        let long = format!(r#"{{"ticket": {{"id": "{}"}}}}"#, "9".repeat(101));
        assert_eq!(ticket(long.as_bytes()), None);
    }

    #[test]
    fn secrets_must_be_whsec_and_long_enough() {
        assert!(
            HttpTransport::new(
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                Duration::from_secs(1)
            )
            .is_ok()
        );
        for bad in [
            "C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "whsec_c2hvcnQ=",
            "whsec_not base64!",
        ] {
            assert!(matches!(
                HttpTransport::new(bad, Duration::from_secs(1)),
                Err(SetupError::BadSecret)
            ));
        }
    }
}
