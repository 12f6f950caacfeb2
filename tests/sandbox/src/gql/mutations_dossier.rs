//! `dossierDesarchiver`, `dossierBasculeSuivi`, `dossierChangerGroupeInstructeur` and
//! `dossierSupprimerMessage` (world side in `crate::ops_dossier`).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::mutations::{ValidationError, errs, top};
use super::objects::{Dossier, Message, Profile};
use super::{caller, world};

#[derive(InputObject)]
pub struct DossierDesarchiverInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub instructeur_id: ID,
}

#[derive(SimpleObject)]
pub struct DossierDesarchiverPayload {
    pub client_mutation_id: Option<String>,
    pub dossier: Option<Dossier>,
    pub errors: Option<Vec<ValidationError>>,
}

#[derive(InputObject)]
pub struct DossierBasculeSuiviInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub instructeur_id: ID,
    /// Follow (true) or stop following (false).
    #[graphql(default = true)]
    pub follow: bool,
}

#[derive(SimpleObject)]
pub struct DossierBasculeSuiviPayload {
    pub client_mutation_id: Option<String>,
    pub dossier: Option<Dossier>,
    pub instructeur: Option<Profile>,
    pub errors: Option<Vec<ValidationError>>,
}

#[derive(InputObject)]
pub struct DossierChangerGroupeInstructeurInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub groupe_instructeur_id: ID,
}

#[derive(SimpleObject)]
pub struct DossierChangerGroupeInstructeurPayload {
    pub client_mutation_id: Option<String>,
    pub dossier: Option<Dossier>,
    pub errors: Option<Vec<ValidationError>>,
}

#[derive(InputObject)]
pub struct DossierSupprimerMessageInput {
    pub client_mutation_id: Option<String>,
    pub message_id: ID,
    pub instructeur_id: ID,
}

#[derive(SimpleObject)]
pub struct DossierSupprimerMessagePayload {
    pub client_mutation_id: Option<String>,
    pub message: Option<Message>,
    pub errors: Option<Vec<ValidationError>>,
}

/// Dossier mutations beyond state changes.
#[derive(Default)]
pub struct DossierMutations;

#[Object]
impl DossierMutations {
    async fn dossier_desarchiver(
        &self,
        ctx: &Context<'_>,
        input: DossierDesarchiverInput,
    ) -> Result<Option<DossierDesarchiverPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .desarchiver(&c, &input.dossier_id, &input.instructeur_id)
            .map_err(top)?;
        let (dossier, errors) = match r {
            Ok((rec, dem)) => (Some(Dossier { rec, dem }), None),
            Err(m) => (None, errs(m)),
        };
        Ok(Some(DossierDesarchiverPayload {
            client_mutation_id: input.client_mutation_id,
            dossier,
            errors,
        }))
    }

    async fn dossier_bascule_suivi(
        &self,
        ctx: &Context<'_>,
        input: DossierBasculeSuiviInput,
    ) -> Result<Option<DossierBasculeSuiviPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .bascule_suivi(&c, &input.dossier_id, &input.instructeur_id, input.follow)
            .map_err(top)?;
        let (dossier, instructeur, errors) = match r {
            Ok(((rec, dem), i)) => (
                Some(Dossier { rec, dem }),
                Some(Profile::instructeur(&i)),
                None,
            ),
            Err(m) => (None, None, errs(m)),
        };
        Ok(Some(DossierBasculeSuiviPayload {
            client_mutation_id: input.client_mutation_id,
            dossier,
            instructeur,
            errors,
        }))
    }

    /// Acts as the token's administrateur: no instructeur is named.
    async fn dossier_changer_groupe_instructeur(
        &self,
        ctx: &Context<'_>,
        input: DossierChangerGroupeInstructeurInput,
    ) -> Result<Option<DossierChangerGroupeInstructeurPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .changer_groupe(&c, &input.dossier_id, &input.groupe_instructeur_id)
            .map_err(top)?;
        let (dossier, errors) = match r {
            Ok((rec, dem)) => (Some(Dossier { rec, dem }), None),
            Err(m) => (None, errs(m)),
        };
        Ok(Some(DossierChangerGroupeInstructeurPayload {
            client_mutation_id: input.client_mutation_id,
            dossier,
            errors,
        }))
    }

    async fn dossier_supprimer_message(
        &self,
        ctx: &Context<'_>,
        input: DossierSupprimerMessageInput,
    ) -> Result<Option<DossierSupprimerMessagePayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .supprimer_message(&c, &input.message_id, &input.instructeur_id)
            .map_err(top)?;
        let (message, errors) = match r {
            Ok(m) => (Some(Message(m)), None),
            Err(m) => (None, errs(m)),
        };
        Ok(Some(DossierSupprimerMessagePayload {
            client_mutation_id: input.client_mutation_id,
            message,
            errors,
        }))
    }
}
