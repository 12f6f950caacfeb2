//! Object types hanging off `Dossier` and `Demarche`: profiles, groupes, labels, files,
//! addresses, messages, traitements, avis. Each is a thin view over an `Arc` record, so
//! resolving a page never holds the world lock for long.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::champs::{self, Champ, FragmentTypes};
use super::enums::*;
use super::geo::{self, GeoJson};
use super::scalars::{BigInt, DateTimeScalar, Url};
use super::world;
use crate::model::*;
use crate::util::{self, global_id};

pub use super::demarche::{Demarche, DemarcheDescriptor, Revision};
pub use super::people::*;

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

/// A file DS describes without a blob (`Dossier.pdf`, `Dossier.geojson`): a URL to a route
/// that renders it on demand, `byteSize` 0, an empty checksum and a pending virus scan.
#[derive(Clone)]
pub struct Export {
    pub url: String,
}

/// `File`: its URL is signed and expires (1 h by default, like DS's ActiveStorage URLs).
#[derive(Clone)]
pub struct FileObj {
    pub rec: Arc<FileRecord>,
    pub export: Option<Export>,
}

impl FileObj {
    pub fn new(rec: Arc<FileRecord>) -> Self {
        FileObj { rec, export: None }
    }
}

#[Object(name = "File")]
impl FileObj {
    async fn url(&self, ctx: &Context<'_>) -> Result<Url> {
        match &self.export {
            Some(e) => Ok(Url(e.url.clone())),
            None => Ok(Url(world(ctx)?.file_url(&self.rec))),
        }
    }
    async fn filename(&self) -> String {
        self.rec.filename.clone()
    }
    async fn content_type(&self) -> String {
        self.rec.content_type.clone()
    }
    /// base64 MD5; hashing a big generated file runs off the async workers.
    async fn checksum(&self) -> Result<String> {
        if self.export.is_some() {
            return Ok(String::new());
        }
        if let Some(c) = self.rec.checksum.get() {
            return Ok(c.clone());
        }
        let f = self.rec.clone();
        tokio::task::spawn_blocking(move || f.checksum_blocking())
            .await
            .map_err(|e| async_graphql::Error::new(e.to_string()))
    }
    #[graphql(deprecation = "Utilisez le champ `byteSizeBigInt` à la place.")]
    async fn byte_size(&self) -> i32 {
        i32::try_from(self.size()).unwrap_or(i32::MAX)
    }
    async fn byte_size_big_int(&self) -> BigInt {
        BigInt(i64::try_from(self.size()).unwrap_or(i64::MAX))
    }
    async fn created_at(&self) -> DateTimeScalar {
        DateTimeScalar(self.rec.created_at)
    }
    /// `pending` for an export and for an upload whose scan runs ([`crate::scan`]).
    async fn virus_scan_result(&self, ctx: &Context<'_>) -> Result<String> {
        if self.export.is_some() {
            return Ok("pending".into());
        }
        Ok(world(ctx)?.virus_scan_result(self.rec.id).into())
    }
}

impl FileObj {
    fn size(&self) -> u64 {
        if self.export.is_some() {
            0
        } else {
            self.rec.declared_size()
        }
    }
}

/// `Address`: the seeded addresses are plate-level (`housenumber`) French addresses.
pub struct AddressObj(pub AddressData);

impl AddressObj {
    /// "12 rue Victor Hugo" → ("12", "rue Victor Hugo").
    fn street_parts(&self) -> (Option<String>, Option<String>) {
        match self.0.street.split_once(' ') {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => {
                (Some(n.to_owned()), Some(rest.to_owned()))
            }
            _ => (None, Some(self.0.street.clone())),
        }
    }
}

#[Object(name = "Address")]
impl AddressObj {
    async fn label(&self) -> String {
        self.0.label.clone()
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> AddressType {
        AddressType::Housenumber
    }
    async fn street_address(&self) -> Option<String> {
        Some(self.0.street.clone())
    }
    async fn street_number(&self) -> Option<String> {
        self.street_parts().0
    }
    async fn street_name(&self) -> Option<String> {
        self.street_parts().1
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
    async fn country_code(&self) -> Option<String> {
        Some("FR".into())
    }
    async fn country_name(&self) -> Option<String> {
        Some("France".into())
    }
    /// The commune's position (the seeded streets are not geocoded more finely).
    async fn geometry(&self) -> Option<GeoJson> {
        let (lon, lat) = crate::seed::extras::commune_point(&self.0.city_code);
        Some(geo::point(lon, lat))
    }
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
        self.0.discarded_at.map(DateTimeScalar)
    }
    async fn attachments(&self) -> Vec<FileObj> {
        self.0
            .attachments
            .iter()
            .cloned()
            .map(FileObj::new)
            .collect()
    }
    #[graphql(deprecation = "Utilisez le champ `attachments` à la place.")]
    async fn attachment(&self) -> Option<FileObj> {
        self.0.attachments.first().cloned().map(FileObj::new)
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
    #[graphql(deprecation = "Utilisez le champ `event` à la place.")]
    pub state: DossierState,
    /// The revision the dossier was on: the published one.
    pub revision: Option<Revision>,
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

/// `Avis`: the claimant and expert profiles are resolved when the dossier is read.
pub struct Avis {
    pub rec: AvisRecord,
    pub claimant: Profile,
}

#[Object]
impl Avis {
    async fn id(&self) -> ID {
        ID(global_id("Avis", self.rec.id))
    }
    async fn question(&self) -> String {
        self.rec.question.clone()
    }
    async fn reponse(&self) -> Option<String> {
        self.rec.answer.clone()
    }
    async fn question_label(&self) -> Option<String> {
        self.rec.question_label.clone()
    }
    async fn question_answer(&self) -> Option<bool> {
        self.rec.question_answer
    }
    async fn date_question(&self) -> DateTimeScalar {
        DateTimeScalar(self.rec.created_at)
    }
    async fn date_reponse(&self) -> Option<DateTimeScalar> {
        self.rec.answered_at.map(DateTimeScalar)
    }
    async fn attachments(&self) -> Vec<FileObj> {
        self.rec
            .attachments
            .iter()
            .cloned()
            .map(FileObj::new)
            .collect()
    }
    #[graphql(deprecation = "Utilisez le champ `attachments` à la place.")]
    async fn attachment(&self) -> Option<FileObj> {
        self.rec.attachments.first().cloned().map(FileObj::new)
    }
    #[graphql(deprecation = "Utilisez le champ `claimant` à la place.")]
    async fn instructeur(&self) -> Profile {
        self.claimant.clone()
    }
    async fn claimant(&self) -> Option<Profile> {
        Some(self.claimant.clone())
    }
    async fn expert(&self) -> Option<Profile> {
        Some(Profile {
            id: ID(global_id(
                "Expert",
                util::mix(
                    self.rec
                        .expert_email
                        .bytes()
                        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
                ) % 100_000,
            )),
            email: self.rec.expert_email.clone(),
        })
    }
}
