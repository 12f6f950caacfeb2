//! Where a run's dossiers come from: first those the journal holds for it (a
//! retry, a `pont review retry`, a wait that is due or ends within the run),
//! then the config's list or the démarche paged through DS. A dossier whose
//! outcome is committed is never fed again.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use pont_ds::{Dossier, DossierFilter, DossierState};
use pont_policy::{Action, QueueConfig, Reprocess};

use super::QueuedItem;
use super::episode::Basis;
use crate::capabilities::ds::DsBackend;
use crate::error::RuntimeError;
use crate::journal::{QueueEntry, QueueStatus};
use crate::store::RunShared;

/// DS's largest page.
const PAGE_SIZE: u32 = 100;

/// What the queue still has to list.
enum Listing {
    Explicit(VecDeque<i64>),
    Demarche(DemarcheListing),
    Nothing,
}

struct DemarcheListing {
    demarche: i64,
    states: Vec<DossierState>,
    updated_since: Option<String>,
    after: Option<String>,
    finished: bool,
    /// The newest `dateDerniereModification` seen: the next cursor.
    newest: Option<String>,
    /// The next page, asked for while the items of the last one run.
    ahead: Option<Ahead>,
}

type PageResult = Result<pont_ds::Page<Dossier>, RuntimeError>;

/// A page fetched ahead: DS's answer time then overlaps the robot's work on
/// the page before instead of adding to it. Nothing is claimed from a page
/// until the runner takes it, so one dropped unused (a stop, a full batch)
/// costs only its request, which is abandoned.
struct Ahead(tokio::task::JoinHandle<PageResult>);

impl Drop for Ahead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One page of the listing, the gate deciding (and auditing) the read.
async fn fetch_page(
    shared: Arc<RunShared>,
    ds: Arc<DsBackend>,
    (demarche, filter, after): (i64, DossierFilter, Option<String>),
) -> PageResult {
    let action = Action::DsRead {
        what: "queue",
        demarche: Some(demarche),
        dossier: None,
    };
    let permit = (shared.gate)
        .authorize(None, &action)
        .map_err(|d| RuntimeError::Fatal(format!("queue: {}", d.reason)))?;
    ds.client()
        .dossiers(&permit, demarche, &filter, after.as_deref())
        .await
        .map_err(|e| RuntimeError::Fatal(format!("listing démarche {demarche}: {e}")))
}

impl DemarcheListing {
    fn request(&self) -> (i64, DossierFilter, Option<String>) {
        let filter = DossierFilter {
            state: (self.states.len() == 1).then(|| self.states[0]),
            updated_since: self.updated_since.clone(),
            first: Some(PAGE_SIZE),
            ..DossierFilter::default()
        };
        (self.demarche, filter, self.after.clone())
    }

    /// Start fetching the page after the last one taken.
    fn ask(&mut self, shared: &Arc<RunShared>, ds: &Arc<DsBackend>) {
        let fetch = fetch_page(shared.clone(), ds.clone(), self.request());
        self.ahead = Some(Ahead(tokio::spawn(fetch)));
    }

    /// The next page: the one fetched ahead, or fetched now.
    async fn take(&mut self, shared: &Arc<RunShared>, ds: &Arc<DsBackend>) -> PageResult {
        match self.ahead.take() {
            Some(mut ahead) => (&mut ahead.0)
                .await
                .map_err(|e| RuntimeError::Fatal(format!("listing task: {e}")))?,
            None => fetch_page(shared.clone(), ds.clone(), self.request()).await,
        }
    }
}

/// Whether a dossier is fed in this run, and when (`Some`: a wait that ends
/// within the run).
enum Admit {
    No,
    Yes(Option<chrono::DateTime<chrono::Utc>>),
}

/// Feeds dossiers to the runner, a page at a time.
pub(super) struct QueueSource {
    shared: Arc<RunShared>,
    carried: VecDeque<(i64, Option<i64>)>,
    /// A wait ending within this long is served by the run.
    wait_in_run: std::time::Duration,
    /// Whether a settled dossier DS shows changed starts a new episode.
    reprocess: Reprocess,
    /// Dossiers that started a new episode in this run's listing.
    pub new_episodes: u32,
    listing: Listing,
    seen: HashSet<i64>,
    fed: u32,
    batch: Option<u32>,
    /// Dossiers listed but already finished in an earlier run.
    pub already_handled: u32,
    /// Dossiers waiting past the end of this run (a later run feeds them).
    pub still_waiting: u32,
    /// The cursor to keep once the run has settled everything it was fed.
    complete_cursor: Option<(i64, String)>,
}

