//! Administrateur mutations: groupes instructeurs and `demarcheCloner` (world side in
//! `crate::ops_admin`).

use async_graphql::{Context, ID, InputObject, Object, OneofObject, Result, SimpleObject};

use super::mutations::{ValidationError, errs, top};
use super::objects::{DemarcheDescriptor, GroupeInstructeur};
use super::{FindDemarcheInput, caller, world};
use crate::model::GroupeRecord;
use crate::ops_admin::{GroupeOutcome, ProfileRef};

/// `ProfileInput` (@oneOf): an instructeur by id or by email.
#[derive(OneofObject, Clone)]
pub enum ProfileInput {
    Email(String),
    Id(ID),
}

fn refs(list: &[ProfileInput]) -> Vec<ProfileRef> {
    list.iter()
        .map(|p| match p {
            ProfileInput::Email(e) => ProfileRef::Email(e.clone()),
            ProfileInput::Id(i) => ProfileRef::Id(i.0.clone()),
        })
        .collect()
}

#[derive(SimpleObject, Clone)]
pub struct WarningMessage {
    pub message: String,
}

#[derive(InputObject)]
pub struct GroupeInstructeurAttributes {
    pub label: String,
    #[graphql(default_with = "Some(false)")]
    pub closed: Option<bool>,
    #[graphql(default_with = "Some(Vec::new())")]
    pub instructeurs: Option<Vec<ProfileInput>>,
}

#[derive(InputObject)]
pub struct GroupeInstructeurCreerInput {
    pub client_mutation_id: Option<String>,
    pub demarche: FindDemarcheInput,
    pub groupe_instructeur: GroupeInstructeurAttributes,
}

#[derive(InputObject)]
pub struct GroupeInstructeurModifierInput {
    pub client_mutation_id: Option<String>,
    pub groupe_instructeur_id: ID,
    pub label: Option<String>,
    pub closed: Option<bool>,
}

#[derive(InputObject)]
pub struct GroupeInstructeurAjouterInstructeursInput {
    pub client_mutation_id: Option<String>,
    pub groupe_instructeur_id: ID,
    pub instructeurs: Vec<ProfileInput>,
}

#[derive(InputObject)]
pub struct GroupeInstructeurSupprimerInstructeursInput {
    pub client_mutation_id: Option<String>,
    pub groupe_instructeur_id: ID,
    pub instructeurs: Vec<ProfileInput>,
}

macro_rules! groupe_payload {
    ($name:ident { $($extra:tt)* }) => {
        #[derive(SimpleObject)]
        pub struct $name {
            pub client_mutation_id: Option<String>,
            pub groupe_instructeur: Option<GroupeInstructeur>,
            pub errors: Option<Vec<ValidationError>>,
            $($extra)*
        }
    };
}

groupe_payload!(GroupeInstructeurCreerPayload { pub warnings: Option<Vec<WarningMessage>>, });
groupe_payload!(GroupeInstructeurAjouterInstructeursPayload { pub warnings: Option<Vec<WarningMessage>>, });
groupe_payload!(GroupeInstructeurModifierPayload {});
groupe_payload!(GroupeInstructeurSupprimerInstructeursPayload {});

#[derive(InputObject)]
pub struct DemarcheClonerInput {
    pub client_mutation_id: Option<String>,
    pub demarche: FindDemarcheInput,
    pub title: Option<String>,
}

#[derive(SimpleObject)]
pub struct DemarcheClonerPayload {
    pub client_mutation_id: Option<String>,
    pub demarche: Option<DemarcheDescriptor>,
    pub errors: Option<Vec<ValidationError>>,
}

type Parts = (
    Option<GroupeInstructeur>,
    Option<Vec<ValidationError>>,
    Option<Vec<WarningMessage>>,
);

/// The groupe view, errors and warnings of a groupe mutation's outcome.
fn parts(ctx: &Context<'_>, r: GroupeOutcome) -> Result<Parts> {
    match r {
        Err(m) => Ok((None, errs(m), None)),
        Ok((g, warnings)) => {
            let g: GroupeRecord = g;
            let st = world(ctx)?.lock();
            let view = GroupeInstructeur::from_record(&g, &st.instructeurs);
            let w = (!warnings.is_empty()).then(|| {
                warnings
                    .into_iter()
                    .map(|message| WarningMessage { message })
                    .collect()
            });
            Ok((Some(view), None, w))
        }
    }
}

