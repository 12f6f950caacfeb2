//! The GraphQL schema: a strict subset of DS's (checked by `ds-conformance endpoint`).

pub mod champ_build;
pub mod champs;
pub mod columns;
pub mod connection;
pub mod demarche;
pub mod depth;
pub mod descriptors;
pub mod dossier;
pub mod empty;
pub mod enums;
pub mod geo;
pub mod groupe;
pub mod listing;
pub mod mutations;
pub mod mutations_admin;
pub mod mutations_dossier;
pub mod mutations_legacy;
pub mod objects;
pub mod people;
pub mod scalars;

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    Context, EmptySubscription, ErrorExtensions, ID, Object, OneofObject, Result, Schema,
};

use champs::FragmentTypes;
pub use enums::Civilite;
use groupe::GroupeInstructeurWithDossiers;
use objects::{Demarche, DemarcheDescriptor, Dossier};

use crate::world::{Caller, World};

/// The schema type served at `/api/v2/graphql`.
pub type DsSchema = Schema<QueryRoot, mutations::MutationRoot, EmptySubscription>;

/// A top-level error shaped like DS's: `message` and `extensions.code`.
pub fn ds_error(message: impl Into<String>, code: &str) -> async_graphql::Error {
    let code = code.to_owned();
    async_graphql::Error::new(message).extend_with(move |_, e| e.set("code", code.clone()))
}

pub(crate) fn world<'a>(ctx: &Context<'a>) -> Result<&'a Arc<World>> {
    ctx.data::<Arc<World>>()
}

pub(crate) fn caller(ctx: &Context<'_>) -> Result<Caller> {
    ctx.data::<Caller>().cloned()
}

fn hidden(type_name: &str) -> async_graphql::Error {
    ds_error(
        format!("An object of type {type_name} was hidden due to permissions"),
        "unauthorized",
    )
}

/// `FindDemarcheInput` (@oneOf): a démarche by number or by global id.
#[derive(OneofObject, Clone)]
pub enum FindDemarcheInput {
    Number(i32),
    Id(ID),
}

impl FindDemarcheInput {
    /// The démarche number (`None` for an id that is not a `Procedure` one).
    pub fn number(&self) -> Option<i64> {
        match self {
            FindDemarcheInput::Number(n) => Some(i64::from(*n)),
            FindDemarcheInput::Id(id) => crate::util::decode_typed(id, "Procedure"),
        }
    }
}

/// `Query`.
pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// Informations concernant une démarche.
    async fn demarche(&self, ctx: &Context<'_>, number: i32) -> Result<Demarche> {
        let c = caller(ctx)?;
        let dem = world(ctx)?
            .lock()
            .demarches
            .get(&i64::from(number))
            .cloned();
        match dem {
            None => Err(ds_error("Demarche not found", "not_found")),
            Some(d) if !c.can_see(d.number) => Err(hidden("Demarche")),
            Some(d) => Ok(Demarche(d)),
        }
    }

    /// Informations sur un dossier d’une démarche.
    async fn dossier(&self, ctx: &Context<'_>, number: i32) -> Result<Dossier> {
        let c = caller(ctx)?;
        let (rec, dem) = {
            let w = world(ctx)?;
            let st = w.lock();
            let rec = st
                .dossiers
                .get(&i64::from(number))
                .filter(|d| d.hidden_at.is_none())
                .cloned();
            let dem = rec
                .as_ref()
                .and_then(|r| st.demarches.get(&r.demarche).cloned());
            (rec, dem)
        };
        match (rec, dem) {
            (Some(rec), Some(dem)) if c.can_see(dem.number) => Ok(Dossier { rec, dem }),
            (Some(_), Some(_)) => Err(hidden("Dossier")),
            _ => Err(ds_error("Dossier not found", "not_found")),
        }
    }

    /// A démarche's metadata; readable by any token when the démarche is opendata.
    async fn demarche_descriptor(
        &self,
        ctx: &Context<'_>,
        demarche: FindDemarcheInput,
    ) -> Result<Option<DemarcheDescriptor>> {
        let c = caller(ctx)?;
        let dem = demarche
            .number()
            .and_then(|n| world(ctx).ok()?.lock().demarches.get(&n).cloned());
        match dem {
            None => Err(ds_error("DemarcheDescriptor not found", "not_found")),
            Some(d) if !c.can_see(d.number) && !d.opendata => Err(hidden("DemarcheDescriptor")),
            Some(d) => Ok(Some(DemarcheDescriptor(d))),
        }
    }

    /// Informations sur un groupe instructeur.
    async fn groupe_instructeur(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> Result<GroupeInstructeurWithDossiers> {
        let c = caller(ctx)?;
        let found = world(ctx)?.lock().demarches.values().find_map(|d| {
            d.groupes
                .iter()
                .find(|g| g.number == i64::from(number))
                .map(|g| (g.clone(), d.clone()))
        });
        match found {
            None => Err(ds_error(
                "GroupeInstructeurWithDossiers not found",
                "not_found",
            )),
            Some((_, dem)) if !c.can_see(dem.number) => {
                Err(hidden("GroupeInstructeurWithDossiers"))
            }
            Some((groupe, dem)) => Ok(GroupeInstructeurWithDossiers { groupe, dem }),
        }
    }
}

/// Builds the schema. Introspection stays on (DS serves it; the conformance check needs it).
pub fn schema() -> DsSchema {
    Schema::build(
        QueryRoot,
        mutations::MutationRoot::default(),
        EmptySubscription,
    )
    // Deep enough that a document nested past DS's 15 levels gets DS's depth message
    // (`depth::DepthLimit`) rather than async-graphql's recursion one.
    .limit_recursive_depth(128)
    .extension(depth::DepthLimit)
    .extension(crate::fidelity::Fidelity)
    .finish()
}

/// Every type named in a fragment of the document (named fragments and inline fragments),
/// which is what DS's champ type resolution looks at.
pub fn fragment_types(doc: &ExecutableDocument) -> FragmentTypes {
    fn walk(set: &SelectionSet, out: &mut HashSet<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => walk(&f.node.selection_set.node, out, depth + 1),
                Selection::InlineFragment(f) => {
                    if let Some(tc) = &f.node.type_condition {
                        out.insert(tc.node.on.node.to_string());
                    }
                    walk(&f.node.selection_set.node, out, depth + 1);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = HashSet::new();
    for (_, frag) in doc.fragments.iter() {
        out.insert(frag.node.type_condition.node.on.node.to_string());
        walk(&frag.node.selection_set.node, &mut out, 0);
    }
    for (_, op) in doc.operations.iter() {
        walk(&op.node.selection_set.node, &mut out, 0);
    }
    FragmentTypes(out)
}
