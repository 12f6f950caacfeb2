//! The simulator's mutable world: data, tokens, rate-limit counters, fault injection and the
//! mutation log, behind one mutex that is never held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::attachments::{self, AttachmentSpec};
use crate::error::SandboxError;
use crate::model::*;
use crate::seed::{self, Scenario, StateMix};
use crate::util::{self, Rng};

/// Upper bound of dossiers per démarche (numbers are `démarche*100000 + i`).
pub const MAX_DOSSIERS: usize = 10_000;
/// Bound of the mutation log and of the request-count table, so memory stays bounded.
const MAX_LOG: usize = 100_000;
const MAX_WINDOWS: usize = 10_000;

/// A bearer token and its DS scopes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    pub token: String,
    /// Read/write (`write_access`) or read-only.
    #[serde(default)]
    pub write: bool,
    /// Démarche numbers the token can see; `None` = all of the administrateur's démarches.
    #[serde(default)]
    pub demarches: Option<Vec<i64>>,
    /// After this instant every call gets HTTP 401 "Token expired".
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The fixed tokens documented in the README.
pub fn default_tokens() -> Vec<TokenSpec> {
    let t = |token: &str, write, demarches: Option<Vec<i64>>, expired: bool| TokenSpec {
        token: token.into(),
        write,
        demarches,
        expires_at: expired.then(seed::epoch),
    };
    vec![
        t("sandbox-rw-all", true, None, false),
        t("sandbox-ro-all", false, None, false),
        t("sandbox-rw-101", true, Some(vec![101]), false),
        t("sandbox-ro-106", false, Some(vec![106]), false),
        t("sandbox-expired", true, None, true),
    ]
}

/// Sandbox settings; every field has a sensible default (see README).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Dossiers generated for each of the six démarches at start and on reset.
    pub dossiers_per_demarche: usize,
    /// Seed of all generated data.
    pub seed: u64,
    /// Requests per token per window (DS: 400 per minute).
    pub rate_limit: u32,
    /// Fixed window length, aligned on epoch multiples (DS: 60 s).
    pub rate_window_secs: u64,
    /// Lifetime of attachment and upload URLs (DS: 1 h).
    pub url_ttl_secs: u64,
    pub tokens: Vec<TokenSpec>,
    /// Port to bind on 127.0.0.1 (0 = pick a free one).
    pub port: u16,
    /// The third-party web apps (ports, delays, secrets).
    pub apps: crate::apps::AppsConfig,
    /// Generated files added at start and on reset, e.g. one 200 MB attachment for the
    /// streaming test and benchmark. Empty by default: hashing them is not free.
    pub attachments: Vec<AttachmentSpec>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            dossiers_per_demarche: 40,
            seed: 42,
            rate_limit: 400,
            rate_window_secs: 60,
            url_ttl_secs: 3600,
            tokens: default_tokens(),
            port: 0,
            apps: crate::apps::AppsConfig::default(),
            attachments: Vec::new(),
        }
    }
}