/// Administrateur mutations.
#[derive(Default)]
pub struct AdminMutations;

#[Object]
impl AdminMutations {
    async fn groupe_instructeur_creer(
        &self,
        ctx: &Context<'_>,
        input: GroupeInstructeurCreerInput,
    ) -> Result<Option<GroupeInstructeurCreerPayload>> {
        let c = caller(ctx)?;
        let g = input.groupe_instructeur;
        let r = world(ctx)?
            .groupe_creer(
                &c,
                input.demarche.number(),
                g.label,
                g.closed.unwrap_or(false),
                &refs(&g.instructeurs.unwrap_or_default()),
            )
            .map_err(top)?;
        let (groupe_instructeur, errors, warnings) = parts(ctx, r)?;
        Ok(Some(GroupeInstructeurCreerPayload {
            client_mutation_id: input.client_mutation_id,
            groupe_instructeur,
            errors,
            warnings,
        }))
    }

    async fn groupe_instructeur_modifier(
        &self,
        ctx: &Context<'_>,
        input: GroupeInstructeurModifierInput,
    ) -> Result<Option<GroupeInstructeurModifierPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .groupe_modifier(&c, &input.groupe_instructeur_id, input.label, input.closed)
            .map_err(top)?;
        let (groupe_instructeur, errors, _) = parts(ctx, r)?;
        Ok(Some(GroupeInstructeurModifierPayload {
            client_mutation_id: input.client_mutation_id,
            groupe_instructeur,
            errors,
        }))
    }

    async fn groupe_instructeur_ajouter_instructeurs(
        &self,
        ctx: &Context<'_>,
        input: GroupeInstructeurAjouterInstructeursInput,
    ) -> Result<Option<GroupeInstructeurAjouterInstructeursPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .groupe_instructeurs(
                &c,
                true,
                &input.groupe_instructeur_id,
                &refs(&input.instructeurs),
            )
            .map_err(top)?;
        let (groupe_instructeur, errors, warnings) = parts(ctx, r)?;
        Ok(Some(GroupeInstructeurAjouterInstructeursPayload {
            client_mutation_id: input.client_mutation_id,
            groupe_instructeur,
            errors,
            warnings,
        }))
    }

    async fn groupe_instructeur_supprimer_instructeurs(
        &self,
        ctx: &Context<'_>,
        input: GroupeInstructeurSupprimerInstructeursInput,
    ) -> Result<Option<GroupeInstructeurSupprimerInstructeursPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .groupe_instructeurs(
                &c,
                false,
                &input.groupe_instructeur_id,
                &refs(&input.instructeurs),
            )
            .map_err(top)?;
        let (groupe_instructeur, errors, _) = parts(ctx, r)?;
        Ok(Some(GroupeInstructeurSupprimerInstructeursPayload {
            client_mutation_id: input.client_mutation_id,
            groupe_instructeur,
            errors,
        }))
    }

    /// Clones a démarche the token can see (or an opendata one) as a new draft démarche.
    async fn demarche_cloner(
        &self,
        ctx: &Context<'_>,
        input: DemarcheClonerInput,
    ) -> Result<Option<DemarcheClonerPayload>> {
        let c = caller(ctx)?;
        let shown = match &input.demarche {
            FindDemarcheInput::Number(n) => n.to_string(),
            FindDemarcheInput::Id(id) => id.0.clone(),
        };
        let r = world(ctx)?
            .cloner(&c, input.demarche.number(), shown, input.title)
            .map_err(top)?;
        let (demarche, errors) = match r {
            Ok(d) => (Some(DemarcheDescriptor(d)), None),
            Err(m) => (None, errs(m)),
        };
        Ok(Some(DemarcheClonerPayload {
            client_mutation_id: input.client_mutation_id,
            demarche,
            errors,
        }))
    }
}
