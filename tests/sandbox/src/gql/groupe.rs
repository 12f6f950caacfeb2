//! `GroupeInstructeurWithDossiers`, what `Query.groupeInstructeur(number)` returns: a groupe
//! with the dossiers routed to it.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};

use super::connection::{DeletedDossierConnection, DossierConnection, PageArgs};
use super::enums::{DossierState, Order};
use super::listing::{self, DossierFilters};
use super::objects::Profile;
use super::scalars::DateTimeScalar;
use super::world;
use crate::model::{DemarcheRecord, GroupeRecord};
use crate::util::global_id;

pub struct GroupeInstructeurWithDossiers {
    pub groupe: GroupeRecord,
    pub dem: Arc<DemarcheRecord>,
}

#[Object]
impl GroupeInstructeurWithDossiers {
    async fn id(&self) -> ID {
        ID(global_id("GroupeInstructeur", self.groupe.id))
    }
    async fn number(&self) -> i32 {
        self.groupe.number as i32
    }
    async fn label(&self) -> String {
        self.groupe.label.clone()
    }
    async fn closed(&self) -> bool {
        self.groupe.closed
    }
    async fn instructeurs(&self, ctx: &Context<'_>) -> Result<Vec<Profile>> {
        let st = world(ctx)?.lock();
        Ok(self
            .groupe
            .instructeurs
            .iter()
            .filter_map(|i| st.instructeurs.get(i))
            .map(Profile::instructeur)
            .collect())
    }
    #[allow(clippy::too_many_arguments)]
    async fn dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        archived: Option<bool>,
        before: Option<String>,
        created_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
        max_revision: Option<ID>,
        min_revision: Option<ID>,
        #[graphql(
            default_with = "Some(Order::Asc)",
            deprecation = "Utilisez l’argument `last` à la place."
        )]
        order: Option<Order>,
        revision: Option<ID>,
        state: Option<DossierState>,
        updated_since: Option<DateTimeScalar>,
    ) -> Result<DossierConnection> {
        let f = DossierFilters {
            after,
            archived,
            before,
            created_since,
            first,
            last,
            max_revision,
            min_revision,
            order: order.unwrap_or_default(),
            revision,
            state,
            updated_since,
        };
        listing::dossiers(world(ctx)?, &self.dem, Some(self.groupe.number), f)
    }
    #[allow(clippy::too_many_arguments)]
    async fn deleted_dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        deleted_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
        #[graphql(
            default_with = "Some(Order::Asc)",
            deprecation = "Utilisez l’argument `last` à la place."
        )]
        order: Option<Order>,
    ) -> Result<DeletedDossierConnection> {
        let page = PageArgs::new(first, last, after, before)?.ordered(order.unwrap_or_default())?;
        listing::deleted(
            world(ctx)?,
            &self.dem,
            Some(self.groupe.number),
            deleted_since,
            page,
        )
    }
    #[allow(clippy::too_many_arguments)]
    async fn pending_deleted_dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        deleted_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
        #[graphql(
            default_with = "Some(Order::Asc)",
            deprecation = "Utilisez l’argument `last` à la place."
        )]
        order: Option<Order>,
    ) -> Result<DeletedDossierConnection> {
        let page = PageArgs::new(first, last, after, before)?.ordered(order.unwrap_or_default())?;
        listing::pending_deleted(
            world(ctx)?,
            &self.dem,
            Some(self.groupe.number),
            deleted_since,
            page,
        )
    }
}
