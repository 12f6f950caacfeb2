//! Origins (`scheme://host:port`), the unit the operator grants and the proxy enforces, and the
//! caller-supplied policy deciding which origins a session may reach.

use std::collections::HashSet;
use std::fmt;

use crate::error::{BrowserError, Result};

/// A web origin with an explicit port, so `http://a` and `http://a:80` compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower-cased host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of an absolute `http`/`https` URL. Other schemes are refused, because the
    /// proxy only ever sees these two and a grant on anything else would be meaningless.
    pub fn from_url(url: &str) -> Result<Origin> {
        let parsed = url::Url::parse(url).map_err(|e| BrowserError::InvalidUrl(e.to_string()))?;
        let scheme = parsed.scheme().to_owned();
        if scheme != "http" && scheme != "https" {
            return Err(BrowserError::InvalidUrl(format!(
                "scheme {scheme} not allowed"
            )));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(BrowserError::InvalidUrl("no host".into())),
        };
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| BrowserError::InvalidUrl("no port".into()))?;
        Ok(Origin { scheme, host, port })
    }

    /// The origin of a `CONNECT host:port` target, which is always https for a browser.
    pub fn from_authority(scheme: &str, authority: &str) -> Result<Origin> {
        Origin::from_url(&format!("{scheme}://{authority}/"))
    }

    /// Whether this is `granted`, the origin a gate's permit names.
    pub fn is(&self, granted: &pont_policy::Origin) -> bool {
        self.scheme == granted.scheme()
            && self.host == granted.host()
            && self.port == granted.port()
    }

    /// `host:port` as used to dial the upstream.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Whether the host is one of Chromium's own service domains: denials of those are the
    /// browser's background chatter, not something a page or robot tried. Debian's Chromium
    /// uses DuckDuckGo as its search engine and fetches its start page on its own.
    pub fn is_browser_background(&self) -> bool {
        const SUFFIXES: [&str; 9] = [
            "duckduckgo.com",
            "google.com",
            "googleapis.com",
            "gstatic.com",
            "gvt1.com",
            "gvt2.com",
            "googleusercontent.com",
            "chrome.com",
            "chromium.org",
        ];
        SUFFIXES
            .iter()
            .any(|s| self.host == *s || self.host.ends_with(&format!(".{s}")))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority())
    }
}

/// The answer of an [`OriginPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// Decides, per origin, whether a session's browser may reach it. The host plugs its policy
/// gate in here, so the proxy never holds its own notion of what is granted.
pub trait OriginPolicy: Send + Sync {
    fn decide(&self, origin: &Origin) -> Decision;

    /// Counts `bytes` the proxy is about to send to `origin` (an allowed one), or refuses them
    /// with a reason, in which case none of them is sent. Called for each request (head and
    /// body) and each chunk of a tunnel, so an origin's byte budget is enforced as the browser
    /// sends rather than counted afterwards. The default has no budget.
    fn charge(&self, origin: &Origin, bytes: u64) -> std::result::Result<(), String> {
        let _ = (origin, bytes);
        Ok(())
    }
}

impl<F> OriginPolicy for F
where
    F: Fn(&Origin) -> Decision + Send + Sync,
{
    fn decide(&self, origin: &Origin) -> Decision {
        self(origin)
    }
}

/// A fixed set of allowed origins; everything else is denied.
#[derive(Debug, Clone, Default)]
pub struct AllowList(pub HashSet<Origin>);

impl AllowList {
    /// Builds the list from URLs or bare origins (`http://127.0.0.1:8080`).
    pub fn from_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> Result<AllowList> {
        let set = urls
            .into_iter()
            .map(Origin::from_url)
            .collect::<Result<HashSet<_>>>()?;
        Ok(AllowList(set))
    }
}

impl OriginPolicy for AllowList {
    fn decide(&self, origin: &Origin) -> Decision {
        if self.0.contains(origin) {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_and_case() {
        let a = Origin::from_url("http://Example.org/x?y").unwrap_or_else(|e| panic!("{e}"));
        let b = Origin::from_url("http://example.org:80").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "http://example.org:80");
        let c =
            Origin::from_authority("https", "example.org:443").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.to_string(), "https://example.org:443");
        assert!(Origin::from_url("file:///etc/passwd").is_err());
        assert!(Origin::from_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn ipv6_authority_and_background() {
        let o = Origin::from_url("http://[::1]:8080/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.authority(), "[::1]:8080");
        let g = Origin::from_authority("https", "update.googleapis.com:443")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(g.is_browser_background());
        assert!(!o.is_browser_background());
        let d = Origin::from_authority("https", "start.duckduckgo.com:443")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(d.is_browser_background());
        let lookalike = Origin::from_authority("https", "notduckduckgo.com:443")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!lookalike.is_browser_background());
    }
}
