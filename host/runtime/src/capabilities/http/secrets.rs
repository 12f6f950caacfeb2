//! Secrets in request headers: `{{secret:NAME}}` is filled in by the host, only for an
//! origin the secret is bound to (`[grant.secrets.NAME] origins`), and what comes back must
//! be plain so the [`Redactor`](super::Redactor) can cut the value out of it.
//!
//! A server that echoes its request compressed (the robot chose `Accept-Encoding: gzip`)
//! would carry the value past a literal redactor: when a secret is sent, the host asks for
//! `identity` itself, and withholds an answer that is encoded all the same.

use pont_policy::{Action, Origin, Permit, SecretSink};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, HeaderMap, HeaderValue};

use super::{Caller, HttpFailure};

/// Replaces the robot's `Accept-Encoding` (if any) by `identity`.
pub(super) fn plain_answer_only(headers: &mut HeaderMap) {
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
}

impl Caller {
    /// Replace each `{{secret:NAME}}` by the secret's value, each use through the gate with
    /// the origin it goes to; the values go to `used` (for redaction), the gate's permits to
    /// `permits` (for the send).
    pub(super) fn fill_secrets(
        &self,
        value: &str,
        origin: &Origin,
        used: &mut Vec<String>,
        permits: &mut Vec<Permit>,
    ) -> Result<String, HttpFailure> {
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("{{secret:") {
            let after = &rest[start + "{{secret:".len()..];
            let Some(end) = after.find("}}") else {
                return Err(HttpFailure::Invalid(
                    "unterminated `{{secret:` reference in a header".into(),
                ));
            };
            let name = after[..end].trim();
            out.push_str(&rest[..start]);
            let (secret, permit) = self.secret(name, origin)?;
            out.push_str(&secret);
            used.push(secret);
            permits.push(permit);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn secret(&self, name: &str, origin: &Origin) -> Result<(String, Permit), HttpFailure> {
        let action = Action::SecretUse {
            name,
            sink: SecretSink::Http(origin),
        };
        let permit = self
            .run
            .gate
            .authorize(self.item, &action)
            .map_err(|d| HttpFailure::Denied(d.reason))?;
        let source = self
            .run
            .gate
            .policy()
            .secrets
            .get(name)
            .map(|g| g.source.clone())
            .ok_or_else(|| HttpFailure::Denied(format!("not granted: secret `{name}`")))?;
        let value = crate::capabilities::ds::read_secret(&source)
            .map_err(|e| HttpFailure::Unavailable(format!("secret `{name}`: {e}")))?;
        Ok((value, permit))
    }

    /// Refuses (and audits) an answer to a request that carried a secret when the server
    /// encoded it although the host asked for `identity`.
    pub(super) fn refuse_encoded(
        &self,
        action: &Action<'_>,
        response: &reqwest::Response,
    ) -> Result<(), HttpFailure> {
        let encoding = response
            .headers()
            .get_all(CONTENT_ENCODING)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .trim()
                    .to_ascii_lowercase()
            })
            .find(|e| !e.is_empty() && e != "identity");
        let Some(encoding) = encoding else {
            return Ok(());
        };
        let shown: String = encoding.chars().take(40).collect();
        let why = format!(
            "the answer to a request carrying a secret is `{shown}`-encoded although the host \
             asked for identity; it is withheld so the secret cannot come back unredacted"
        );
        Err(HttpFailure::Denied(
            self.run.gate.refuse(self.item, action, why).reason,
        ))
    }
}