/// Fault injection on the GraphQL endpoint; rates are probabilities in `[0, 1]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// HTTP 500 with DS's `internal_server_error` body, before anything is applied.
    pub error_rate: f64,
    /// Added latency on every GraphQL request.
    pub latency_ms: u64,
    /// Connection dropped before the request is handled (nothing applied).
    pub drop_rate: f64,
    /// Request handled (mutations applied) and then the connection dropped: the client never
    /// learns the outcome. This is the case "nothing done twice" is about.
    pub drop_after_rate: f64,
    /// The next N requests get 429 whatever the budget says.
    pub burst_429: u32,
    /// Seed of the fault dice, for reproducible runs.
    pub seed: u64,
    /// When above 0, every GraphQL answer (past the rate limit) is a JSON body this many bytes
    /// long, streamed without `Content-Length` and never held in memory: a hostile DS.
    pub huge_body_bytes: u64,
    /// Simulated cost of each dossier a query resolves, in ms, counted against
    /// [`Faults::timeout_ms`]: past it, the rest of the page's dossiers answer DS's `timeout`
    /// error (partial data). The answer is delayed by the cost, up to the timeout.
    pub slow_dossier_ms: u64,
    /// DS's query timeout for that cost; 0 is DS's 30 s.
    pub timeout_ms: u64,
    /// Dossiers whose `usager` resolves to null: DS's `invalid_null` error, the dossier
    /// null in its page and the rest of the page served.
    pub invalid_null: Vec<i64>,
    /// The next N attachment downloads answer 401, as DS's storage does for an expired URL.
    pub expired_urls: u32,
    /// Values DS may add after this schema, sent for one dossier (see [`NewValues`]).
    pub new_values: Option<crate::fidelity::NewValues>,
    /// How connection pages misreport their cursors (a hostile DS; see [`CursorFault`]).
    pub cursor: CursorFault,
    /// SIRETs (or SIRENs: every établissement of the entreprise) whose API Entreprise data
    /// is unavailable: DS's degraded mode, so accepter/refuser/classer sans suite refuse
    /// ("Les informations du SIRET du dossier ne sont pas complètes…").
    pub degraded_sirets: Vec<String>,
    /// How long a freshly uploaded file reads `virusScanResult: "pending"` before `"safe"`
    /// (absent: [`crate::scan::DEFAULT_SCAN_MS`]; 0: scanned at once). See [`crate::scan`].
    pub virus_scan_ms: Option<u64>,
    /// Seconds the sandbox's clock runs ahead of the host's (negative: behind), within
    /// ±[`MAX_CLOCK_OFFSET`]. It moves the `Date` header and the rate-limit windows (so
    /// `RateLimit-Reset`): a client that waits by its own clock instead of DS's is caught.
    pub clock_offset_secs: i64,
}

/// A pagination lie, for clients that must not loop forever on a hostile DS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CursorFault {
    /// Pages tell the truth.
    #[default]
    Off,
    /// Every page says `hasNextPage: true`, and its `endCursor` is the `after` it was asked
    /// with (the first page's is its real one): the cursor never advances.
    Repeat,
    /// Every page says `hasNextPage: true` with `endCursor: null`.
    Missing,
    /// The last page says `hasNextPage: true` with a cursor before the first dossier, so the
    /// listing starts over: cursors come back after a full round.
    Cycle,
}

/// What the fault dice decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    None,
    Error500,
    Drop,
    DropAfter,
    Burst429,
}

/// One mutation received, applied or not: the tests' source of truth.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MutationLogEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub token: Option<String>,
    pub operation: String,
    pub dossier: Option<i64>,
    /// `from→to` for state changes, or a short description of the effect.
    pub transition: Option<String>,
    pub applied: bool,
    /// The DS message when not applied.
    pub error: Option<String>,
}

/// Requests seen for one token in one rate-limit window.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestCount {
    pub token: String,
    pub window_start: i64,
    /// Requests answered normally (never above the limit).
    pub allowed: u32,
    /// Requests answered 429.
    pub throttled: u32,
}

/// An uploaded (or announced) blob of the direct-upload flow.
#[derive(Debug, Clone)]
pub struct Blob {
    pub id: u64,
    pub filename: String,
    pub content_type: String,
    pub byte_size: u64,
    pub checksum: String,
    pub data: Option<bytes::Bytes>,
}

/// The token exists but is past its expiry date.
#[derive(Debug, Clone, Copy)]
pub struct TokenExpired;

/// Rejection of the rate limiter: when the window ends, by the sandbox's clock.
#[derive(Debug, Clone, Copy)]
pub struct Throttled {
    pub reset_epoch: i64,
}

/// Bound of [`Faults::clock_offset_secs`] (ten years), so shifting the clock cannot overflow.
pub const MAX_CLOCK_OFFSET: i64 = 10 * 366 * 24 * 3600;

/// `now` shifted by `offset_secs` (clamped to ±[`MAX_CLOCK_OFFSET`]).
fn shifted(now: DateTime<Utc>, offset_secs: i64) -> DateTime<Utc> {
    let offset = offset_secs.clamp(-MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET);
    now.checked_add_signed(chrono::Duration::seconds(offset))
        .unwrap_or(now)
}

/// Everything mutable.
#[derive(Debug)]
pub struct State {
    pub config: SandboxConfig,
    pub demarches: BTreeMap<i64, Arc<DemarcheRecord>>,
    pub instructeurs: BTreeMap<i64, InstructeurRecord>,
    pub dossiers: BTreeMap<i64, Arc<DossierRecord>>,
    pub deleted: Vec<DeletedRecord>,
    pub files: HashMap<u64, Arc<FileRecord>>,
    pub blobs: HashMap<u64, Blob>,
    pub tokens: HashMap<String, TokenSpec>,
    pub log: Vec<MutationLogEntry>,
    pub counts: BTreeMap<(i64, String), (u32, u32)>,
    pub faults: Faults,
    /// Virus scans of uploaded files still running.
    pub scans: crate::scan::Scans,
    fault_rng: Rng,
    next_id: u64,
}

