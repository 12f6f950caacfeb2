//! The simulator's world as plain data: démarches with their champ descriptors, dossiers with
//! typed champ values, files, messages, traitements. GraphQL objects are views over these.
//!
//! Records are shared as `Arc` and replaced copy-on-write by mutations, so a query reading a
//! page of dossiers never holds the world lock while it resolves fields.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// `DossierState` values, spelled as DS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    EnConstruction,
    EnInstruction,
    Accepte,
    Refuse,
    SansSuite,
}

impl State {
    /// DS's `dossier_display_state(dossier, lower: true)`, used in "Le dossier est déjà …".
    pub fn display_lower(self) -> &'static str {
        match self {
            State::EnConstruction => "en construction",
            State::EnInstruction => "en instruction",
            State::Accepte => "accepté",
            State::Refuse => "refusé",
            State::SansSuite => "classé sans suite",
        }
    }
    pub fn is_termine(self) -> bool {
        matches!(self, State::Accepte | State::Refuse | State::SansSuite)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            State::EnConstruction => "en_construction",
            State::EnInstruction => "en_instruction",
            State::Accepte => "accepte",
            State::Refuse => "refuse",
            State::SansSuite => "sans_suite",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [
            State::EnConstruction,
            State::EnInstruction,
            State::Accepte,
            State::Refuse,
            State::SansSuite,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// DS's `type_champ`, reduced to the types the seeded démarches use.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text,
    Textarea,
    Email,
    Phone,
    Checkbox,
    YesNo,
    IntegerNumber,
    DecimalNumber,
    Date,
    Datetime,
    DropDownList {
        options: Vec<String>,
        other: bool,
    },
    MultipleDropDownList {
        options: Vec<String>,
    },
    LinkedDropDownList {
        options: Vec<String>,
    },
    Civilite,
    PieceJustificative,
    Siret,
    Address,
    Commune,
    Departement,
    Region,
    Pays,
    Repetition {
        children: Vec<Descriptor>,
    },
    HeaderSection {
        level: i32,
    },
    Explication,
    /// An engagement juridique number (Chorus): its own champ type in DS.
    EngagementJuridique,
    /// Resolved as `TextChamp` by DS, with its own descriptor type.
    Iban,
    /// The legacy `number` type: resolved as `IntegerNumberChamp`.
    Number,
    /// Types DS resolves as `TextChamp`, each with its own descriptor type.
    Formatted,
    Referentiel,
    Cnaf,
    Dgfip,
    PoleEmploi,
    Mesri,
    Cojo,
    AnnuaireEducation,
    /// A map: geo areas drawn by the usager or picked from the cadastre.
    Carte,
    /// A link to another dossier (value: its number).
    DossierLink,
    Epci,
    Rna,
    Rnf,
    /// An identity document: DS never exposes the file, only whether it is there.
    TitreIdentite,
}

/// A type de champ of the active revision. `stable_id` survives revisions, hence its use in ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    pub stable_id: u64,
    pub label: String,
    pub description: Option<String>,
    pub required: bool,
    pub kind: Kind,
}

/// An établissement as the SIRET champ and `PersonneMorale` expose it.
#[derive(Debug, Clone, PartialEq)]
pub struct Etablissement {
    pub siret: String,
    pub naf: String,
    pub libelle_naf: String,
    pub address: AddressData,
    pub raison_sociale: String,
}

/// The `Address` type's main parts.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressData {
    pub label: String,
    pub street: String,
    pub postal_code: String,
    pub city_name: String,
    pub city_code: String,
    pub department_code: String,
    pub department_name: String,
    pub region_code: String,
    pub region_name: String,
}

/// A typed champ value. `Empty` is an unfilled champ (DS still returns the champ).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Bool(bool),
    Int(i64),
    Decimal(f64),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Multi(Vec<String>),
    Linked(String, Option<String>),
    Files(Vec<Arc<FileRecord>>),
    Siret(Box<Etablissement>),
    Address(Box<AddressData>),
    /// Commune: name, INSEE code, postal code, département code, département name.
    Commune {
        name: String,
        code: String,
        postal_code: String,
        dep_code: String,
        dep_name: String,
    },
    /// Département, région or pays: code and name.
    Code {
        code: String,
        name: String,
    },
    Rows(Vec<RowRecord>),
    /// The areas of a carte champ.
    GeoAreas(Vec<GeoAreaRecord>),
    /// An EPCI and its département.
    Epci {
        code: String,
        name: String,
        dep_code: String,
        dep_name: String,
    },
    /// An RNA (associations) or RNF (foundations) entry.
    Registry {
        id: String,
        title: String,
        address: Box<AddressData>,
    },
}

