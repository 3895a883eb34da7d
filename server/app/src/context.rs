//! Facts a site gives when it opens a flow. A link may carry plain ones (`?fact.NAME=VALUE`):
//! only a declared input with declared values is taken, and only one of those values;
//! anything else is ignored and logged. Facts that must not be forged come in a context
//! token the site signs with a shared secret: a JWT, HS256 only, with `exp` required. An
//! input marked `signed: true` is taken from such a token and never as a plain fact.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::signature::{self, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Validation};
use serde::Deserialize;
use stepwise_engine::{Input, inputs_of, nfc};

use crate::App;
use crate::error::Error;

/// The shortest secret accepted, in bytes: what HS256 needs to be as strong as its hash.
pub const MIN_SECRET_LEN: usize = 32;
/// The longest token read, in bytes; a site's few facts fit many times over.
pub const MAX_TOKEN_LEN: usize = 4096;
/// How far a token's `exp` may lie behind this server's clock, for clocks that disagree.
pub const LEEWAY_SECS: u64 = 5;
/// How much of a name or value an ignored fact's log line shows.
const SHOWN_CHARS: usize = 40;

/// What a site offers when it opens a flow: facts from a link or a form, and a context
/// token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offered {
    /// Plain facts, as given.
    pub facts: Vec<(String, String)>,
    /// A signed context token, as given.
    pub token: Option<String>,
}

/// Why a context token, or a fact that needs one, was refused. Nothing is changed by it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// A token was given to a server that has no secret to check it with.
    #[error("this server takes no context tokens (it has no `--context-secret`)")]
    NotAccepted,
    /// Not a JWT at all: not three base64url parts of JSON, or too long.
    #[error("the context token is malformed: {0}")]
    Malformed(String),
    /// Its `exp` has passed.
    #[error("the context token has expired; ask the site for a new link")]
    Expired,
    /// Signed with another key or algorithm, without `exp`, or for another flow.
    #[error("the context token is not valid: {0}")]
    Invalid(String),
    /// A signed input was given as a plain fact.
    #[error("the fact `{0}` must come in a signed context token, not as a plain fact")]
    Unsigned(String),
}

/// The secret context tokens are checked with (`--context-secret`).
#[derive(Clone)]
pub struct ContextKey {
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
}

impl fmt::Debug for ContextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        f.write_str("ContextKey(..)")
    }
}

/// The cryptography jsonwebtoken checks tokens with: HS256 on ring and nothing else. Its
/// own providers bring RSA and elliptic curves we never take, or C code under a licence
/// `deny.toml` does not allow.
static HS256_ON_RING: CryptoProvider = CryptoProvider {
    signer_factory: never_signs,
    verifier_factory: hs256_verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// stepwise checks tokens; the site makes them.
fn never_signs(_: &Algorithm, _: &EncodingKey) -> jsonwebtoken::errors::Result<Box<dyn JwtSigner>> {
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn hs256_verifier(
    algorithm: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::HS256 || key.family() != AlgorithmFamily::Hmac {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let secret = key.try_get_as_bytes()?;
    Ok(Box::new(Hs256(ring::hmac::Key::new(
        ring::hmac::HMAC_SHA256,
        secret,
    ))))
}

/// An HS256 key; ring compares signatures in constant time.
struct Hs256(ring::hmac::Key);

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> Result<(), signature::Error> {
        ring::hmac::verify(&self.0, message, tag).map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

/// What a context token says, beyond what the JWT library checks.
#[derive(Deserialize)]
struct Claims {
    /// Checked by jsonwebtoken; read here too, so an `exp` that is not a number is refused
    /// whatever the library makes of it.
    #[serde(rename = "exp")]
    _exp: u64,
    /// The flow the token is for; any when absent.
    #[serde(default)]
    flow: Option<String>,
    #[serde(default)]
    facts: BTreeMap<String, String>,
}

impl ContextKey {
    /// The key of `secret`, refused when it is shorter than [`MIN_SECRET_LEN`] bytes.
    pub fn new(secret: &str) -> Result<ContextKey, String> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the context secret must be at least {MIN_SECRET_LEN} bytes long, not {}; \
                 make one with `openssl rand -hex 32`",
                secret.len()
            ));
        }
        // Refused only if another provider was installed first; ours is then not needed.
        let _ = HS256_ON_RING.install_default();
        // HS256 alone: a token naming another algorithm (`none`, HS512, RS256) is refused
        // before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        validation.validate_aud = false;
        validation.leeway = LEEWAY_SECS;
        let key = DecodingKey::from_secret(secret.as_bytes())
            .map_err(|e| format!("the context secret cannot be used: {e}"))?;
        Ok(ContextKey {
            key: Arc::new(key),
            validation: Arc::new(validation),
        })
    }

    /// The facts of a token for the flow `flow`, once its signature, algorithm and expiry
    /// are checked.
    fn verify(&self, token: &str, flow: &str) -> Result<BTreeMap<String, String>, ContextError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN_LEN {
            return Err(ContextError::Malformed(format!(
                "it is longer than {MAX_TOKEN_LEN} bytes"
            )));
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| refusal(token, e.kind()))?
            .claims;
        if let Some(meant) = &claims.flow
            && nfc(meant) != nfc(flow)
        {
            return Err(ContextError::Invalid(format!(
                "it is for another flow, `{}`",
                shown(meant)
            )));
        }
        Ok(claims.facts)
    }
}