impl State {
    /// A fresh id for blobs, files, messages and traitements created at run time.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// Who is calling, resolved from the bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: Option<String>,
    pub write: bool,
    /// `None` = every démarche.
    pub demarches: Option<Vec<i64>>,
}

impl Caller {
    /// A caller with no access (unknown token or none): objects are hidden from it.
    pub fn anonymous(token: Option<String>) -> Self {
        Caller {
            token,
            write: false,
            demarches: Some(Vec::new()),
        }
    }
    pub fn can_see(&self, demarche: i64) -> bool {
        self.demarches
            .as_ref()
            .is_none_or(|l| l.contains(&demarche))
    }
}

/// The shared world.
#[derive(Debug)]
pub struct World {
    state: Mutex<State>,
    /// Key of URL and blob-id signatures (per instance: URLs of a previous run are invalid).
    pub secret: [u8; 32],
    /// `http://127.0.0.1:PORT`, set once bound.
    pub base_url: OnceLock<String>,
    /// Request bodies received (GraphQL and uploads), for egress checks.
    pub received: crate::received::Received,
}

impl World {
    /// The seeded world of `config`. A configured attachment that does not fit (unknown
    /// dossier, too large) is left out; [`World::try_new`] reports it instead.
    pub fn new(config: SandboxConfig) -> World {
        Self::build(config).0
    }

    /// Like [`World::new`], but a configured attachment that cannot be added is an error.
    pub fn try_new(config: SandboxConfig) -> Result<World, SandboxError> {
        match Self::build(config) {
            (_, Some(e)) => Err(e),
            (w, None) => Ok(w),
        }
    }

    fn build(config: SandboxConfig) -> (World, Option<SandboxError>) {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
        let mut secret = [0u8; 32];
        let mut rng = Rng::new(nanos ^ config.seed);
        for chunk in secret.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        let (state, error) = build_state(config);
        let world = World {
            state: Mutex::new(state),
            secret,
            base_url: OnceLock::new(),
            received: Default::default(),
        };
        (world, error)
    }

