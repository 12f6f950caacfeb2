//! Where a run's dossiers come from: first those the journal says are waiting
//! (a retry, a `pont review retry`), then the config's list or the démarche
//! paged through DS. A dossier whose outcome is committed is never fed again.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use pont_ds::{DossierFilter, DossierState};
use pont_policy::{Action, QueueConfig};

use super::QueuedItem;
use crate::capabilities::ds::DsBackend;
use crate::error::RuntimeError;
use crate::journal::QueueStatus;
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
}

/// Feeds dossiers to the runner, a page at a time.
pub(super) struct QueueSource {
    shared: Arc<RunShared>,
    carried: VecDeque<(i64, Option<i64>)>,
    listing: Listing,
    seen: HashSet<i64>,
    fed: u32,
    batch: Option<u32>,
    /// Dossiers listed but already finished in an earlier run.
    pub already_handled: u32,
    /// The cursor to keep once the run has settled everything it was fed.
    complete_cursor: Option<(i64, String)>,
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
                .queue_entries(&shared.robot, &[QueueStatus::Pending, QueueStatus::Retry])
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
            }),
            (None, None) => Listing::Explicit(config.dossiers.iter().copied().collect()),
        };
        Ok(Self {
            shared,
            carried,
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

    /// Whether the dossier may run now: not fed already in this run and not
    /// finished in an earlier one.
    fn admit(&mut self, number: i64) -> Result<bool, RuntimeError> {
        if !self.room() || !self.seen.insert(number) {
            return Ok(false);
        }
        let entry = self
            .shared
            .journal
            .queue_entry(&self.shared.robot, number)
            .map_err(|e| RuntimeError::Fatal(format!("journal: {e}")))?;
        if entry.is_some_and(|e| !e.status.is_runnable()) {
            self.already_handled += 1;
            return Ok(false);
        }
        self.fed += 1;
        Ok(true)
    }

    /// The next dossiers to run, or `None` when the queue is exhausted.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<QueuedItem>>, RuntimeError> {
        while let Some((number, demarche)) = self.carried.pop_front() {
            if self.admit(number)? {
                return Ok(Some(vec![QueuedItem {
                    number,
                    demarche,
                    dossier: None,
                }]));
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
                    if self.admit(number)? {
                        out.push(QueuedItem {
                            number,
                            demarche: None,
                            dossier: None,
                        });
                    }
                }
                Ok((!out.is_empty()).then_some(out))
            }
            Listing::Demarche(mut listing) => {
                let out = self.next_page(&mut listing).await?;
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
        self.shared
            .gate
            .authorize(
                None,
                &Action::DsRead {
                    what: "queue",
                    demarche: Some(l.demarche),
                    dossier: None,
                },
            )
            .map_err(|d| RuntimeError::Fatal(format!("queue: {}", d.reason)))?;
        let filter = DossierFilter {
            state: (l.states.len() == 1).then(|| l.states[0]),
            updated_since: l.updated_since.clone(),
            first: Some(PAGE_SIZE),
            ..DossierFilter::default()
        };
        let page = ds
            .client()
            .dossiers(l.demarche, &filter, l.after.as_deref())
            .await
            .map_err(|e| RuntimeError::Fatal(format!("listing démarche {}: {e}", l.demarche)))?;
        l.finished = !page.has_next_page;
        if page.end_cursor.is_some() {
            l.after = page.end_cursor.clone();
        }
        let mut out = Vec::new();
        for d in page.items {
            if l.newest
                .as_ref()
                .is_none_or(|n| d.date_derniere_modification > *n)
            {
                l.newest = Some(d.date_derniere_modification.clone());
            }
            if !l.states.is_empty() && !l.states.contains(&d.state) {
                continue;
            }
            if self.admit(d.number)? {
                out.push(QueuedItem {
                    number: d.number,
                    demarche: Some(l.demarche),
                    dossier: Some(d),
                });
            }
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
