//! The dossier listings `Demarche` and `GroupeInstructeurWithDossiers` share: the filters of
//! `dossiers(…)` and the two deletion feeds, optionally restricted to one groupe.

use std::sync::Arc;

use async_graphql::{ID, Result};

use super::connection::{self, DeletedDossierConnection, DossierConnection, PageArgs};
use super::ds_error;
use super::enums::{DossierState, Order};
use super::scalars::DateTimeScalar;
use crate::model::{DeletedRecord, DemarcheRecord, State};
use crate::util;
use crate::world::World;

/// The arguments of `dossiers(…)`.
pub struct DossierFilters {
    pub after: Option<String>,
    pub archived: Option<bool>,
    pub before: Option<String>,
    pub created_since: Option<DateTimeScalar>,
    pub first: Option<i32>,
    pub last: Option<i32>,
    pub max_revision: Option<ID>,
    pub min_revision: Option<ID>,
    pub order: Order,
    pub revision: Option<ID>,
    pub state: Option<DossierState>,
    pub updated_since: Option<DateTimeScalar>,
}

/// Which revision an id names: 0 = published (every dossier is on it), 1 = draft.
fn revision_rank(dem: &DemarcheRecord, id: &ID) -> Result<i64> {
    match util::decode_typed(id, "ProcedureRevision").map(|r| r - dem.revision_id) {
        Some(k @ (0 | 1)) => Ok(k),
        _ => Err(ds_error("DossierConnection not found", "not_found")),
    }
}

/// Whether dossiers (all on the published revision) pass the revision filters. As in DS,
/// `revision` wins over `minRevision`/`maxRevision`.
fn revision_ok(dem: &DemarcheRecord, f: &DossierFilters) -> Result<bool> {
    if let Some(r) = &f.revision {
        return Ok(revision_rank(dem, r)? == 0);
    }
    let min_ok = match &f.min_revision {
        Some(r) => revision_rank(dem, r)? == 0,
        None => true,
    };
    if let Some(r) = &f.max_revision {
        revision_rank(dem, r)?;
    }
    Ok(min_ok)
}

/// A page of the démarche's dossiers (of one groupe when `groupe` is given), ordered by
/// `depose_at`, or by `updated_at` when `updatedSince` is given (then `createdSince` is
/// ignored, as in DS).
pub fn dossiers(
    w: &Arc<World>,
    dem: &Arc<DemarcheRecord>,
    groupe: Option<i64>,
    f: DossierFilters,
) -> Result<DossierConnection> {
    let args =
        PageArgs::new(f.first, f.last, f.after.clone(), f.before.clone())?.ordered(f.order)?;
    let rev_ok = revision_ok(dem, &f)?;
    let number = dem.number;
    let st = w.lock();
    let items: Vec<_> = st
        .dossiers
        .range(number * 100_000..(number + 1) * 100_000)
        .map(|(_, d)| d)
        .filter(|d| rev_ok && d.hidden_at.is_none())
        .filter(|d| groupe.is_none_or(|g| d.groupe == g))
        .filter(|d| f.state.is_none_or(|s| State::from(s) == d.state))
        .filter(|d| f.archived.is_none_or(|a| a == d.archived))
        .filter(|d| match (f.updated_since, f.created_since) {
            (Some(u), _) => d.updated_at >= u.0,
            (None, Some(c)) => d.depose_at >= c.0,
            (None, None) => true,
        })
        .map(|d| {
            let key = if f.updated_since.is_some() {
                d.updated_at
            } else {
                d.depose_at
            };
            (key, d.number, d.clone())
        })
        .collect();
    let fault = st.faults.cursor;
    drop(st);
    connection::dossiers(items, &args, dem, fault)
}

/// Purged dossiers (`deletedDossiers`). A groupe's feed is empty: DS forgets the groupe of a
/// purged dossier.
pub fn deleted(
    w: &Arc<World>,
    dem: &DemarcheRecord,
    groupe: Option<i64>,
    since: Option<DateTimeScalar>,
    args: PageArgs,
) -> Result<DeletedDossierConnection> {
    let st = w.lock();
    let items = st
        .deleted
        .iter()
        .filter(|d| groupe.is_none() && d.demarche == dem.number)
        .filter(|d| since.is_none_or(|s| d.deleted_at >= s.0))
        .map(|d| (d.deleted_at, d.id, d.clone()))
        .collect();
    let fault = st.faults.cursor;
    drop(st);
    connection::deleted(items, &args, fault)
}

/// Dossiers hidden by the usager or the administration and not purged yet.
pub fn pending_deleted(
    w: &Arc<World>,
    dem: &DemarcheRecord,
    groupe: Option<i64>,
    since: Option<DateTimeScalar>,
    args: PageArgs,
) -> Result<DeletedDossierConnection> {
    let number = dem.number;
    let st = w.lock();
    let items = st
        .dossiers
        .range(number * 100_000..(number + 1) * 100_000)
        .filter(|(_, d)| groupe.is_none_or(|g| d.groupe == g))
        .filter_map(|(_, d)| d.hidden_at.map(|h| (h, d)))
        .filter(|(h, _)| since.is_none_or(|s| *h >= s.0))
        .map(|(h, d)| {
            let reason = if d.state == State::EnConstruction {
                "user_request"
            } else {
                "instructeur_request"
            };
            let rec = DeletedRecord {
                id: d.number,
                number: d.number,
                demarche: number,
                state: d.state,
                reason,
                deleted_at: h,
            };
            (h, d.number, rec)
        })
        .collect();
    let fault = st.faults.cursor;
    drop(st);
    connection::deleted(items, &args, fault)
}
