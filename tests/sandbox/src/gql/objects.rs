//! Object types: `Demarche`, `Dossier` and what hangs off them. Each is a thin view over an
//! `Arc` record, so resolving a page never holds the world lock for long.

use std::sync::Arc;

use async_graphql::{Context, ID, Interface, Object, Result, SimpleObject};

use super::champs::{self, Champ, FragmentTypes};
use super::connection::{self, DeletedDossierConnection, DossierConnection, PageArgs};
use super::descriptors::{self, ChampDescriptor};
use super::enums::*;
use super::scalars::{BigInt, DateTimeScalar, Url};
use super::world;
use crate::model::*;
use crate::util::{self, global_id};

/// `Demarche`.
pub struct Demarche(pub Arc<DemarcheRecord>);

#[Object]
impl Demarche {
    async fn id(&self) -> ID {
        ID(global_id("Procedure", self.0.number))
    }
    async fn number(&self) -> i32 {
        self.0.number as i32
    }
    async fn title(&self) -> String {
        self.0.title.clone()
    }
    async fn description(&self) -> String {
        self.0.description.clone()
    }
    async fn state(&self) -> DemarcheState {
        DemarcheState::parse(self.0.state)
    }
    async fn date_creation(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.created_at)
    }
    async fn active_revision(&self) -> Revision {
        Revision(self.0.clone())
    }
    async fn groupe_instructeurs(
        &self,
        ctx: &Context<'_>,
        closed: Option<bool>,
    ) -> Result<Vec<GroupeInstructeur>> {
        let w = world(ctx)?;
        let st = w.lock();
        Ok(self
            .0
            .groupes
            .iter()
            .filter(|g| closed.is_none_or(|c| c == g.closed))
            .map(|g| GroupeInstructeur::from_record(g, &st.instructeurs))
            .collect())
    }
    async fn labels(&self) -> Vec<Label> {
        self.0.labels.iter().map(Label::from).collect()
    }
    /// Dossiers visible to the administration, ordered by `depose_at`, or by `updated_at`
    /// when `updatedSince` is given (then `createdSince` is ignored, as in DS).
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
        revision: Option<ID>,
        state: Option<DossierState>,
        updated_since: Option<DateTimeScalar>,
    ) -> Result<DossierConnection> {
        let args = PageArgs::new(first, last, after, before)?;
        let w = world(ctx)?;
        let number = self.0.number;
        let rev_ok = revision.is_none_or(|r| {
            util::decode_typed(&r, "ProcedureRevision") == Some(self.0.revision_id)
        });
        let items: Vec<_> = {
            let st = w.lock();
            st.dossiers
                .range(number * 100_000..(number + 1) * 100_000)
                .map(|(_, d)| d)
                .filter(|d| rev_ok && d.hidden_at.is_none())
                .filter(|d| state.is_none_or(|s| State::from(s) == d.state))
                .filter(|d| archived.is_none_or(|a| a == d.archived))
                .filter(|d| match (updated_since, created_since) {
                    (Some(u), _) => d.updated_at >= u.0,
                    (None, Some(c)) => d.depose_at >= c.0,
                    (None, None) => true,
                })
                .map(|d| {
                    (
                        if updated_since.is_some() {
                            d.updated_at
                        } else {
                            d.depose_at
                        },
                        d.number,
                        d.clone(),
                    )
                })
                .collect()
        };
        let fault = w.lock().faults.cursor;
        connection::dossiers(items, &args, &self.0, fault)
    }
    async fn deleted_dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        deleted_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<DeletedDossierConnection> {
        let args = PageArgs::new(first, last, after, before)?;
        let w = world(ctx)?;
        let items = w
            .lock()
            .deleted
            .iter()
            .filter(|d| {
                d.demarche == self.0.number && deleted_since.is_none_or(|s| d.deleted_at >= s.0)
            })
            .map(|d| (d.deleted_at, d.id, d.clone()))
            .collect();
        let fault = w.lock().faults.cursor;
        connection::deleted(items, &args, fault)
    }
    /// Dossiers hidden by the usager or the administration and not purged yet.
    async fn pending_deleted_dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        deleted_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<DeletedDossierConnection> {
        let args = PageArgs::new(first, last, after, before)?;
        let w = world(ctx)?;
        let number = self.0.number;
        let items = w
            .lock()
            .dossiers
            .range(number * 100_000..(number + 1) * 100_000)
            .filter_map(|(_, d)| d.hidden_at.map(|h| (h, d)))
            .filter(|(h, _)| deleted_since.is_none_or(|s| *h >= s.0))
            .map(|(h, d)| {
                let reason = if d.state == State::EnConstruction {
                    "user_request"
                } else {
                    "instructeur_request"
                };
                (
                    h,
                    d.number,
                    DeletedRecord {
                        id: d.number,
                        number: d.number,
                        demarche: number,
                        state: d.state,
                        reason,
                        deleted_at: h,
                    },
                )
            })
            .collect();
        let fault = w.lock().faults.cursor;
        connection::deleted(items, &args, fault)
    }
}

