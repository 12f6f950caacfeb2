//! The one place a request leaves: under the gate's permits for it, checked against what is
//! about to be sent. The request's permit must name its origin and the very bytes it puts on
//! the wire (so what was charged is what is sent), and each secret its headers carry needs
//! the permit for that secret toward that origin, as an HTTP header. A permit for anything
//! else is refused with one line, and nothing is sent.

use pont_policy::{Origin, Permit, Scope};
use reqwest::header::HeaderMap;

use super::{Caller, HttpFailure, Outgoing, wire};

impl Caller {
    /// Sends `out` with `headers` (secrets filled in) under `permit` and `secrets`. The outer
    /// error is a refused permit (nothing sent), the inner one the transport's.
    pub(super) async fn send(
        &self,
        permit: &Permit,
        secrets: &[Permit],
        out: &Outgoing,
        headers: HeaderMap,
    ) -> Result<Result<reqwest::Response, reqwest::Error>, HttpFailure> {
        covered(permit, secrets, out, &headers)?;
        let request = self
            .run
            .http
            .client
            .request(out.method.clone(), out.url.clone());
        Ok(request.headers(headers).body(out.body.clone()).send().await)
    }
}

/// Whether `permit` and `secrets` cover sending `out` with `headers`, or why not.
fn covered(
    permit: &Permit,
    secrets: &[Permit],
    out: &Outgoing,
    headers: &HeaderMap,
) -> Result<(), HttpFailure> {
    let origin = Origin::parse(out.url.as_str())
        .map_err(|e| HttpFailure::Invalid(format!("URL `{}`: {e}", out.url)))?;
    let bytes = wire::request_bytes(&out.method, &out.url, headers, out.body.len());
    let ok = matches!(permit.scope(),
        Scope::Http { origin: o, bytes: b } if *o == origin && *b == bytes);
    if !ok {
        let wanted = format!("{} to {origin} of {bytes} bytes", out.method);
        return Err(refused(permit, &wanted));
    }
    for s in secrets {
        let ok = matches!(s.scope(),
            Scope::Secret { to: Some(o), browser: false, .. } if *o == origin);
        if !ok {
            return Err(refused(s, &format!("a secret in a header to {origin}")));
        }
    }
    Ok(())
}

fn refused(permit: &Permit, wanted: &str) -> HttpFailure {
    HttpFailure::Denied(permit.mismatch(wanted).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pont_policy::{Action, EffectivePolicy, Gate, OriginGrant, SecretSink};

    /// A gate granting HTTP to one origin and the secret `token` toward it, and a 5-byte
    /// POST to that origin.
    struct Case {
        _dir: tempfile::TempDir,
        origin: Origin,
        gate: Gate,
        out: Outgoing,
        headers: HeaderMap,
    }

    impl Case {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let origin = Origin::parse("http://127.0.0.1:8001").unwrap_or_else(|e| panic!("{e}"));
            let mut policy = EffectivePolicy::ds_only("http-permits", &[], &[]);
            let grant = OriginGrant {
                origin: origin.clone(),
            };
            policy.http.insert("api".into(), grant);
            let secret = pont_policy::SecretGrant {
                source: pont_policy::SecretSource::Env("UNUSED".into()),
                apps: Default::default(),
                origins: [origin.clone()].into(),
            };
            policy.secrets.insert("token".into(), secret);
            let gate = Gate::for_tool("http-permits", policy, &dir.path().join("audit.jsonl"))
                .unwrap_or_else(|e| panic!("{e}"));
            Self {
                _dir: dir,
                origin,
                gate,
                out: out("http://127.0.0.1:8001/x"),
                headers: HeaderMap::new(),
            }
        }

        /// The bytes the request puts on the wire.
        fn bytes(&self) -> u64 {
            let o = &self.out;
            wire::request_bytes(&o.method, &o.url, &self.headers, o.body.len())
        }

        /// The gate's permit for a POST to the origin charged `bytes`.
        fn request(&self, bytes: u64) -> Permit {
            let action = Action::HttpRequest {
                origin: &self.origin,
                method: "POST",
                bytes,
            };
            self.gate
                .authorize(None, &action)
                .unwrap_or_else(|e| panic!("{e}"))
        }
    }

    fn out(url: &str) -> Outgoing {
        Outgoing {
            method: reqwest::Method::POST,
            url: reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{e}")),
            headers: Vec::new(),
            body: b"hello".to_vec(),
        }
    }

    #[test]
    fn the_permit_must_name_the_origin_and_the_bytes_sent() {
        let c = Case::new();
        let bytes = c.bytes();
        assert_eq!(covered(&c.request(bytes), &[], &c.out, &c.headers), Ok(()));
        // Charged less than it would send: refused, in one line.
        let short = covered(&c.request(bytes - 1), &[], &c.out, &c.headers);
        let Err(HttpFailure::Denied(why)) = short else {
            panic!("a short permit was accepted");
        };
        assert!(
            why.contains("does not cover POST to http://127.0.0.1:8001"),
            "{why}"
        );
        assert!(!why.contains('\n'));
        // Another origin, same bytes.
        let elsewhere = out("http://127.0.0.1:8002/x");
        assert!(covered(&c.request(bytes), &[], &elsewhere, &c.headers).is_err());
    }

    #[test]
    fn a_secret_needs_its_permit_toward_the_origin_as_a_header() {
        let c = Case::new();
        let request = c.request(c.bytes());
        let use_secret = Action::SecretUse {
            name: "token",
            sink: SecretSink::Http(&c.origin),
        };
        let secret = c
            .gate
            .authorize(None, &use_secret)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(covered(&request, &[secret], &c.out, &c.headers), Ok(()));
        // The request's own permit does not stand for a secret's.
        let again = c.request(c.bytes());
        assert!(covered(&request, &[again], &c.out, &c.headers).is_err());
    }
}