/// Why the JWT library refused a token, in our terms.
fn refusal(token: &str, kind: &ErrorKind) -> ContextError {
    match kind {
        ErrorKind::ExpiredSignature => ContextError::Expired,
        ErrorKind::InvalidSignature => ContextError::Invalid(
            "its signature does not match; it was changed or signed with another secret".into(),
        ),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            ContextError::Invalid("it must be signed with HS256".into())
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            ContextError::Invalid(format!("it has no `{claim}`"))
        }
        ErrorKind::ImmatureSignature => ContextError::Invalid("it is not valid yet (`nbf`)".into()),
        // A header the library cannot read, but that names an algorithm: `none`, or one
        // it does not know. A forgery, not a typo.
        ErrorKind::Json(_) if names_an_algorithm(token) => {
            ContextError::Invalid("it must be signed with HS256".into())
        }
        ErrorKind::Json(_) => {
            ContextError::Malformed("its header or claims are not the JSON a JWT holds".into())
        }
        _ => ContextError::Malformed("it is not a JWT (three base64url parts)".into()),
    }
}

/// Whether the header of `token` is JSON with an `alg`.
fn names_an_algorithm(token: &str) -> bool {
    use base64::Engine;
    let header = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|header| header.get("alg").is_some_and(serde_json::Value::is_string))
}

/// A link checked before a session starts from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// What a start form keeps of the link: the facts taken, and the token.
    pub kept: Offered,
    /// The facts the token gives, checked.
    pub signed: BTreeMap<String, String>,
}

/// What a link offers, checked: the facts taken, and the token's if it checks out. Ignored
/// facts are logged; a refused token or a signed input given plainly is an error, so the
/// customer is told the link is not valid.
pub fn check_link(app: &App, flow: &str, offered: &Offered) -> Result<Checked, Error> {
    let inputs = declared(app, flow)?;
    let facts = taken_from_link(flow, &inputs, &offered.facts)?;
    let signed = match &offered.token {
        Some(token) => signed_facts(app, flow, &inputs, token)?,
        None => BTreeMap::new(),
    };
    Ok(Checked {
        kept: Offered {
            facts: facts.into_iter().collect(),
            token: offered.token.clone(),
        },
        signed,
    })
}

/// The facts a session on `flow` starts with, from a link or a start form: the link's facts
/// as [`check_link`] takes them, then the token's.
pub fn from_link(
    app: &App,
    flow: &str,
    offered: &Offered,
) -> Result<BTreeMap<String, String>, Error> {
    let inputs = declared(app, flow)?;
    let mut facts = taken_from_link(flow, &inputs, &offered.facts)?;
    if let Some(token) = &offered.token {
        facts.extend(signed_facts(app, flow, &inputs, token)?);
    }
    Ok(facts)
}

