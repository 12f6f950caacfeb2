//! Read operations.

use pont_policy::Permit;

use crate::client::DsClient;
use crate::error::DsError;
use crate::model::{
    DeletedDossier, Demarche, Dossier, DossierFilter, DossierKey, DossierState, Message, Page,
};
use crate::ops;
use crate::paging::check_page;
use crate::permit;

/// DS's page size cap.
pub const MAX_PAGE_SIZE: u32 = 100;

/// What the client needs to know to decide whether a mutation was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierStatus {
    /// Global id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// State.
    pub state: DossierState,
    /// Archived.
    pub archived: bool,
    /// Ids of its labels.
    pub label_ids: Vec<String>,
}

impl DossierStatus {
    /// The key mutations take.
    pub fn key(&self) -> DossierKey {
        DossierKey {
            id: self.id.clone(),
            number: self.number,
        }
    }
}

/// A page, unless its cursor cannot lead further (see [`check_page`]).
fn checked<T>(after: Option<&str>, page: Page<T>) -> Result<Page<T>, DsError> {
    check_page(after, &page)?;
    Ok(page)
}

fn page_size(first: Option<u32>) -> i64 {
    i64::from(first.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE))
}

macro_rules! deleted_page {
    ($self:ident, $op:ident, $m:ident, $field:ident, $demarche:expr, $since:expr, $after:expr, $first:expr) => {{
        let vars = ops::$m::Variables {
            demarche: $demarche,
            deleted_since: $since.map(str::to_string),
            first: Some(page_size($first)),
            after: $after.map(str::to_string),
        };
        let data = $self.query::<ops::$op>(vars).await?;
        let conn = data.demarche.$field;
        checked(
            $after,
            Page {
                items: conn
                    .nodes
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                    .map(DeletedDossier::from)
                    .collect(),
                end_cursor: conn.page_info.end_cursor,
                has_next_page: conn.page_info.has_next_page,
                unread: Vec::new(),
            },
        )
    }};
}

impl DsClient {
    /// A démarche: active revision's descriptors, groupes with their
    /// instructeurs, labels.
    pub async fn demarche(&self, permit: &Permit, number: i64) -> Result<Demarche, DsError> {
        permit::demarche(permit, number)?;
        let data = self
            .query::<ops::GetDemarche>(ops::get_demarche::Variables { number })
            .await?;
        Ok(data.demarche.into())
    }

    /// The id of the instructeur with this e-mail, found in the démarche's
    /// groupes instructeurs (mutations name the acting instructeur by id).
    pub async fn resolve_instructeur(
        &self,
        permit: &Permit,
        demarche: i64,
        email: &str,
    ) -> Result<String, DsError> {
        let d = self.demarche(permit, demarche).await?;
        d.instructeur_id(email)
            .map(str::to_string)
            .ok_or_else(|| DsError::InstructeurNotFound {
                email: email.to_string(),
                demarche,
            })
    }

    /// A dossier with its champs and annotations.
    pub async fn dossier(&self, permit: &Permit, number: i64) -> Result<Dossier, DsError> {
        permit::dossier(permit, number)?;
        let data = self
            .query::<ops::GetDossier>(ops::get_dossier::Variables { number })
            .await?;
        Ok(data.dossier.into())
    }

    /// One page of a démarche's dossiers (at most 100); pass the previous
    /// page's `end_cursor` as `after` for the next one. Dossiers DS sent with
    /// an error are in [`Page::unread`], the rest in [`Page::items`]; when DS
    /// times out, the page is asked again smaller (it may hold fewer than
    /// asked: follow `has_next_page`). A page announcing
    /// more without a new cursor is [`DsError::Pagination`]; a whole listing
    /// is safer with [`DsClient::next_dossiers`], which also catches cycles.
    pub async fn dossiers(
        &self,
        permit: &Permit,
        demarche: i64,
        filter: &DossierFilter,
        after: Option<&str>,
    ) -> Result<Page<Dossier>, DsError> {
        permit::listing(permit, demarche)?;
        let vars = ops::dossiers_page::Variables {
            demarche,
            state: filter.state.map(crate::values::Wire::Known),
            archived: filter.archived,
            created_since: filter.created_since.clone(),
            updated_since: filter.updated_since.clone(),
            revision: filter.revision.clone(),
            first: Some(page_size(filter.first)),
            after: after.map(str::to_string),
        };
        let wanted = u32::try_from(page_size(filter.first)).unwrap_or(MAX_PAGE_SIZE);
        let page = self.dossier_page(vars, wanted).await?;
        checked(after, page)
    }

    /// One page of dossiers deleted since `since` (ISO 8601).
    pub async fn deleted_dossiers(
        &self,
        permit: &Permit,
        demarche: i64,
        since: Option<&str>,
        after: Option<&str>,
        first: Option<u32>,
    ) -> Result<Page<DeletedDossier>, DsError> {
        permit::listing(permit, demarche)?;
        deleted_page!(
            self,
            DeletedDossiers,
            deleted_dossiers,
            deleted_dossiers,
            demarche,
            since,
            after,
            first
        )
    }

    /// One page of dossiers hidden and awaiting deletion since `since`.
    pub async fn pending_deleted_dossiers(
        &self,
        permit: &Permit,
        demarche: i64,
        since: Option<&str>,
        after: Option<&str>,
        first: Option<u32>,
    ) -> Result<Page<DeletedDossier>, DsError> {
        permit::listing(permit, demarche)?;
        deleted_page!(
            self,
            PendingDeletedDossiers,
            pending_deleted_dossiers,
            pending_deleted_dossiers,
            demarche,
            since,
            after,
            first
        )
    }

    /// The messages of a dossier.
    pub async fn messages(&self, permit: &Permit, number: i64) -> Result<Vec<Message>, DsError> {
        permit::dossier(permit, number)?;
        self.messages_of(number).await
    }

    /// The messages, for a caller that already checked its permit.
    pub(crate) async fn messages_of(&self, number: i64) -> Result<Vec<Message>, DsError> {
        let data = self
            .query::<ops::DossierMessages>(ops::dossier_messages::Variables { number })
            .await?;
        Ok(data
            .dossier
            .messages
            .into_iter()
            .map(Message::from)
            .collect())
    }

    /// A light read of a dossier's state, archive flag and labels.
    pub async fn dossier_status(
        &self,
        permit: &Permit,
        number: i64,
    ) -> Result<DossierStatus, DsError> {
        permit::dossier(permit, number)?;
        self.status_of(number).await
    }

    /// The status, for a caller that already checked its permit.
    pub(crate) async fn status_of(&self, number: i64) -> Result<DossierStatus, DsError> {
        let data = self
            .query::<ops::DossierStatus>(ops::dossier_status::Variables { number })
            .await?;
        let d = data.dossier;
        Ok(DossierStatus {
            id: d.id,
            number: d.number,
            state: d.state.value(),
            archived: d.archived,
            label_ids: d.labels.into_iter().map(|l| l.id).collect(),
        })
    }

    /// The key (global id and number) of a dossier, for mutations.
    pub async fn dossier_key(&self, permit: &Permit, number: i64) -> Result<DossierKey, DsError> {
        Ok(self.dossier_status(permit, number).await?.key())
    }
}