fn journal_err(e: rusqlite::Error) -> RuntimeError {
    RuntimeError::Fatal(format!("journal: {e}"))
}

fn cursor_name(demarche: i64) -> String {
    format!("updated-since/{demarche}")
}

fn ds_state(s: &str) -> Option<DossierState> {
    Some(match s {
        "en_construction" => DossierState::EnConstruction,
        "en_instruction" => DossierState::EnInstruction,
        "accepte" => DossierState::Accepte,
        "refuse" => DossierState::Refuse,
        "sans_suite" => DossierState::SansSuite,
        _ => return None,
    })
}

impl QueueSource {
    /// `only`: run just these dossiers (a review retry), nothing else.
    pub fn new(
        shared: Arc<RunShared>,
        config: &QueueConfig,
        only: Option<&[i64]>,
    ) -> Result<Self, RuntimeError> {
        let journal = &shared.journal;
        let fatal = |e: rusqlite::Error| RuntimeError::Fatal(format!("journal: {e}"));
        let carried: VecDeque<_> = match only {
            Some(numbers) => numbers.iter().map(|n| (*n, None)).collect(),
            None => journal
                .queue_entries(
                    &shared.robot,
                    &[
                        QueueStatus::Pending,
                        QueueStatus::Retry,
                        QueueStatus::Waiting,
                    ],
                )
                .map_err(fatal)?
                .into_iter()
                .map(|e| (e.number, e.demarche))
                .collect(),
        };
        let listing = match (only, config.demarche) {
            (Some(_), _) => Listing::Nothing,
            (None, Some(demarche)) => Listing::Demarche(DemarcheListing {
                demarche,
                states: config.states.iter().filter_map(|s| ds_state(s)).collect(),
                updated_since: if config.incremental {
                    journal
                        .cursor(&shared.robot, &cursor_name(demarche))
                        .map_err(fatal)?
                } else {
                    None
                },
                after: None,
                finished: false,
                newest: None,
                ahead: None,
            }),
            (None, None) => Listing::Explicit(config.dossiers.iter().copied().collect()),
        };
        Ok(Self {
            shared,
            carried,
            wait_in_run: config.wait.in_run,
            reprocess: config.reprocess,
            new_episodes: 0,
            still_waiting: 0,
            listing,
            seen: HashSet::new(),
            fed: 0,
            batch: config.batch,
            already_handled: 0,
            complete_cursor: None,
        })
    }

    fn room(&self) -> bool {
        self.batch.is_none_or(|b| self.fed < b)
    }

    /// Whether the dossier may run in this run, and from when: not fed
    /// already in this run, not finished in an earlier one, and not waiting
    /// past the run's own wait window.
    fn admit(&mut self, number: i64, listed: Option<&Dossier>) -> Result<Admit, RuntimeError> {
        if !self.room() || !self.seen.insert(number) {
            return Ok(Admit::No);
        }
        let entry = self
            .shared
            .journal
            .queue_entry(&self.shared.robot, number)
            .map_err(journal_err)?;
        let now = chrono::Utc::now();
        let due = match entry {
            None => now,
            Some(e) => match e.due() {
                Some(due) => due,
                None if self.reopens(&e, listed)? => now,
                None => {
                    self.already_handled += 1;
                    return Ok(Admit::No);
                }
            },
        };
        let window = chrono::Duration::from_std(self.wait_in_run).unwrap_or_default();
        if due > now + window {
            self.still_waiting += 1;
            return Ok(Admit::No);
        }
        self.fed += 1;
        Ok(Admit::Yes((due > now).then_some(due)))
    }

    /// Whether a settled dossier starts a new episode because DS shows a
    /// change the robot did not make. A dossier settled without a basis
    /// (before episodes, or never read from a listing) adopts what DS shows.
    fn reopens(&mut self, e: &QueueEntry, listed: Option<&Dossier>) -> Result<bool, RuntimeError> {
        let Some(d) = listed.filter(|_| self.reprocess == Reprocess::OnChange) else {
            return Ok(false);
        };
        if !e.status.is_settled() {
            return Ok(false);
        }
        let journal = &self.shared.journal;
        let robot = &self.shared.robot;
        let seen = Basis::seen(d);
        let Some(basis) = e.basis.as_deref().and_then(Basis::from_json) else {
            journal
                .adopt_basis(robot, e.number, &seen.to_json())
                .map_err(journal_err)?;
            return Ok(false);
        };
        let Some(why) = basis.change(&seen) else {
            return Ok(false);
        };
        let started = journal
            .new_episode(robot, e.number, &why, &seen.to_json())
            .map_err(journal_err)?;
        if let Some(episode) = started {
            tracing::info!("dossier {}: episode {episode} starts: {why}", e.number);
            self.new_episodes += 1;
        }
        Ok(started.is_some())
    }

