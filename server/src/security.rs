//! Security headers on every response: a Content-Security-Policy that allows no inline
//! script, `nosniff`, no referrer (session ids live in page URLs), and `frame-ancestors`
//! from the settings so the wizard can be embedded where the site owner says (and the agent
//! console, in a helpdesk's sidebar, only where `--console-frame-ancestors` says).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::serve::{AppState, Settings};

/// Who may show a page in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing<'a> {
    /// The sources given with `--frame-ancestors` (customer pages).
    Allowed(&'a str),
    /// Nobody: the agent console, unless `--console-frame-ancestors` names who may.
    Never,
}

/// The `frame-ancestors` sources used when none are configured: the site itself.
pub const DEFAULT_FRAME_ANCESTORS: &str = "'self'";

/// The Content-Security-Policy of a page. `inline_styles` are the exact texts of the page's
/// `<style>` elements, allowed by hash; script is only ever loaded from this origin, and
/// images from other sites only with `remote_images` (whoever serves an image sees who
/// reads the page).
pub fn content_security_policy(
    framing: Framing<'_>,
    inline_styles: &[&str],
    remote_images: bool,
) -> String {
    let mut style = String::from("'self'");
    for text in inline_styles {
        style.push_str(&format!(
            " 'sha256-{}'",
            STANDARD.encode(Sha256::digest(text))
        ));
    }
    let ancestors = match framing {
        Framing::Allowed(sources) => sources,
        Framing::Never => "'none'",
    };
    let images = match remote_images {
        true => "'self' https: data:",
        false => "'self' data:",
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src {style}; img-src {images}; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// Checks a `--frame-ancestors` value: space-separated CSP sources such as `'self'` or
/// `https://help.example.com`, nothing that could end the directive or the header.
pub fn parse_frame_ancestors(value: &str) -> Result<String, String> {
    let sources: Vec<&str> = value.split_whitespace().collect();
    if sources.is_empty() {
        return Err("give at least one source, e.g. 'self' or 'none'".to_owned());
    }
    for source in &sources {
        let keyword = matches!(*source, "'self'" | "'none'");
        let host = !source.starts_with('\'')
            && source
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:/*".contains(c));
        if !keyword && !host {
            return Err(format!(
                "`{source}` is not a frame-ancestors source; use 'self', 'none' or an origin \
                 such as https://help.example.com"
            ));
        }
    }
    if sources.len() > 1 && sources.contains(&"'none'") {
        return Err("'none' cannot be combined with other sources".to_owned());
    }
    Ok(sources.join(" "))
}

/// Adds the security headers to every response. A response that set its own policy (a page
/// with an inline style allowed by hash) keeps it.
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let console = is_console(request.uri().path());
    let mut response = next.run(request).await;
    let framing = match console {
        true => console_framing(&state.settings),
        false => Framing::Allowed(&state.settings.frame_ancestors),
    };
    set_defaults(
        response.headers_mut(),
        framing,
        state.settings.allow_remote_images,
    );
    response
}

/// Who may frame the agent console: nobody, or the helpdesk sidebars named by
/// `--console-frame-ancestors`.
pub fn console_framing(settings: &Settings) -> Framing<'_> {
    match &settings.console_frame_ancestors {
        Some(sources) => Framing::Allowed(sources),
        None => Framing::Never,
    }
}

fn set_defaults(headers: &mut HeaderMap, framing: Framing<'_>, remote_images: bool) {
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(policy) =
            HeaderValue::from_str(&content_security_policy(framing, &[], remote_images))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    // Pages and replies carry a customer's answers and details: no cache, shared or the
    // browser's, keeps them. Only the built-in assets say otherwise.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if framing == Framing::Never {
        // For browsers that predate frame-ancestors.
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}

/// Whether a path belongs to the agent console or the agent's API.
fn is_console(path: &str) -> bool {
    path == "/agent" || path.starts_with("/agent/") || path.starts_with("/api/v1/agent/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_style_is_allowed_by_its_sha256() {
        // The hash of "a{}" as `openssl dgst -sha256 -binary | base64` gives it.
        let policy = content_security_policy(Framing::Never, &["a{}"], false);
        assert!(
            policy
                .contains("style-src 'self' 'sha256-X1RutGBrXCt9KkSaXMK7tHftWiRscFHOhxsS8tv8hBk='"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
    }

    #[test]
    fn frame_ancestors_take_keywords_and_origins_only() {
        assert_eq!(parse_frame_ancestors("'self'").unwrap(), "'self'");
        assert_eq!(
            parse_frame_ancestors(" 'self'  https://help.example.com ").unwrap(),
            "'self' https://help.example.com"
        );
        assert!(parse_frame_ancestors("").is_err());
        assert!(parse_frame_ancestors("'none' 'self'").is_err());
        assert!(parse_frame_ancestors("'self'; script-src *").is_err());
        assert!(parse_frame_ancestors("'unsafe-inline'").is_err());
        assert!(parse_frame_ancestors("https://a.example,\"x").is_err());
    }
}
