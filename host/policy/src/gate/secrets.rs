//! The gate's rule for secrets: a granted secret goes only to the
//! destinations its `[grant.secrets.NAME]` binds it to, and never comes back
//! to the robot.

use crate::effective::EffectivePolicy;
use crate::origin::Origin;

/// Where a secret is about to go, for the gate to check against its binding.
#[derive(Debug, Clone, Copy)]
pub enum SecretSink<'a> {
    /// A request header to this HTTP origin.
    Http(&'a Origin),
    /// Typed (`fill-secret`) into a page of this origin.
    Browser(&'a Origin),
    /// Read back (`what`: `text`, `attribute`, `read-table`…) from an element
    /// that received the secret: never allowed, audited as a denial.
    ReadBack { what: &'a str },
}

impl SecretSink<'_> {
    /// The audit record's action name.
    pub(super) fn action(&self) -> String {
        match self {
            Self::Http(_) => "use.http".into(),
            Self::Browser(_) => "use.browser".into(),
            Self::ReadBack { what } => format!("read-back.{what}"),
        }
    }

    /// The audit record's target: the secret's name and where it was going.
    pub(super) fn target(&self, name: &str) -> String {
        match self {
            Self::Http(origin) | Self::Browser(origin) => format!("{name}@{origin}"),
            Self::ReadBack { .. } => name.into(),
        }
    }
}

/// Whether `name` may go to `sink` under `policy`, or why not.
pub(super) fn decide(
    policy: &EffectivePolicy,
    name: &str,
    sink: SecretSink<'_>,
) -> Result<(), String> {
    let Some(grant) = policy.secrets.get(name) else {
        return Err(format!("not granted: secret `{name}`"));
    };
    match sink {
        SecretSink::Http(origin) if grant.origins.contains(origin) => Ok(()),
        SecretSink::Http(origin) => Err(format!(
            "secret `{name}` is not bound to HTTP origin {origin} (grant.secrets.{name}.origins)"
        )),
        SecretSink::Browser(origin) => {
            let bound = grant
                .apps
                .iter()
                .any(|app| policy.browser.get(app).is_some_and(|b| &b.origin == origin));
            if bound {
                Ok(())
            } else {
                Err(format!(
                    "secret `{name}` is not bound to the browser application at {origin} \
                     (grant.secrets.{name}.apps)"
                ))
            }
        }
        SecretSink::ReadBack { what } => Err(format!(
            "`{what}` refused: this element received secret `{name}` (fill-secret), \
             which is never read back"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::audit::{AuditLog, Decision, read_records};
    use crate::{Action, EffectivePolicy, Gate, Manifest, Origin, RobotConfig, RunContext};

    use super::SecretSink;

    const MANIFEST: &str = r#"
[robot]
name = "clerk"
version = "1.0.0"
publisher = "Préfecture"

[requests]
browser = ["cps", "chorus"]
http = ["referentiel", "other"]
secrets = ["cps-password", "ref-token"]
"#;

    const CONFIG: &str = r#"
[plugin]
path = "clerk.wasm"

[grant.browser.cps]
origin = "http://127.0.0.1:9005"

[grant.browser.chorus]
origin = "http://127.0.0.1:9001"

[grant.http.referentiel]
origin = "http://127.0.0.1:9006"

[grant.http.other]
origin = "http://127.0.0.1:9007"

[grant.secrets.cps-password]
env = "CPS"
apps = ["cps"]

[grant.secrets.ref-token]
env = "REF"
origins = ["http://127.0.0.1:9006"]

[paths]
journal = "j.sqlite"
audit = "a.jsonl"
"#;

    fn gate(dir: &Path) -> Gate {
        let m = Manifest::parse(MANIFEST, Path::new("pont.toml")).unwrap();
        let c = RobotConfig::parse(CONFIG, Path::new("/etc/pont/clerk.toml")).unwrap();
        let policy = EffectivePolicy::compute(&m, &c).unwrap();
        let audit = AuditLog::open(&dir.join("audit.jsonl")).unwrap();
        let ctx = RunContext {
            run_id: "run-1".into(),
            robot: "clerk".into(),
            plugin_digest: "ab".repeat(32),
        };
        Gate::new(policy, ctx, audit)
    }

    #[test]
    fn a_secret_goes_only_where_it_is_bound_and_every_decision_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let g = gate(dir.path());
        let o = |s: &str| Origin::parse(s).unwrap();
        let (cps, chorus) = (o("http://127.0.0.1:9005"), o("http://127.0.0.1:9001"));
        let (referentiel, other) = (o("http://127.0.0.1:9006"), o("http://127.0.0.1:9007"));
        let try_use = |name: &str, sink: SecretSink<'_>| {
            g.authorize(Some(7), &Action::SecretUse { name, sink })
        };
        assert!(try_use("cps-password", SecretSink::Browser(&cps)).is_ok());
        assert!(try_use("ref-token", SecretSink::Http(&referentiel)).is_ok());
        let refusals = [
            try_use("cps-password", SecretSink::Browser(&chorus)),
            try_use("cps-password", SecretSink::Http(&referentiel)),
            try_use("ref-token", SecretSink::Http(&other)),
            try_use("ref-token", SecretSink::Browser(&cps)),
            try_use("cps-password", SecretSink::ReadBack { what: "text" }),
        ];
        let reasons: Vec<String> = refusals
            .into_iter()
            .map(|r| r.unwrap_err().reason)
            .collect();
        assert!(
            reasons[0].contains("not bound to the browser application at http://127.0.0.1:9001")
        );
        assert!(reasons[0].contains("grant.secrets.cps-password.apps"));
        assert!(reasons[2].contains("not bound to HTTP origin http://127.0.0.1:9007"));
        assert!(reasons[4].contains("never read back"), "{}", reasons[4]);
        let records = read_records(&dir.path().join("audit.jsonl")).unwrap();
        let seen: Vec<(&str, &str, Decision)> = records
            .iter()
            .map(|r| (r.action.as_str(), r.target.as_str(), r.decision))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "use.browser",
                    "cps-password@http://127.0.0.1:9005",
                    Decision::Allow
                ),
                (
                    "use.http",
                    "ref-token@http://127.0.0.1:9006",
                    Decision::Allow
                ),
                (
                    "use.browser",
                    "cps-password@http://127.0.0.1:9001",
                    Decision::Deny
                ),
                (
                    "use.http",
                    "cps-password@http://127.0.0.1:9006",
                    Decision::Deny
                ),
                (
                    "use.http",
                    "ref-token@http://127.0.0.1:9007",
                    Decision::Deny
                ),
                (
                    "use.browser",
                    "ref-token@http://127.0.0.1:9005",
                    Decision::Deny
                ),
                ("read-back.text", "cps-password", Decision::Deny),
            ]
        );
        assert!(records.iter().all(|r| r.capability == "secret"));
    }
}
