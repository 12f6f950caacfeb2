//! The `ds` capability: the WIT interface wired to `pont-ds` through the
//! gate. The token and the instructeur stay here; a robot names démarches and
//! dossiers, and every read or change is checked against its grant first.

mod convert;
mod decide;
mod journaled;
mod propose;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pont_ds::{Budget, DossierKey, DsClient};
use pont_policy::{Action, Denied, DsAction, DsSettings, Permit, SecretSource};
use wasmtime::component::Resource;

pub(crate) use convert::FileTable;
pub(crate) use journaled::content_key;

/// A dossier in the robot's terms; its files become opaque references.
pub(crate) fn to_wit_dossier(d: &pont_ds::Dossier, files: &mut FileTable) -> w::Dossier {
    convert::dossier(d, files)
}

use crate::bindings::pont::robot::ds::{self as w, DsError};

use crate::blob::BlobEntry;
use crate::error::RuntimeError;
use crate::store::ItemState;

type DsRes<T> = wasmtime::Result<Result<T, DsError>>;

/// The run's DS connection.
#[derive(Debug)]
pub(crate) struct DsBackend {
    client: DsClient,
    instructeur_email: String,
    /// Instructeur id per démarche, resolved once.
    instructeurs: Mutex<HashMap<i64, String>>,
    /// Dossiers already located: key and démarche.
    dossiers: Mutex<HashMap<i64, (DossierKey, i64)>>,
}

/// Read a secret's value from where the config says. The value never leaves
/// the host; errors name the source, never the value.
pub(crate) fn read_secret(source: &SecretSource) -> Result<String, String> {
    match source {
        SecretSource::Env(var) => {
            std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))
        }
        SecretSource::File(path) => std::fs::read_to_string(path)
            .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
    }
}

impl DsBackend {
    /// Connect with the bounds of `[limits.ds]` (see [`crate::limits::ds_limits`]),
    /// drawing on the token's budget shared through `budget_dir` with every
    /// other run on the machine (DS counts per token, whoever sends).
    pub fn new(
        settings: &DsSettings,
        limits: pont_ds::DsLimits,
        budget_dir: &std::path::Path,
        observer: Option<Arc<dyn pont_ds::DsObserver>>,
    ) -> Result<Self, RuntimeError> {
        let token = read_secret(&settings.token)
            .map_err(|e| RuntimeError::Fatal(format!("DS token: {e}")))?;
        let mut builder = DsClient::builder(settings.endpoint.clone(), token);
        if let Some(observer) = observer {
            builder = builder.observer(observer);
        }
        let client = builder
            .budget(Budget {
                requests: settings.requests_per_minute,
                per: Duration::from_secs(settings.rate_window_secs),
            })
            .shared_budget_dir(budget_dir)
            .limits(limits)
            .build()
            .map_err(|e| RuntimeError::Fatal(format!("DS client: {e}")))?;
        Ok(Self {
            client,
            instructeur_email: settings.instructeur.clone(),
            instructeurs: Mutex::default(),
            dossiers: Mutex::default(),
        })
    }

    pub(crate) async fn instructeur(
        &self,
        permit: &Permit,
        demarche: i64,
    ) -> Result<String, pont_ds::DsError> {
        if let Some(id) = self
            .instructeurs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&demarche)
        {
            return Ok(id.clone());
        }
        let id = self
            .client
            .resolve_instructeur(permit, demarche, &self.instructeur_email)
            .await?;
        self.instructeurs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(demarche, id.clone());
        Ok(id)
    }

    /// The client, for the host's own reads (the queue listing).
    pub fn client(&self) -> &DsClient {
        &self.client
    }

    /// A dossier the queue listed: later calls need not locate it again.
    pub fn remember_dossier(&self, d: &pont_ds::Dossier) {
        self.remember(d.number, d.key(), d.demarche);
    }

    fn remember(&self, number: i64, key: DossierKey, demarche: i64) {
        self.dossiers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(number, (key, demarche));
    }

    /// The key and démarche of a dossier already read in this run.
    fn known(&self, number: i64) -> Option<(DossierKey, i64)> {
        self.dossiers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&number)
            .cloned()
    }

    /// Read a dossier to learn where it is (see [`decide`]).
    async fn lookup(
        &self,
        permit: &Permit,
        number: i64,
    ) -> Result<pont_ds::Dossier, pont_ds::DsError> {
        let d = self.client.dossier(permit, number).await?;
        self.remember(number, d.key(), d.demarche);
        Ok(d)
    }
}

fn denied(d: Denied) -> DsError {
    DsError::Denied(d.reason)
}