    /// The item for an admitted dossier, or nothing.
    fn item(
        &mut self,
        number: i64,
        demarche: Option<i64>,
        dossier: Option<pont_ds::Dossier>,
    ) -> Result<Option<QueuedItem>, RuntimeError> {
        Ok(match self.admit(number, dossier.as_ref())? {
            Admit::No => None,
            Admit::Yes(wake_at) => Some(QueuedItem {
                number,
                demarche,
                review: dossier.as_ref().and_then(Dossier::review_reason),
                dossier,
                wake_at,
            }),
        })
    }

    /// The next dossiers to run, or `None` when the queue is exhausted.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<QueuedItem>>, RuntimeError> {
        while let Some((number, demarche)) = self.carried.pop_front() {
            if let Some(item) = self.item(number, demarche, None)? {
                return Ok(Some(vec![item]));
            }
        }
        if !self.room() {
            return Ok(None);
        }
        match std::mem::replace(&mut self.listing, Listing::Nothing) {
            Listing::Nothing => Ok(None),
            Listing::Explicit(mut list) => {
                let mut out = Vec::new();
                while let Some(number) = list.pop_front() {
                    out.extend(self.item(number, None, None)?);
                }
                Ok((!out.is_empty()).then_some(out))
            }
            Listing::Demarche(mut listing) => {
                let started = std::time::Instant::now();
                let out = self.next_page(&mut listing).await;
                let took = started.elapsed();
                self.shared.profile.add(super::Phase::Listing, took);
                let out = out?;
                if listing.finished {
                    if self.room() {
                        self.complete_cursor =
                            listing.newest.clone().map(|n| (listing.demarche, n));
                    }
                } else {
                    self.listing = Listing::Demarche(listing);
                }
                Ok(Some(out))
            }
        }
    }

    async fn next_page(
        &mut self,
        l: &mut DemarcheListing,
    ) -> Result<Vec<QueuedItem>, RuntimeError> {
        let ds = self.ds()?;
        let page = l.take(&self.shared, &ds).await?;
        l.finished = !page.has_next_page;
        if page.end_cursor.is_some() {
            l.after = page.end_cursor.clone();
        }
        if !l.finished && self.room() {
            l.ask(&self.shared, &ds);
        }
        let mut out = Vec::new();
        // A dossier DS sent with an error is its own item, for a person.
        for u in page.unread {
            if let Some(mut item) = self.item(u.number, Some(l.demarche), None)? {
                item.review = Some(format!("DS could not give this dossier: {}", u.reason));
                out.push(item);
            }
        }
        for d in page.items {
            if l.newest
                .as_ref()
                .is_none_or(|n| d.date_derniere_modification > *n)
            {
                l.newest = Some(d.date_derniere_modification.clone());
            }
            // A state DS added later is no reason to skip it: a person looks.
            let unknown = d.state == DossierState::Unknown;
            if !l.states.is_empty() && !l.states.contains(&d.state) && !unknown {
                continue;
            }
            out.extend(self.item(d.number, Some(l.demarche), Some(d))?);
        }
        Ok(out)
    }

    fn ds(&self) -> Result<Arc<DsBackend>, RuntimeError> {
        self.shared.ds.clone().ok_or_else(|| {
            RuntimeError::Fatal(
                "queue.demarche needs DS: a [ds] section and the `read` action requested and granted"
                    .into(),
            )
        })
    }

    /// Call once every fed dossier is settled: when the listing went to its
    /// end, the next run asks DS only for what changed since. Saving it any
    /// earlier would lose the dossiers listed but not yet claimed if the host
    /// died in between.
    pub fn save_cursor(&self) -> Result<(), RuntimeError> {
        let Some((demarche, newest)) = &self.complete_cursor else {
            return Ok(());
        };
        self.shared
            .journal
            .set_cursor(&self.shared.robot, &cursor_name(*demarche), newest)
            .map_err(|e| RuntimeError::Fatal(format!("journal: {e}")))
    }
}