    /// The state; a poisoned lock is recovered (a panic elsewhere must not wedge the sandbox).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn base_url(&self) -> String {
        self.base_url
            .get()
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1".into())
    }

    /// Back to the seeded world of `config` (counters, log, faults and blobs cleared). The
    /// error tells of a configured attachment that could not be added (the rest is reset).
    pub fn reset(&self, config: SandboxConfig) -> Result<(), SandboxError> {
        let (state, error) = build_state(config);
        *self.lock() = state;
        error.map_or(Ok(()), Err)
    }

    /// Replaces one démarche's dossiers by a generated scenario; returns how many were made.
    pub fn seed_scenario(&self, sc: &Scenario) -> Result<usize, SandboxError> {
        if sc.dossiers > MAX_DOSSIERS {
            return Err(SandboxError::Invalid(format!(
                "at most {MAX_DOSSIERS} dossiers per démarche"
            )));
        }
        let mut st = self.lock();
        let dem = st
            .demarches
            .get(&sc.demarche)
            .cloned()
            .ok_or_else(|| SandboxError::UnknownDemarche(sc.demarche.to_string()))?;
        install(&mut st, &dem, sc);
        Ok(sc.dossiers)
    }

    /// Resolves the Authorization header; an expired token is an error (HTTP 401).
    pub fn caller(&self, token: Option<&str>) -> Result<Caller, TokenExpired> {
        let st = self.lock();
        let Some(tok) = token else {
            return Ok(Caller::anonymous(None));
        };
        match st.tokens.get(tok) {
            None => Ok(Caller::anonymous(Some(tok.into()))),
            Some(spec) if spec.expires_at.is_some_and(|e| e <= Utc::now()) => Err(TokenExpired),
            Some(spec) => Ok(Caller {
                token: Some(tok.into()),
                write: spec.write,
                demarches: spec.demarches.clone(),
            }),
        }
    }

    /// Counts a request against its key's fixed window (rack-attack style: counted, then compared).
    pub fn rate_check(&self, key: &str, forced: bool) -> Result<(), Throttled> {
        let mut st = self.lock();
        let window = st.config.rate_window_secs.max(1) as i64;
        let limit = st.config.rate_limit;
        let now = shifted(Utc::now(), st.faults.clock_offset_secs).timestamp();
        let start = now - now.rem_euclid(window);
        if st.counts.len() >= MAX_WINDOWS
            && let Some(k) = st.counts.keys().next().cloned()
        {
            st.counts.remove(&k);
        }
        let entry = st.counts.entry((start, key.to_owned())).or_insert((0, 0));
        if forced || entry.0 >= limit {
            entry.1 += 1;
            return Err(Throttled {
                reset_epoch: start + window,
            });
        }
        entry.0 += 1;
        Ok(())
    }

    /// The sandbox's clock: the host's, shifted by [`Faults::clock_offset_secs`]. It dates
    /// the answers and places the rate-limit windows.
    pub fn now(&self) -> DateTime<Utc> {
        shifted(Utc::now(), self.lock().faults.clock_offset_secs)
    }

    /// Rolls the fault dice for one GraphQL request.
    pub fn fault(&self) -> (FaultAction, u64) {
        let mut st = self.lock();
        let latency = st.faults.latency_ms;
        if st.faults.burst_429 > 0 {
            st.faults.burst_429 -= 1;
            return (FaultAction::Burst429, latency);
        }
        let roll = st.fault_rng.unit();
        let f = st.faults.clone();
        let action = if roll < f.error_rate {
            FaultAction::Error500
        } else if roll < f.error_rate + f.drop_rate {
            FaultAction::Drop
        } else if roll < f.error_rate + f.drop_rate + f.drop_after_rate {
            FaultAction::DropAfter
        } else {
            FaultAction::None
        };
        (action, latency)
    }

    pub fn set_faults(&self, f: Faults) {
        let mut st = self.lock();
        st.fault_rng = Rng::new(f.seed);
        st.faults = f;
    }

    pub fn set_rate_limit(&self, limit: u32, window_secs: u64) {
        let mut st = self.lock();
        st.config.rate_limit = limit;
        st.config.rate_window_secs = window_secs.max(1);
    }

    pub fn set_url_ttl(&self, secs: u64) {
        self.lock().config.url_ttl_secs = secs;
    }

    pub fn upsert_token(&self, t: TokenSpec) {
        self.lock().tokens.insert(t.token.clone(), t);
    }

    /// Appends to the mutation log (bounded: the oldest entries go first).
    pub fn log(
        st: &mut State,
        caller: &Caller,
        operation: &str,
        dossier: Option<i64>,
        transition: Option<String>,
        error: Option<String>,
    ) {
        if st.log.len() >= MAX_LOG {
            st.log.remove(0);
        }
        let seq = st.log.last().map(|e| e.seq + 1).unwrap_or(1);
        st.log.push(MutationLogEntry {
            seq,
            at: Utc::now(),
            token: caller.token.clone(),
            operation: operation.into(),
            dossier,
            applied: error.is_none(),
            transition,
            error,
        });
    }

    pub fn mutation_log(&self) -> Vec<MutationLogEntry> {
        self.lock().log.clone()
    }

    pub fn request_counts(&self) -> Vec<RequestCount> {
        self.lock()
            .counts
            .iter()
            .map(|((w, t), (a, th))| RequestCount {
                token: t.clone(),
                window_start: *w,
                allowed: *a,
                throttled: *th,
            })
            .collect()
    }

    pub fn dossier(&self, number: i64) -> Option<Arc<DossierRecord>> {
        self.lock().dossiers.get(&number).cloned()
    }

    /// Adds a generated attachment (e.g. 200 MB, or corrupted) to a dossier's first
    /// pièce-justificative champ. Returns the file id.
    pub fn add_attachment(
        &self,
        number: i64,
        size: u64,
        corrupt: bool,
        filename: Option<String>,
    ) -> Result<u64, SandboxError> {
        let spec = AttachmentSpec {
            dossier: number,
            size,
            corrupt,
            filename,
        };
        self.attach(&spec)
    }

    /// Adds the generated file `spec` describes; returns the file id.
    pub fn attach(&self, spec: &AttachmentSpec) -> Result<u64, SandboxError> {
        self.attach_lying(spec, FileLie::default())
    }

    /// [`World::attach`], with the file's size misreported as `lie` says (hostile-DS tests).
    pub fn attach_lying(&self, spec: &AttachmentSpec, lie: FileLie) -> Result<u64, SandboxError> {
        attachments::attach(&mut self.lock(), spec, lie)
    }

    /// Signed download URL of a file, valid for the configured TTL.
    pub fn file_url(&self, file: &FileRecord) -> String {
        let ttl = self.lock().config.url_ttl_secs as i64;
        let exp = Utc::now().timestamp() + ttl;
        let msg = format!("dl:{}:{exp}", file.id);
        let token = util::b64url(&format!(
            "{}.{exp}.{}",
            file.id,
            util::sign(&self.secret, &msg)
        ));
        let name: String = file
            .filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}/storage/blobs/{token}/{name}", self.base_url())
    }

    /// Checks a download token: `Ok(file)`, or `Err(true)` when expired, `Err(false)` when invalid.
    pub fn file_for_token(&self, token: &str) -> Result<Arc<FileRecord>, bool> {
        let raw = util::unb64url(token).ok_or(false)?;
        let mut parts = raw.splitn(3, '.');
        let (id, exp, sig) = (
            parts.next().ok_or(false)?,
            parts.next().ok_or(false)?,
            parts.next().ok_or(false)?,
        );
        let (id, exp): (u64, i64) = (
            id.parse().map_err(|_| false)?,
            exp.parse().map_err(|_| false)?,
        );
        if !util::verify(&self.secret, &format!("dl:{id}:{exp}"), sig) {
            return Err(false);
        }
        if exp <= Utc::now().timestamp() {
            return Err(true);
        }
        self.lock().files.get(&id).cloned().ok_or(false)
    }
}

