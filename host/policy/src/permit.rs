//! Permits: the proof, typed and scoped, that the gate allowed one call.
//!
//! Backends that touch the outside take a `&Permit` and take their target
//! from it (or check that it matches), so a call the gate did not decide
//! does not compile, and a permit for one thing cannot serve another. Only
//! [`crate::Gate::authorize`] makes one: the fields are private and there is
//! no public constructor.
//!
//! ```compile_fail
//! // A permit cannot be built outside the gate: its fields are private.
//! let forged = pont_policy::Permit { capability: "ds", action: String::new() };
//! ```
//!
//! ```compile_fail
//! // Nor copied, to be used again for another call: it is not `Clone`.
//! fn again(p: &pont_policy::Permit) -> pont_policy::Permit { p.clone() }
//! ```

use crate::gate::{Action, DsAction, SecretSink};
use crate::origin::Origin;

/// What a permit covers: the call the gate decided, with its target.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    Log,
    Evidence {
        name: String,
        bytes: u64,
    },
    /// Reading, writing or deleting one state key.
    State {
        key: String,
        bytes: u64,
    },
    StateKeys {
        prefix: String,
    },
    Ds(DsScope),
    MountOpen {
        mount: String,
    },
    /// Reading (`write` false) or changing a path of a mount.
    File {
        mount: String,
        path: String,
        write: bool,
        bytes: u64,
    },
    BrowserOpen {
        app: String,
    },
    BrowserGoto {
        origin: Origin,
    },
    Http {
        origin: Origin,
        bytes: u64,
    },
    /// Sending secret `name` to `to`: an HTTP origin (`browser` false) or a
    /// page a browser types it into (`browser` true). `None` for a read-back,
    /// which the gate never allows.
    Secret {
        name: String,
        to: Option<Origin>,
        browser: bool,
    },
    /// Spooling bytes the robot handed over (`blob.create`).
    Blob {
        name: String,
        bytes: u64,
    },
    /// Never issued: the gate denies every unsupported call.
    Unsupported,
}

/// A DS decision: the action, on which démarche and dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DsScope {
    pub action: DsAction,
    /// `None` when the gate decided the action before the dossier's
    /// démarche was known: such a permit only lets the host learn it.
    pub demarche: Option<i64>,
    pub dossier: Option<i64>,
    /// Bytes the call declared, as its audit record shows them. The gate
    /// charges none of them to DS here: DS bytes are counted at the wire,
    /// through [`crate::Gate::meter`], as the client sends them.
    pub bytes: u64,
}

impl DsScope {
    /// The permit is for `action` on dossier `number`, in a granted démarche.
    pub fn is_mutation(&self, action: DsAction, number: i64) -> bool {
        self.action == action && self.demarche.is_some() && self.dossier == Some(number)
    }
}

/// Proof that the gate allowed one call. Only the gate makes these; it is
/// not `Clone`, so a permit cannot be kept and reused for something else.
#[derive(Debug)]
pub struct Permit {
    capability: &'static str,
    action: String,
    scope: Scope,
    _sealed: Sealed,
}

#[derive(Debug)]
struct Sealed;

impl Permit {
    /// Made by the gate alone, once it allowed `action`.
    pub(crate) fn new(capability: &'static str, name: String, action: &Action<'_>) -> Self {
        Self {
            capability,
            action: name,
            scope: scope_of(action),
            _sealed: Sealed,
        }
    }

    pub fn capability(&self) -> &'static str {
        self.capability
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The DS part of the scope, if this permit is for DS.
    pub fn ds(&self) -> Option<&DsScope> {
        match &self.scope {
            Scope::Ds(ds) => Some(ds),
            _ => None,
        }
    }

    /// The mount and path this permit is for, and whether it allows writing.
    pub fn file(&self) -> Option<(&str, &str, bool)> {
        match &self.scope {
            Scope::File {
                mount, path, write, ..
            } => Some((mount, path, *write)),
            _ => None,
        }
    }

    /// The origin this permit lets the host reach (HTTP or browser).
    pub fn origin(&self) -> Option<&Origin> {
        match &self.scope {
            Scope::Http { origin, .. } | Scope::BrowserGoto { origin } => Some(origin),
            _ => None,
        }
    }

    /// A one-line refusal for a backend handed the wrong permit.
    pub fn mismatch(&self, wanted: &str) -> WrongPermit {
        WrongPermit(format!(
            "the permit for {}.{} does not cover {wanted}",
            self.capability, self.action
        ))
    }
}

/// A backend was handed a permit for something else: a host bug, refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WrongPermit(String);

fn scope_of(action: &Action<'_>) -> Scope {
    let bytes = action.bytes();
    match *action {
        Action::Log { .. } => Scope::Log,
        Action::Evidence { name, .. } => Scope::Evidence {
            name: name.into(),
            bytes,
        },
        Action::StateGet { key } | Action::StateDelete { key } => Scope::State {
            key: key.into(),
            bytes,
        },
        Action::StateSet { key, .. } => Scope::State {
            key: key.into(),
            bytes,
        },
        Action::StateKeys { prefix } => Scope::StateKeys {
            prefix: prefix.into(),
        },
        Action::DsRead {
            demarche, dossier, ..
        } => ds(DsAction::Read, demarche, dossier, bytes),
        Action::DsLocate { action, dossier } => ds(action, None, Some(dossier), 0),
        Action::DsMutate {
            action,
            demarche,
            dossier,
            ..
        } => ds(action, Some(demarche), Some(dossier), bytes),
        Action::MountOpen { mount } => Scope::MountOpen {
            mount: mount.into(),
        },
        Action::FileRead { mount, path } => file(mount, path, false, 0),
        Action::FileWrite { mount, path, .. } => file(mount, path, true, bytes),
        Action::BrowserOpen { app } => Scope::BrowserOpen { app: app.into() },
        Action::BrowserGoto { origin } => Scope::BrowserGoto {
            origin: origin.clone(),
        },
        Action::HttpRequest { origin, .. } => Scope::Http {
            origin: origin.clone(),
            bytes,
        },
        Action::SecretUse { name, sink } => secret(name, sink),
        Action::BlobCreate { name, .. } => Scope::Blob {
            name: name.into(),
            bytes,
        },
        Action::Unsupported { .. } => Scope::Unsupported,
    }
}

fn ds(action: DsAction, demarche: Option<i64>, dossier: Option<i64>, bytes: u64) -> Scope {
    Scope::Ds(DsScope {
        action,
        demarche,
        dossier,
        bytes,
    })
}

fn secret(name: &str, sink: SecretSink<'_>) -> Scope {
    let (to, browser) = match sink {
        SecretSink::Http(o) => (Some(o.clone()), false),
        SecretSink::Browser(o) => (Some(o.clone()), true),
        SecretSink::ReadBack { .. } => (None, false),
    };
    Scope::Secret {
        name: name.into(),
        to,
        browser,
    }
}

fn file(mount: &str, path: &str, write: bool, bytes: u64) -> Scope {
    Scope::File {
        mount: mount.into(),
        path: path.into(),
        write,
        bytes,
    }
}