/// The facts a session on `flow` starts with, from the API: every plain fact is kept (the
/// walk refuses one it does not take), a signed input given plainly is refused, and the
/// token's facts are added.
pub fn from_api(
    app: &App,
    flow: &str,
    facts: BTreeMap<String, String>,
    token: Option<&str>,
) -> Result<BTreeMap<String, String>, Error> {
    let inputs = declared(app, flow)?;
    if let Some(name) = facts
        .keys()
        .find(|name| inputs.get(nfc(name).as_ref()).is_some_and(|i| i.signed))
    {
        return Err(ContextError::Unsigned(shown(name)).into());
    }
    let mut facts = facts;
    if let Some(token) = token {
        facts.extend(signed_facts(app, flow, &inputs, token)?);
    }
    Ok(facts)
}

/// The inputs a session on `flow` may be given.
fn declared(app: &App, flow: &str) -> Result<BTreeMap<String, Input>, Error> {
    inputs_of(app.library().as_ref(), flow)
        .ok_or_else(|| stepwise_engine::WalkError::UnknownFlow(flow.to_owned()).into())
}

/// The link's facts that are declared inputs with declared values, each with one of them.
fn taken_from_link(
    flow: &str,
    inputs: &BTreeMap<String, Input>,
    offered: &[(String, String)],
) -> Result<BTreeMap<String, String>, Error> {
    let mut taken = BTreeMap::new();
    for (name, value) in offered {
        let name = nfc(name);
        let value = nfc(value);
        let ignored = match inputs.get(name.as_ref()) {
            Some(input) if input.signed => {
                return Err(ContextError::Unsigned(shown(&name)).into());
            }
            None => "the flow takes no such input",
            Some(input) if input.values.is_empty() => {
                "the input declares no values, so a link cannot give it"
            }
            Some(input) if !input.takes(&value) => "the input does not take this value",
            Some(_) if taken.contains_key(name.as_ref()) => "the link gives the fact twice",
            Some(_) => {
                taken.insert(name.into_owned(), value.into_owned());
                continue;
            }
        };
        tracing::info!(
            flow = %shown(flow),
            fact = %shown(&name),
            value = %shown(&value),
            why = ignored,
            "a fact the link offered was ignored"
        );
    }
    Ok(taken)
}

/// The facts of `token`, each a declared input with a declared value.
fn signed_facts(
    app: &App,
    flow: &str,
    inputs: &BTreeMap<String, Input>,
    token: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let key = app.context_key().ok_or(ContextError::NotAccepted)?;
    let mut facts = BTreeMap::new();
    for (name, value) in key.verify(token, flow)? {
        let name = nfc(&name).into_owned();
        let value = nfc(&value).into_owned();
        match inputs.get(&name) {
            None => {
                return Err(ContextError::Invalid(format!(
                    "it gives `{}`, which this flow does not take",
                    shown(&name)
                ))
                .into());
            }
            Some(input) if !input.takes(&value) => {
                return Err(ContextError::Invalid(format!(
                    "it gives `{}` a value this flow does not take",
                    shown(&name)
                ))
                .into());
            }
            Some(_) => {
                facts.insert(name, value);
            }
        }
    }
    Ok(facts)
}

/// Text from a request as a log line or a message may show it: cut short, with control
/// characters escaped.
fn shown(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        let escaped: Vec<char> = match c.is_control() {
            true => c.escape_default().collect(),
            false => vec![c],
        };
        if count + escaped.len() > SHOWN_CHARS {
            out.push('…');
            break;
        }
        count += escaped.len();
        out.extend(escaped);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_text_is_cut_short_and_has_no_control_characters() {
        let shown = shown(&format!("a\nb\u{1b}[31m{}", "x".repeat(100)));
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert!(shown.starts_with("a\\nb\\u{1b}[31m"), "{shown}");
        assert!(shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= SHOWN_CHARS + 1, "{shown}");
        assert_eq!(super::shown("kyc"), "kyc");
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(ContextKey::new("short").is_err());
        assert!(ContextKey::new(&"k".repeat(MIN_SECRET_LEN)).is_ok());
    }
}