/// The seeded state, and the first configured attachment that could not be added, if any.
fn build_state(config: SandboxConfig) -> (State, Option<SandboxError>) {
    let mut st = State {
        demarches: BTreeMap::new(),
        instructeurs: BTreeMap::new(),
        dossiers: BTreeMap::new(),
        deleted: Vec::new(),
        files: HashMap::new(),
        blobs: HashMap::new(),
        tokens: config
            .tokens
            .iter()
            .map(|t| (t.token.clone(), t.clone()))
            .collect(),
        log: Vec::new(),
        counts: BTreeMap::new(),
        faults: Faults::default(),
        scans: Default::default(),
        fault_rng: Rng::new(0),
        next_id: 1_000_000_000_000,
        config,
    };
    for (number, _, _) in seed::ALL {
        if let Some((dem, instructeurs)) = seed::demarche(number) {
            for i in instructeurs {
                st.instructeurs.insert(i.id, i);
            }
            let dem = Arc::new(dem);
            st.demarches.insert(number, dem.clone());
            let n = st.config.dossiers_per_demarche.min(MAX_DOSSIERS);
            let sc = Scenario {
                demarche: number,
                dossiers: n,
                seed: st.config.seed,
                states: StateMix::default(),
                deleted: n / 20,
                pending_deleted: n / 40,
            };
            install(&mut st, &dem, &sc);
        }
    }
    let mut error = None;
    for spec in st.config.attachments.clone() {
        if let Err(e) = attachments::attach(&mut st, &spec, FileLie::default()) {
            error.get_or_insert(e);
        }
    }
    (st, error)
}

/// Replaces the démarche's dossiers, deleted dossiers and files with a generated scenario.
fn install(st: &mut State, dem: &DemarcheRecord, sc: &Scenario) {
    let lo = dem.number * 100_000;
    let old: Vec<i64> = st
        .dossiers
        .range(lo..lo + 100_000)
        .map(|(k, _)| *k)
        .collect();
    for k in old {
        st.dossiers.remove(&k);
    }
    st.files
        .retain(|id, _| *id >= 1_000_000_000_000 || (*id as i64 / 100) / 100_000 != dem.number);
    st.deleted.retain(|d| d.demarche != dem.number);
    let (dossiers, deleted, files) = seed::dossiers(dem, sc);
    for f in files {
        st.files.insert(f.id, f);
    }
    for d in dossiers {
        st.dossiers.insert(d.number, Arc::new(d));
    }
    st.deleted.extend(deleted);
}