/// Where a geo area comes from (`GeoAreaSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoSource {
    Cadastre,
    SelectionUtilisateur,
}

/// A cadastral parcel's identifiers (`ParcelleCadastrale`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parcelle {
    /// INSEE code of the commune.
    pub commune: String,
    pub nom_commune: String,
    pub prefixe: String,
    pub section: String,
    pub numero: String,
    /// Surface in m².
    pub surface: f64,
}

/// One geo area of a carte champ; `geometry` is a GeoJSON geometry object.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoAreaRecord {
    pub id: u64,
    pub source: GeoSource,
    pub description: Option<String>,
    pub geometry: serde_json::Value,
    pub parcelle: Option<Parcelle>,
}

/// An avis asked of an expert by an instructeur (the claimant).
#[derive(Debug, Clone, PartialEq)]
pub struct AvisRecord {
    pub id: u64,
    pub question: String,
    /// A yes/no question asked with the avis, and the expert's answer to it.
    pub question_label: Option<String>,
    pub question_answer: Option<bool>,
    pub answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Instructeur id of the claimant.
    pub claimant: i64,
    pub expert_email: String,
    pub attachments: Vec<Arc<FileRecord>>,
}

/// The service that runs a démarche (`Service`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRecord {
    pub id: i64,
    pub nom: String,
    pub organisme: String,
    /// A `TypeOrganisme` value, spelled as DS spells it.
    pub type_organisme: &'static str,
    pub siret: Option<String>,
}

/// One champ of one dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct ChampRecord {
    pub stable_id: u64,
    pub value: Value,
    pub updated_at: DateTime<Utc>,
}

/// One row of a repetition; `id` gives `Row-<id>` and the `|<id>` suffix of its champs' ids.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRecord {
    pub id: u64,
    pub champs: Vec<ChampRecord>,
}

/// Where a file's bytes come from.
#[derive(Debug, Clone)]
pub enum Content {
    /// Uploaded bytes (direct upload) or small fixed content.
    Bytes(bytes::Bytes),
    /// Bytes generated on the fly from a seed: big attachments never sit in memory.
    /// `corrupt` flips the first byte when served, so the checksum no longer matches.
    Generated { seed: u64, len: u64, corrupt: bool },
}

/// An ActiveStorage blob attached somewhere (champ, message, justificatif).
#[derive(Debug)]
pub struct FileRecord {
    pub id: u64,
    pub filename: String,
    pub content_type: String,
    pub created_at: DateTime<Utc>,
    pub content: Content,
    /// base64 MD5, computed lazily for generated content (hashing 200 MB takes a while).
    pub checksum: OnceLock<String>,
    /// How a hostile DS misdescribes the file (a fault control); the default tells the truth.
    pub lie: FileLie,
}

/// A file misdescribed on purpose, to test clients against a hostile or broken DS. The
/// checksum stays the true MD5 of the bytes served, so only the size is a lie.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileLie {
    /// Size announced in `byteSize` and `byteSizeBigInt` instead of the real one (0 included).
    pub declared_size: Option<u64>,
    /// Serve the bytes without `Content-Length` (chunked), so a client learns the real size
    /// only by reading.
    pub hide_length: bool,
}

impl PartialEq for FileRecord {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl FileRecord {
    pub fn byte_size(&self) -> u64 {
        match &self.content {
            Content::Bytes(b) => b.len() as u64,
            Content::Generated { len, .. } => *len,
        }
    }
    /// The size `File.byteSize` announces: the real one unless [`FileLie`] says otherwise.
    pub fn declared_size(&self) -> u64 {
        self.lie.declared_size.unwrap_or_else(|| self.byte_size())
    }
    /// The checksum; for generated content this hashes the whole stream the first time.
    pub fn checksum_blocking(&self) -> String {
        self.checksum
            .get_or_init(|| match &self.content {
                Content::Bytes(b) => crate::util::md5_base64(b),
                Content::Generated { seed, len, .. } => {
                    crate::util::generated_checksum(*seed, *len)
                }
            })
            .clone()
    }
}

/// `CorrectionReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionReasonKind {
    Incorrect,
    Incomplete,
    Outdated,
}

/// A message (DS `Commentaire`).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub id: u64,
    pub email: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<Arc<FileRecord>>,
    pub correction: Option<(CorrectionReasonKind, Option<DateTime<Utc>>)>,
    /// Set by `dossierSupprimerMessage` (the body is then emptied, as DS does).
    pub discarded_at: Option<DateTime<Utc>>,
}