/// `Revision` (only the active one exists in the simulator).
pub struct Revision(pub Arc<DemarcheRecord>);

#[Object]
impl Revision {
    async fn id(&self) -> ID {
        ID(global_id("ProcedureRevision", self.0.revision_id))
    }
    async fn date_creation(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.created_at)
    }
    async fn champ_descriptors(&self) -> Vec<ChampDescriptor> {
        self.0.champs.iter().map(descriptors::build).collect()
    }
    async fn annotation_descriptors(&self) -> Vec<ChampDescriptor> {
        self.0.annotations.iter().map(descriptors::build).collect()
    }
}

/// `DemarcheDescriptor`, what `Dossier.demarche` returns.
pub struct DemarcheDescriptor(pub Arc<DemarcheRecord>);

#[Object]
impl DemarcheDescriptor {
    async fn id(&self) -> ID {
        ID(global_id("Procedure", self.0.number))
    }
    async fn number(&self) -> i32 {
        self.0.number as i32
    }
    async fn title(&self) -> String {
        self.0.title.clone()
    }
    async fn description(&self) -> String {
        self.0.description.clone()
    }
    async fn state(&self) -> DemarcheState {
        DemarcheState::parse(self.0.state)
    }
    async fn revision(&self) -> Revision {
        Revision(self.0.clone())
    }
}

/// `Profile`: an instructeur or an usager.
#[derive(Clone, SimpleObject)]
pub struct Profile {
    pub id: ID,
    pub email: String,
}

impl Profile {
    pub fn instructeur(i: &InstructeurRecord) -> Profile {
        Profile {
            id: ID(global_id("Instructeur", i.id)),
            email: i.email.clone(),
        }
    }
}

/// `GroupeInstructeur`.
#[derive(Clone, SimpleObject)]
pub struct GroupeInstructeur {
    pub id: ID,
    pub number: i32,
    pub label: String,
    pub closed: bool,
    pub instructeurs: Vec<Profile>,
}

impl GroupeInstructeur {
    pub fn from_record(
        g: &GroupeRecord,
        all: &std::collections::BTreeMap<i64, InstructeurRecord>,
    ) -> Self {
        GroupeInstructeur {
            id: ID(global_id("GroupeInstructeur", g.id)),
            number: g.number as i32,
            label: g.label.clone(),
            closed: g.closed,
            instructeurs: g
                .instructeurs
                .iter()
                .filter_map(|i| all.get(i))
                .map(Profile::instructeur)
                .collect(),
        }
    }
}

/// `Label`.
#[derive(Clone, SimpleObject)]
pub struct Label {
    pub id: ID,
    pub name: String,
    pub color: LabelColorEnum,
}

impl From<&LabelRecord> for Label {
    fn from(l: &LabelRecord) -> Self {
        Label {
            id: ID(global_id("Label", l.id)),
            name: l.name.clone(),
            color: LabelColorEnum::parse(l.color),
        }
    }
}

/// `File`: its URL is signed and expires (1 h by default, like DS's ActiveStorage URLs).
pub struct FileObj(pub Arc<FileRecord>);

#[Object(name = "File")]
impl FileObj {
    async fn url(&self, ctx: &Context<'_>) -> Result<Url> {
        Ok(Url(world(ctx)?.file_url(&self.0)))
    }
    async fn filename(&self) -> String {
        self.0.filename.clone()
    }
    async fn content_type(&self) -> String {
        self.0.content_type.clone()
    }
    /// base64 MD5; hashing a big generated file runs off the async workers.
    async fn checksum(&self) -> Result<String> {
        if let Some(c) = self.0.checksum.get() {
            return Ok(c.clone());
        }
        let f = self.0.clone();
        tokio::task::spawn_blocking(move || f.checksum_blocking())
            .await
            .map_err(|e| async_graphql::Error::new(e.to_string()))
    }
    async fn byte_size(&self) -> i32 {
        i32::try_from(self.0.declared_size()).unwrap_or(i32::MAX)
    }
    async fn byte_size_big_int(&self) -> BigInt {
        BigInt(i64::try_from(self.0.declared_size()).unwrap_or(i64::MAX))
    }
    async fn created_at(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.created_at)
    }
    async fn virus_scan_result(&self) -> String {
        "safe".into()
    }
}

/// `Address`.
pub struct AddressObj(pub AddressData);

#[Object(name = "Address")]
impl AddressObj {
    async fn label(&self) -> String {
        self.0.label.clone()
    }
    async fn street_address(&self) -> Option<String> {
        Some(self.0.street.clone())
    }
    async fn postal_code(&self) -> String {
        self.0.postal_code.clone()
    }
    async fn city_name(&self) -> String {
        self.0.city_name.clone()
    }
    async fn city_code(&self) -> String {
        self.0.city_code.clone()
    }
    async fn department_code(&self) -> Option<String> {
        Some(self.0.department_code.clone())
    }
    async fn department_name(&self) -> Option<String> {
        Some(self.0.department_name.clone())
    }
    async fn region_code(&self) -> Option<String> {
        Some(self.0.region_code.clone())
    }
    async fn region_name(&self) -> Option<String> {
        Some(self.0.region_name.clone())
    }
}

