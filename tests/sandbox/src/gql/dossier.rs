//! The `Dossier` object.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};

use super::champs::Champ;
use super::enums::DossierState;
use super::objects::*;
use super::scalars::DateTimeScalar;
use super::world;
use crate::model::{DemandeurRecord, DemarcheRecord, DossierRecord};
use crate::util::global_id;

/// `Dossier`: a snapshot of the record taken when the query (or mutation) read it.
pub struct Dossier {
    pub rec: Arc<DossierRecord>,
    pub dem: Arc<DemarcheRecord>,
}

#[Object]
impl Dossier {
    async fn id(&self) -> ID {
        ID(global_id("Dossier", self.rec.number))
    }
    async fn number(&self) -> i32 {
        self.rec.number as i32
    }
    async fn state(&self) -> DossierState {
        self.rec.state.into()
    }
    async fn archived(&self) -> bool {
        self.rec.archived
    }
    async fn prefilled(&self) -> bool {
        false
    }
    async fn date_depot(&self) -> DateTimeScalar {
        DateTimeScalar(self.rec.depose_at)
    }
    async fn date_passage_en_construction(&self) -> DateTimeScalar {
        DateTimeScalar(self.rec.depose_at)
    }
    async fn date_derniere_modification(&self) -> DateTimeScalar {
        DateTimeScalar(self.rec.updated_at)
    }
    async fn date_derniere_modification_champs(&self) -> DateTimeScalar {
        DateTimeScalar(
            self.rec
                .champs
                .iter()
                .map(|c| c.updated_at)
                .max()
                .unwrap_or(self.rec.depose_at),
        )
    }
    async fn date_derniere_modification_annotations(&self) -> DateTimeScalar {
        DateTimeScalar(
            self.rec
                .annotations
                .iter()
                .map(|c| c.updated_at)
                .max()
                .unwrap_or(self.rec.depose_at),
        )
    }
    /// The latest correction request the usager has not dealt with yet.
    async fn date_derniere_correction_en_attente(&self) -> Option<DateTimeScalar> {
        self.rec
            .messages
            .iter()
            .filter(|m| matches!(m.correction, Some((_, None))))
            .map(|m| m.created_at)
            .max()
            .map(DateTimeScalar)
    }
    async fn date_passage_en_instruction(&self) -> Option<DateTimeScalar> {
        self.rec.en_instruction_at.map(DateTimeScalar)
    }
    async fn date_traitement(&self) -> Option<DateTimeScalar> {
        self.rec.traite_at.map(DateTimeScalar)
    }
    async fn motivation(&self) -> Option<String> {
        self.rec.motivation.clone()
    }
    async fn motivation_attachment(&self) -> Option<FileObj> {
        self.rec.justificatif.clone().map(FileObj)
    }
    async fn usager(&self) -> Profile {
        Profile {
            id: ID(global_id("User", self.rec.usager_id)),
            email: self.rec.usager_email.clone(),
        }
    }
    async fn demandeur(&self) -> Demandeur {
        match &self.rec.demandeur {
            DemandeurRecord::Physique {
                civilite,
                nom,
                prenom,
                email,
            } => Demandeur::PersonnePhysique(PersonnePhysique {
                id: ID(global_id("Individual", self.rec.number)),
                civilite: civilite.map(|c| {
                    if c == "M" {
                        super::Civilite::M
                    } else {
                        super::Civilite::Mme
                    }
                }),
                nom: nom.clone(),
                prenom: prenom.clone(),
                email: email.clone(),
            }),
            DemandeurRecord::Morale(e) => Demandeur::PersonneMorale(PersonneMorale((**e).clone())),
        }
    }
    async fn groupe_instructeur(&self, ctx: &Context<'_>) -> Result<GroupeInstructeur> {
        let w = world(ctx)?;
        let st = w.lock();
        self.dem
            .groupes
            .iter()
            .find(|g| g.number == self.rec.groupe)
            .map(|g| GroupeInstructeur::from_record(g, &st.instructeurs))
            .ok_or_else(|| super::ds_error("GroupeInstructeur not found", "not_found"))
    }
    async fn demarche(&self) -> DemarcheDescriptor {
        DemarcheDescriptor(self.dem.clone())
    }
    async fn labels(&self) -> Vec<Label> {
        self.dem
            .labels
            .iter()
            .filter(|l| self.rec.labels.contains(&l.id))
            .map(Label::from)
            .collect()
    }
    async fn champs(&self, ctx: &Context<'_>, id: Option<ID>) -> Vec<Champ> {
        champ_views(ctx, &self.dem.champs, &self.rec.champs, id.as_ref())
    }
    async fn annotations(&self, ctx: &Context<'_>, id: Option<ID>) -> Vec<Champ> {
        champ_views(
            ctx,
            &self.dem.annotations,
            &self.rec.annotations,
            id.as_ref(),
        )
    }
    async fn messages(&self, id: Option<ID>) -> Vec<Message> {
        self.rec
            .messages
            .iter()
            .filter(|m| {
                id.as_ref()
                    .is_none_or(|i| i.0 == global_id("Commentaire", m.id))
            })
            .cloned()
            .map(Message)
            .collect()
    }
    /// Instructeurs following the dossier.
    async fn instructeurs(&self, ctx: &Context<'_>) -> Result<Vec<Profile>> {
        let w = world(ctx)?;
        let st = w.lock();
        Ok(self
            .rec
            .followers
            .iter()
            .filter_map(|i| st.instructeurs.get(i))
            .map(Profile::instructeur)
            .collect())
    }
    async fn traitements(&self) -> Vec<Traitement> {
        self.rec
            .traitements
            .iter()
            .map(|t| Traitement {
                id: ID(global_id("Traitement", t.id)),
                event: t.event.into(),
                state: t.state.into(),
                date_traitement: DateTimeScalar(t.at),
                email_agent_traitant: t.email.clone(),
                motivation: t.motivation.clone(),
            })
            .collect()
    }
}