/// A mutation, gated and ready to send.
struct Prepared {
    /// The gate's permit for this mutation of this dossier: every DS
    /// request of the mutation (confirming reads, upload, send) takes it.
    permit: Permit,
    ds: Arc<DsBackend>,
    /// The run's client with this item's egress meter: every request body
    /// and upload of the mutation is counted (and budgeted) before it leaves.
    client: DsClient,
    key: DossierKey,
    instructeur: String,
}

impl ItemState {
    fn ds_backend(&self) -> Result<Arc<DsBackend>, DsError> {
        self.run
            .ds
            .clone()
            .ok_or_else(|| DsError::Unsupported("the robot config has no [ds] section".into()))
    }

    fn ds_read(
        &self,
        what: &str,
        demarche: Option<i64>,
        dossier: Option<i64>,
    ) -> Result<(Arc<DsBackend>, Permit), DsError> {
        let permit = self
            .authorize(&Action::DsRead {
                what,
                demarche,
                dossier,
            })
            .map_err(denied)?;
        let ds = self.ds_backend()?;
        self.tools.insert("ds");
        Ok((ds, permit))
    }

    /// Decide a read of dossier `number` (see [`decide`]).
    async fn ds_read_dossier(
        &mut self,
        what: &str,
        number: i64,
    ) -> Result<(Arc<DsBackend>, decide::Located), DsError> {
        let ds = self.ds_backend()?;
        let want = decide::Want::Read(what);
        let located = self.decider().locate(&ds, number, want).await?;
        self.tools.insert("ds");
        Ok((ds, located))
    }

    async fn prepare(
        &mut self,
        number: i64,
        action: DsAction,
        bytes: u64,
    ) -> Result<Prepared, DsError> {
        let ds = self.ds_backend()?;
        let want = decide::Want::Mutate(action, bytes);
        let decide::Located {
            permit,
            key,
            demarche,
            ..
        } = self.decider().locate(&ds, number, want).await?;
        self.tools.insert("ds");
        let instructeur = ds
            .instructeur(&permit, demarche)
            .await
            .map_err(convert::error)?;
        let meter = crate::egress::DsMeter {
            gate: self.run.gate.clone(),
            item: self.item,
        };
        Ok(Prepared {
            permit,
            client: ds.client.metered(Arc::new(meter)),
            ds,
            key,
            instructeur,
        })
    }

    /// Upload a blob through DS's direct upload; returns its signedBlobId.
    async fn upload_blob(
        &mut self,
        p: &Prepared,
        blob: Option<Resource<BlobEntry>>,
    ) -> wasmtime::Result<Result<Option<String>, DsError>> {
        let Some(blob) = blob else {
            return Ok(Ok(None));
        };
        let entry = self.table.get(&blob)?;
        let info = entry.info();
        let uploaded = p
            .client
            .upload_file(
                &p.permit,
                &p.key,
                entry.path(),
                &info.file_name,
                &info.content_type,
            )
            .await;
        Ok(uploaded
            .map(|u| Some(u.signed_blob_id))
            .map_err(convert::error))
    }