/// `Entreprise` (the part of it the simulator knows).
#[derive(SimpleObject)]
pub struct Entreprise {
    pub siren: String,
    pub raison_sociale: String,
    pub nom_commercial: String,
    pub siret_siege_social: String,
    pub inline_adresse: String,
}

/// `PersonneMorale`: SIRET demandeur or the établissement of a SIRET champ.
pub struct PersonneMorale(pub Etablissement);

#[Object]
impl PersonneMorale {
    async fn id(&self) -> ID {
        ID(global_id("Etablissement", &self.0.siret))
    }
    async fn siret(&self) -> String {
        self.0.siret.clone()
    }
    async fn siege_social(&self) -> bool {
        true
    }
    async fn naf(&self) -> Option<String> {
        Some(self.0.naf.clone())
    }
    async fn libelle_naf(&self) -> String {
        self.0.libelle_naf.clone()
    }
    async fn address(&self) -> AddressObj {
        AddressObj(self.0.address.clone())
    }
    async fn entreprise(&self) -> Option<Entreprise> {
        Some(Entreprise {
            siren: self.0.siret.chars().take(9).collect(),
            raison_sociale: self.0.raison_sociale.clone(),
            nom_commercial: String::new(),
            siret_siege_social: self.0.siret.clone(),
            inline_adresse: self.0.address.label.clone(),
        })
    }
}

/// `PersonnePhysique`.
pub struct PersonnePhysique {
    pub id: ID,
    pub civilite: Option<Civilite>,
    pub nom: String,
    pub prenom: String,
    pub email: Option<String>,
}

#[Object]
impl PersonnePhysique {
    async fn id(&self) -> ID {
        self.id.clone()
    }
    async fn civilite(&self) -> Option<Civilite> {
        self.civilite
    }
    async fn nom(&self) -> String {
        self.nom.clone()
    }
    async fn prenom(&self) -> String {
        self.prenom.clone()
    }
    async fn email(&self) -> Option<String> {
        self.email.clone()
    }
}

/// `interface Demandeur`.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Demandeur {
    PersonnePhysique(PersonnePhysique),
    PersonneMorale(PersonneMorale),
}

/// `Correction`.
#[derive(SimpleObject)]
pub struct Correction {
    pub reason: CorrectionReason,
    pub date_resolution: Option<DateTimeScalar>,
}

/// `Message`.
pub struct Message(pub MessageRecord);

#[Object]
impl Message {
    async fn id(&self) -> ID {
        ID(global_id("Commentaire", self.0.id))
    }
    async fn email(&self) -> String {
        self.0.email.clone()
    }
    async fn body(&self) -> String {
        self.0.body.clone()
    }
    async fn created_at(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.created_at)
    }
    async fn discarded_at(&self) -> Option<DateTimeScalar> {
        None
    }
    async fn attachments(&self) -> Vec<FileObj> {
        self.0.attachments.iter().cloned().map(FileObj).collect()
    }
    async fn correction(&self) -> Option<Correction> {
        self.0.correction.map(|(r, d)| Correction {
            reason: r.into(),
            date_resolution: d.map(DateTimeScalar),
        })
    }
}

/// `Traitement`.
#[derive(SimpleObject)]
pub struct Traitement {
    pub id: ID,
    pub event: TraitementEvent,
    pub state: DossierState,
    pub date_traitement: DateTimeScalar,
    pub email_agent_traitant: Option<String>,
    pub motivation: Option<String>,
}

/// `DeletedDossier`.
pub struct DeletedDossier(pub DeletedRecord);

#[Object]
impl DeletedDossier {
    async fn id(&self) -> ID {
        ID(global_id("DeletedDossier", self.0.id))
    }
    async fn number(&self) -> i32 {
        self.0.number as i32
    }
    async fn state(&self) -> DossierState {
        self.0.state.into()
    }
    async fn reason(&self) -> DeletedDossierReason {
        DeletedDossierReason::parse(self.0.reason)
    }
    /// Spelled with one "p", as in DS.
    async fn date_supression(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.deleted_at)
    }
}

pub use super::dossier::Dossier;

/// Champs of a dossier as GraphQL views, optionally only the one with `id`.
pub fn champ_views(
    ctx: &Context<'_>,
    descs: &[Descriptor],
    recs: &[ChampRecord],
    id: Option<&ID>,
) -> Vec<Champ> {
    let empty = FragmentTypes::default();
    let frags = ctx.data::<FragmentTypes>().unwrap_or(&empty);
    descs
        .iter()
        .filter_map(|d| {
            recs.iter()
                .find(|r| r.stable_id == d.stable_id)
                .map(|r| (d, r))
        })
        .filter(|(d, _)| {
            id.is_none_or(|i| util::decode_champ_id(i).map(|x| x.0) == Some(d.stable_id))
        })
        .map(|(d, r)| champs::build(d, r, None, frags))
        .collect()
}
