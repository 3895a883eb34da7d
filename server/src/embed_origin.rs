//! The origin a framed wizard posts its events to. The embed script tells the frame who
//! embedded it with `?embed_origin=`; the page posts there only when `--frame-ancestors` lets
//! that origin frame it, so an address typed by anyone else makes the page post nothing.

use std::fmt;

use axum::http::Uri;

/// An `http` or `https` origin as a browser serialises it (`location.origin`):
/// `scheme://host[:port]`, nothing before the host and nothing after the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// The origin written in `text`, or `None` if it is not exactly an origin.
    pub fn parse(text: &str) -> Option<Origin> {
        let uri: Uri = text.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority = uri.authority()?;
        // No user, no path, query or fragment: exactly `scheme://authority`.
        if authority.as_str().contains('@')
            || text.len() != scheme.len() + "://".len() + authority.as_str().len()
        {
            return None;
        }
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(Origin {
            scheme,
            host,
            port: authority.port_u16(),
        })
    }

    /// The port, or the scheme's own when none is written.
    fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(default_port(&self.scheme))
    }

    /// `host[:port]`, as a `Host` header names this server.
    fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// Whether the `frame-ancestors` sources (checked by
    /// [`crate::security::parse_frame_ancestors`]) let this origin frame the page. `host` is
    /// the request's `Host`, which `'self'` stands for.
    pub fn allowed_by(&self, sources: &str, host: Option<&str>) -> bool {
        sources
            .split_whitespace()
            .any(|source| self.matches(source, host))
    }

    /// One source, as CSP matches a frame's ancestor against it.
    fn matches(&self, source: &str, host: Option<&str>) -> bool {
        match source {
            "'none'" => false,
            "'self'" => host.is_some_and(|host| host.eq_ignore_ascii_case(&self.authority())),
            "*" => true,
            scheme if scheme.ends_with(':') && !scheme.contains('/') => {
                self.scheme_matches(&scheme[..scheme.len() - 1])
            }
            _ => self.host_source_matches(source),
        }
    }

    /// `http:` also allows `https` origins, as CSP does; `https:` only `https`.
    fn scheme_matches(&self, scheme: &str) -> bool {
        let scheme = scheme.to_ascii_lowercase();
        scheme == self.scheme || (scheme == "http" && self.scheme == "https")
    }

    /// `[scheme://]host[:port][/path]`, the host perhaps `*.example.com` and the port `*`.
    fn host_source_matches(&self, source: &str) -> bool {
        let rest = match source.split_once("://") {
            Some((scheme, rest)) => {
                if !self.scheme_matches(scheme) {
                    return false;
                }
                rest
            }
            None => source,
        };
        // A path in a source says nothing about an origin.
        let rest = rest.split('/').next().unwrap_or_default();
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        };
        let port_matches = match port {
            Some("*") => true,
            Some(port) => port.parse::<u16>().ok() == Some(self.port_or_default()),
            None => self.port_or_default() == default_port(&self.scheme),
        };
        let host = host.to_ascii_lowercase();
        let host_matches = match host.strip_prefix("*.") {
            Some(domain) => self
                .host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => host == self.host,
        };
        port_matches && host_matches
    }
}

fn default_port(scheme: &str) -> u16 {
    match scheme {
        "https" => 443,
        _ => 80,
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        Origin::parse(text).unwrap_or_else(|| panic!("{text} is an origin"))
    }

    #[test]
    fn only_a_bare_http_origin_parses() {
        assert_eq!(
            origin("https://Help.Example.com").to_string(),
            "https://help.example.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8000").to_string(),
            "http://127.0.0.1:8000"
        );
        for bad in [
            "",
            "null",
            "help.example.com",
            "https://help.example.com/",
            "https://help.example.com/path",
            "https://help.example.com?x=1",
            "https://user@help.example.com",
            "javascript://help.example.com",
            "file:///etc/passwd",
            "https://",
        ] {
            assert!(Origin::parse(bad).is_none(), "{bad:?} parsed");
        }
    }

    #[test]
    fn origins_are_matched_as_csp_matches_frame_ancestors() {
        let help = origin("https://help.example.com");
        assert!(help.allowed_by("'self' https://help.example.com", None));
        assert!(help.allowed_by("help.example.com", None));
        assert!(help.allowed_by("https://*.example.com", None));
        assert!(!origin("https://example.com").allowed_by("https://*.example.com", None));
        assert!(help.allowed_by("https:", None));
        assert!(help.allowed_by("http://help.example.com", None));
        assert!(!origin("http://help.example.com").allowed_by("https://help.example.com", None));
        assert!(help.allowed_by("https://help.example.com:443/some/path", None));
        assert!(!help.allowed_by("https://help.example.com:8443", None));
        assert!(
            origin("https://help.example.com:8443").allowed_by("https://help.example.com:*", None)
        );
        assert!(!help.allowed_by("'none'", None));
        assert!(!help.allowed_by("'self'", None));
        assert!(!help.allowed_by("https://evil-help.example.com", None));
        assert!(
            !origin("https://help.example.com.evil.net")
                .allowed_by("https://help.example.com", None)
        );
        assert!(help.allowed_by("*", None));

        let local = origin("http://127.0.0.1:8080");
        assert!(local.allowed_by("'self'", Some("127.0.0.1:8080")));
        assert!(!local.allowed_by("'self'", Some("127.0.0.1:8081")));
        assert!(!local.allowed_by("http://127.0.0.1", None));
    }
}