/// `TraitementEvent` values the simulator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Depose,
    PasseEnInstruction,
    RepasseEnConstruction,
    RepasseEnInstruction,
    Accepte,
    Refuse,
    ClasseSansSuite,
}

/// One entry of `Dossier.traitements`.
#[derive(Debug, Clone, PartialEq)]
pub struct TraitementRecord {
    pub id: u64,
    pub event: Event,
    pub state: State,
    pub at: DateTime<Utc>,
    pub email: Option<String>,
    pub motivation: Option<String>,
}

/// The demandeur: a person (`PersonnePhysique`) or an établissement (`PersonneMorale`).
#[derive(Debug, Clone, PartialEq)]
pub enum DemandeurRecord {
    Physique {
        civilite: Option<&'static str>,
        nom: String,
        prenom: String,
        email: Option<String>,
    },
    Morale(Box<Etablissement>),
    /// A SIRET whose établissement data could not be fetched (`PersonneMoraleIncomplete`).
    MoraleIncomplete {
        siret: String,
    },
}

/// A dossier as the administration sees it (drafts are never in the world).
#[derive(Debug, Clone, PartialEq)]
pub struct DossierRecord {
    pub number: i64,
    pub demarche: i64,
    pub state: State,
    pub archived: bool,
    pub depose_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub en_instruction_at: Option<DateTime<Utc>>,
    pub traite_at: Option<DateTime<Utc>>,
    pub motivation: Option<String>,
    pub justificatif: Option<Arc<FileRecord>>,
    pub usager_id: u64,
    pub usager_email: String,
    pub demandeur: DemandeurRecord,
    pub groupe: i64,
    pub labels: Vec<i64>,
    pub followers: Vec<i64>,
    pub champs: Vec<ChampRecord>,
    pub annotations: Vec<ChampRecord>,
    pub messages: Vec<MessageRecord>,
    pub traitements: Vec<TraitementRecord>,
    pub avis: Vec<AvisRecord>,
    /// Hidden by the usager or the administration, not purged yet (`pendingDeletedDossiers`).
    pub hidden_at: Option<DateTime<Utc>>,
}

/// A groupe instructeur; `instructeurs` are instructeur ids (see [`InstructeurRecord`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupeRecord {
    pub id: i64,
    pub number: i64,
    pub label: String,
    pub closed: bool,
    pub instructeurs: Vec<i64>,
}

/// An instructeur (a `Profile`).
#[derive(Debug, Clone, PartialEq)]
pub struct InstructeurRecord {
    pub id: i64,
    pub email: String,
}

/// A label of a démarche.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRecord {
    pub id: i64,
    pub name: String,
    pub color: &'static str,
}

/// A purged dossier (`deletedDossiers`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedRecord {
    pub id: i64,
    pub number: i64,
    pub demarche: i64,
    pub state: State,
    pub reason: &'static str,
    pub deleted_at: DateTime<Utc>,
}

/// A démarche and its active revision.
#[derive(Debug, Clone, PartialEq)]
pub struct DemarcheRecord {
    pub number: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub state: &'static str,
    pub created_at: DateTime<Utc>,
    pub revision_id: i64,
    pub champs: Vec<Descriptor>,
    pub annotations: Vec<Descriptor>,
    pub groupes: Vec<GroupeRecord>,
    pub labels: Vec<LabelRecord>,
    /// Whether usagers are companies (SIRET demandeur) or people.
    pub personne_morale: bool,
    pub service: Option<ServiceRecord>,
    /// Chorus budget frame: centre de coût, domaine fonctionnel, référentiel de programmation.
    pub chorus: Option<[String; 3]>,
    /// An attestation template is active: accepted dossiers get an attestation PDF.
    pub attestation: bool,
    pub published_at: Option<DateTime<Utc>>,
    /// Opened to anyone reading `demarcheDescriptor` (DS's `opendata`).
    pub opendata: bool,
}

impl DemarcheRecord {
    /// Finds a descriptor by stable id among champs or annotations, children included.
    pub fn find_descriptor(list: &[Descriptor], stable_id: u64) -> Option<&Descriptor> {
        list.iter().find_map(|d| {
            if d.stable_id == stable_id {
                Some(d)
            } else if let Kind::Repetition { children } = &d.kind {
                children.iter().find(|c| c.stable_id == stable_id)
            } else {
                None
            }
        })
    }
}