    /// A mutation without a state change of its own: gated, journaled,
    /// skipped when already applied, then sent.
    async fn simple_mutation<F, Fut, T>(
        &mut self,
        number: i64,
        action: DsAction,
        bytes: u64,
        operation: &str,
        check: journaled::Check<'_>,
        send: F,
    ) -> DsRes<()>
    where
        F: FnOnce(Prepared) -> Fut,
        Fut: std::future::Future<Output = Result<T, pont_ds::DsError>>,
    {
        let p = match self.prepare(number, action, bytes).await {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let intent = match self
            .begin_mutation(&p, number, operation, bytes, check)
            .await
        {
            Ok(journaled::Replay::Send(id)) => id,
            Ok(journaled::Replay::AlreadyApplied) => return Ok(Ok(())),
            Err(e) => return Ok(Err(e)),
        };
        let result = send(p).await;
        if let Err(e) = self.end_mutation(intent, &result) {
            return Ok(Err(e));
        }
        Ok(result.map(|_| ()).map_err(convert::error))
    }

    /// Put a label on a dossier or take it off.
    async fn label(&mut self, number: i64, label_id: String, present: bool) -> DsRes<()> {
        let operation = if present {
            format!("dossierAjouterLabel:{label_id}")
        } else {
            format!("dossierSupprimerLabel:{label_id}")
        };
        let check = journaled::Check::Expect(pont_ds::Expectation::Label {
            id: label_id.clone(),
            present,
        });
        let send = move |p: Prepared| async move {
            if present {
                p.client
                    .ajouter_label(&p.permit, &p.key, &label_id)
                    .await
                    .map(|_| ())
            } else {
                p.client
                    .supprimer_label(&p.permit, &p.key, &label_id)
                    .await
                    .map(|_| ())
            }
        };
        self.simple_mutation(number, DsAction::Labels, 0, &operation, check, send)
            .await
    }

    async fn transition(
        &mut self,
        number: i64,
        action: DsAction,
        t: Transition,
    ) -> DsRes<w::DossierState> {
        let bytes = t.bytes();
        let p = match self.prepare(number, action, bytes).await {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        if self.needs_approval(action) {
            let asked = propose::Asked {
                action,
                motivation: t.motivation.as_deref(),
                justificatif: t.justificatif,
                disable_notification: t.disable_notification,
                correction: None,
            };
            return Ok(Err(self.propose(&p, number, asked).await?));
        }
        let operation = t.kind.operation();
        let check = journaled::Check::Expect(pont_ds::Expectation::State(t.target));
        let intent = match self
            .begin_mutation(&p, number, operation, bytes, check)
            .await
        {
            Ok(journaled::Replay::Send(id)) => id,
            Ok(journaled::Replay::AlreadyApplied) => {
                self.moved_to(number, t.target);
                return Ok(Ok(convert::state(t.target)));
            }
            Err(e) => return Ok(Err(e)),
        };
        let justificatif = match self.upload_blob(&p, t.justificatif).await? {
            Ok(j) => j,
            Err(e) => return Ok(Err(e)),
        };
        let (c, g) = (&p.client, &p.permit);
        let (k, i, n) = (&p.key, p.instructeur.as_str(), t.disable_notification);
        let result = match t.kind {
            Kind::PasserEnInstruction => c.passer_en_instruction(g, k, i, n).await,
            Kind::RepasserEnInstruction => c.repasser_en_instruction(g, k, i, n).await,
            Kind::RepasserEnConstruction => c.repasser_en_construction(g, k, i, n).await,
            Kind::Accepter => c.accepter(g, k, i, t.motivation, justificatif, n).await,
            Kind::Refuser => {
                c.refuser(g, k, i, t.motivation.unwrap_or_default(), justificatif, n)
                    .await
            }
            Kind::ClasserSansSuite => {
                let motivation = t.motivation.unwrap_or_default();
                c.classer_sans_suite(g, k, i, motivation, justificatif, n)
                    .await
            }
        };
        if let Err(e) = self.end_mutation(intent, &result) {
            return Ok(Err(e));
        }
        if result.is_ok() {
            self.moved_to(number, t.target);
        }
        Ok(result
            .map(|r| convert::state(r.state.unwrap_or(t.target)))
            .map_err(convert::error))
    }

    /// The robot asked the applicant of its own dossier for a correction:
    /// the correction pending (and, from en instruction, the dossier back en
    /// construction) is the robot's doing.
    fn asked_correction(&mut self, number: i64, correction: bool) {
        if correction && self.item == Some(number) {
            self.effects.correction_requested = true;
        }
    }

    /// The robot moved its own dossier to `state`: not a change that starts
    /// a new episode.
    fn moved_to(&mut self, number: i64, state: pont_ds::DossierState) {
        if self.item == Some(number) {
            self.effects.state = Some(state);
        }
    }
}

enum Kind {
    PasserEnInstruction,
    RepasserEnInstruction,
    RepasserEnConstruction,
    Accepter,
    Refuser,
    ClasserSansSuite,
}

impl Kind {
    /// The DS mutation's name, as the journal and the simulator's log say it.
    fn operation(&self) -> &'static str {
        match self {
            Self::PasserEnInstruction => "dossierPasserEnInstruction",
            Self::RepasserEnInstruction => "dossierRepasserEnInstruction",
            Self::RepasserEnConstruction => "dossierRepasserEnConstruction",
            Self::Accepter => "dossierAccepter",
            Self::Refuser => "dossierRefuser",
            Self::ClasserSansSuite => "dossierClasserSansSuite",
        }
    }
}

struct Transition {
    kind: Kind,
    target: pont_ds::DossierState,
    motivation: Option<String>,
    justificatif: Option<Resource<BlobEntry>>,
    disable_notification: bool,
}

impl Transition {
    fn simple(kind: Kind, target: pont_ds::DossierState, disable_notification: bool) -> Self {
        Self {
            kind,
            target,
            motivation: None,
            justificatif: None,
            disable_notification,
        }
    }

    fn bytes(&self) -> u64 {
        self.motivation.as_ref().map_or(0, |m| m.len() as u64)
    }
}

mod host;
