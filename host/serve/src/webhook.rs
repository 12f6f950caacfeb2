//! Signed webhooks in the Standard Webhooks shape: headers `webhook-id`,
//! `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64>`,
//! several separated by spaces while a secret is being rotated), the
//! signature an HMAC-SHA256 over `id.timestamp.body`. A call is refused when
//! unsigned, badly signed, stale (its timestamp more than the tolerance away
//! from now) or replayed (its id already seen within the tolerance window).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Ids remembered at most: past it (a flood of validly signed calls, so from
/// someone holding the secret) new calls are refused rather than letting an
/// id within the window be forgotten.
const MAX_IDS: usize = 100_000;
/// Longest id kept.
const MAX_ID_LEN: usize = 256;

/// Why a webhook call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unsigned,
    BadSignature,
    Stale,
    Replayed,
    /// The replay memory is full.
    Busy,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::BadSignature => "bad-signature",
            Self::Stale => "stale",
            Self::Replayed => "replayed",
            Self::Busy => "busy",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Unsigned => {
                "unsigned: webhook-id, webhook-timestamp and webhook-signature are required"
            }
            Self::BadSignature => "the signature does not match",
            Self::Stale => "the timestamp is too far from now",
            Self::Replayed => "this webhook-id was already received",
            Self::Busy => "too many webhooks in the tolerance window",
        }
    }
}

/// The HMAC key: a `whsec_` secret is base64 after its prefix, as Standard
/// Webhooks hands it out; any other secret is used as its bytes.
pub fn key_from_secret(secret: &str) -> Result<Vec<u8>, String> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("a `whsec_` secret must be base64 after the prefix: {e}")),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Check the signature and the timestamp; returns the call's id.
pub fn verify(
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<String, Refusal> {
    let (Some(id), Some(ts), Some(sigs)) = (
        header(headers, "webhook-id"),
        header(headers, "webhook-timestamp"),
        header(headers, "webhook-signature"),
    ) else {
        return Err(Refusal::Unsigned);
    };
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Refusal::Unsigned);
    }
    let ts: i64 = ts.trim().parse().map_err(|_| Refusal::Unsigned)?;
    if now.abs_diff(ts) > tolerance.as_secs() {
        return Err(Refusal::Stale);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| Refusal::BadSignature)?;
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let signed = sigs.split(' ').filter_map(|s| s.strip_prefix("v1,"));
    for sig in signed {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(sig) else {
            continue;
        };
        // verify_slice compares in constant time.
        if mac.clone().verify_slice(&bytes).is_ok() {
            return Ok(id.to_string());
        }
    }
    Err(Refusal::BadSignature)
}

/// The signature header value for `body` (the tests and the README's
/// example sign with it).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("v1,{sig}")
}

/// The ids seen within the tolerance window.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    seen: HashMap<String, i64>,
    order: VecDeque<(i64, String)>,
}

impl ReplayGuard {
    /// Remember `id` (seen at `now`); refused when it was seen already.
    pub fn admit(&mut self, id: &str, now: i64, tolerance: Duration) -> Result<(), Refusal> {
        self.forget_before(now.saturating_sub(2 * tolerance.as_secs() as i64));
        if self.seen.contains_key(id) {
            return Err(Refusal::Replayed);
        }
        if self.seen.len() >= MAX_IDS {
            return Err(Refusal::Busy);
        }
        self.seen.insert(id.to_string(), now);
        self.order.push_back((now, id.to_string()));
        Ok(())
    }

    /// Ids older than `cutoff` cannot come back: their timestamp would be
    /// stale by now.
    fn forget_before(&mut self, cutoff: i64) {
        while let Some((at, _)) = self.order.front() {
            if *at >= cutoff {
                break;
            }
            if let Some((_, id)) = self.order.pop_front() {
                self.seen.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: Duration = Duration::from_secs(300);

    fn headers(id: &str, ts: i64, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", sig.parse().unwrap());
        h
    }

    #[test]
    fn a_signed_fresh_call_passes_and_a_tampered_one_does_not() {
        let key = key_from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"dossier":1}"#;
        let sig = sign(&key, "msg_1", 1000, body);
        let h = headers("msg_1", 1000, &format!("v1,AAAA {sig}"));
        assert_eq!(verify(&key, &h, body, 1010, TOL), Ok("msg_1".into()));
        assert_eq!(
            verify(&key, &h, b"{\"dossier\":2}", 1010, TOL),
            Err(Refusal::BadSignature)
        );
        assert_eq!(verify(&key, &h, body, 1400, TOL), Err(Refusal::Stale));
        assert_eq!(
            verify(&key, &HeaderMap::new(), body, 1000, TOL),
            Err(Refusal::Unsigned)
        );
    }

    #[test]
    fn an_id_is_refused_the_second_time_and_forgotten_when_it_cannot_come_back() {
        let mut guard = ReplayGuard::default();
        assert_eq!(guard.admit("a", 1000, TOL), Ok(()));
        assert_eq!(guard.admit("a", 1001, TOL), Err(Refusal::Replayed));
        assert_eq!(guard.admit("b", 1700, TOL), Ok(()));
        assert_eq!(
            guard.admit("a", 1700, TOL),
            Ok(()),
            "forgotten past 2×tolerance"
        );
    }
}
