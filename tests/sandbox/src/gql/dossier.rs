//! The `Dossier` object.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};

use chrono::{DateTime, Months, NaiveDate, Utc};

use super::champs::Champ;
use super::enums::{ConnectionUsager, DossierState};
use super::objects::*;
use super::scalars::{DateScalar, DateTimeScalar};
use super::world;
use crate::exports::ExportKind;
use crate::model::{
    ChampRecord, DemandeurRecord, DemarcheRecord, DossierRecord, FileLie, FileRecord, Kind, State,
    Value,
};
use crate::util::{global_id, mix};

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
        self.rec.justificatif.clone().map(FileObj::new)
    }
    async fn usager(&self, ctx: &Context<'_>) -> Result<Profile> {
        crate::fidelity::invalid_null(world(ctx)?, self.rec.number, "Dossier.usager")?;
        Ok(Profile {
            id: ID(global_id("User", self.rec.usager_id)),
            email: self.rec.usager_email.clone(),
        })
    }
    /// A degraded établissement ([`crate::guards`]) reads as a `PersonneMoraleIncomplete`
    /// when the document has a fragment on that type, as DS resolves it.
    async fn demandeur(&self, ctx: &Context<'_>) -> Demandeur {
        if let DemandeurRecord::Morale(e) = &self.rec.demandeur
            && ctx
                .data_opt::<super::champs::FragmentTypes>()
                .is_some_and(|f| f.0.contains("PersonneMoraleIncomplete"))
            && world(ctx).is_ok_and(|w| w.siret_degraded(&e.siret))
        {
            return Demandeur::PersonneMoraleIncomplete(PersonneMoraleIncomplete {
                id: ID(global_id("Etablissement", &e.siret)),
                siret: e.siret.clone(),
            });
        }
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
                date_de_naissance: self.birth_date(),
            }),
            DemandeurRecord::Morale(e) => Demandeur::PersonneMorale(PersonneMorale((**e).clone())),
            DemandeurRecord::MoraleIncomplete { siret } => {
                Demandeur::PersonneMoraleIncomplete(PersonneMoraleIncomplete {
                    id: ID(global_id("Etablissement", siret)),
                    siret: siret.clone(),
                })
            }
        }
    }
    async fn prenom_mandataire(&self) -> Option<String> {
        None
    }
    async fn nom_mandataire(&self) -> Option<String> {
        None
    }
    /// No seeded dossier was filed on someone else's behalf.
    async fn depose_par_un_tiers(&self) -> Option<bool> {
        Some(false)
    }
    /// About one usager in five signed in with FranceConnect.
    async fn connection_usager(&self) -> ConnectionUsager {
        if mix(self.rec.number as u64).is_multiple_of(5) {
            ConnectionUsager::FranceConnect
        } else {
            ConnectionUsager::Password
        }
    }
    /// Twelve months (the démarche's retention) after the dépôt or the decision; none
    /// while the dossier is en instruction, as in DS.
    async fn date_expiration(&self) -> Option<DateTimeScalar> {
        let from: DateTime<Utc> = match self.rec.state {
            State::EnInstruction => return None,
            State::EnConstruction => self.rec.depose_at,
            _ => self.rec.traite_at.unwrap_or(self.rec.depose_at),
        };
        from.checked_add_months(Months::new(12)).map(DateTimeScalar)
    }
    /// Visible dossiers are never hidden, so these are always null here.
    async fn date_suppression_par_usager(&self) -> Option<DateTimeScalar> {
        None
    }
    async fn date_suppression_par_administration(&self) -> Option<DateTimeScalar> {
        None
    }
    /// The sandbox has no SVA/SVR démarche.
    #[graphql(name = "datePrevisionnelleDecisionSVASVR")]
    async fn date_previsionnelle_decision_sva_svr(&self) -> Option<DateScalar> {
        None
    }
    #[graphql(name = "dateTraitementSVASVR")]
    async fn date_traitement_sva_svr(&self) -> Option<DateTimeScalar> {
        None
    }
    #[graphql(deprecation = "Utilisez le champ `demarche.revision` à la place.")]
    async fn revision(&self) -> Revision {
        Revision::published(&self.dem)
    }
    /// The dossier as a PDF, rendered when the link is fetched.
    async fn pdf(&self, ctx: &Context<'_>) -> Result<Option<FileObj>> {
        self.export(ctx, ExportKind::Pdf).map(Some)
    }
    /// The dossier's geo areas as GeoJSON, rendered when the link is fetched.
    async fn geojson(&self, ctx: &Context<'_>) -> Result<Option<FileObj>> {
        self.export(ctx, ExportKind::GeoJson).map(Some)
    }
    /// Once accepted, on démarches with an attestation template.
    async fn attestation(&self, ctx: &Context<'_>) -> Result<Option<FileObj>> {
        Ok(world(ctx)?
            .attestation(&self.rec, &self.dem)
            .map(FileObj::new))
    }
    async fn avis(&self, ctx: &Context<'_>, id: Option<ID>) -> Result<Vec<Avis>> {
        let w = world(ctx)?;
        let st = w.lock();
        Ok(self
            .rec
            .avis
            .iter()
            .filter(|a| id.as_ref().is_none_or(|i| i.0 == global_id("Avis", a.id)))
            .map(|a| Avis {
                rec: a.clone(),
                claimant: st
                    .instructeurs
                    .get(&a.claimant)
                    .map(Profile::instructeur)
                    .unwrap_or_else(|| Profile {
                        id: ID(global_id("Instructeur", a.claimant)),
                        email: String::new(),
                    }),
            })
            .collect())
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
                revision: Some(Revision::published(&self.dem)),
                date_traitement: DateTimeScalar(t.at),
                email_agent_traitant: t.email.clone(),
                motivation: t.motivation.clone(),
            })
            .collect()
    }
}

impl Dossier {
    /// The birth date DS asks usagers for on démarches that want it: here, the one with a
    /// "Date de naissance" champ.
    fn birth_date(&self) -> Option<NaiveDate> {
        let d = self
            .dem
            .champs
            .iter()
            .find(|d| d.kind == Kind::Date && d.label == "Date de naissance")?;
        match self
            .rec
            .champs
            .iter()
            .find(|c: &&ChampRecord| c.stable_id == d.stable_id)
        {
            Some(ChampRecord {
                value: Value::Date(x),
                ..
            }) => Some(*x),
            _ => None,
        }
    }

    fn export(&self, ctx: &Context<'_>, kind: ExportKind) -> Result<FileObj> {
        let w = world(ctx)?;
        let (filename, content_type) = match kind {
            ExportKind::Pdf => (
                format!("dossier-{}.pdf", self.rec.number),
                "application/pdf",
            ),
            ExportKind::GeoJson => (
                format!("dossier-{}-features.json", self.rec.number),
                "application/json",
            ),
        };
        let rec = Arc::new(FileRecord {
            id: 0,
            filename,
            content_type: content_type.into(),
            created_at: Utc::now(),
            content: crate::model::Content::Bytes(bytes::Bytes::new()),
            checksum: std::sync::OnceLock::new(),
            lie: FileLie::default(),
        });
        Ok(FileObj {
            rec,
            export: Some(Export {
                url: w.export_url(self.rec.number, kind),
            }),
        })
    }
}
