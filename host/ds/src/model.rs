//! The public model: what a dossier, a démarche and their champs look like to
//! a robot host, independent of the GraphQL documents that fetch them.
//!
//! Champs are keyed by their stable id (`Champ-<stable_id>`), which DS keeps
//! across revisions of a démarche, so robot configurations survive a form
//! change; labels are for people.

use serde::{Deserialize, Serialize};

use crate::values::{EngagementJuridique, GeoArea, RegisterEntry, TitreIdentite, UnreadDossier};

/// DS's `DossierState` (DS does not expose drafts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierState {
    /// `en_construction`: the usager can still edit it.
    EnConstruction,
    /// `en_instruction`: an instructeur is examining it.
    EnInstruction,
    /// `accepte`.
    Accepte,
    /// `refuse`.
    Refuse,
    /// `sans_suite`: classé sans suite.
    SansSuite,
    /// A state DS added after this client was written. The dossier's
    /// [`Dossier::unknown`] names it; such a dossier goes to review.
    #[serde(skip_deserializing)]
    Unknown,
}

impl DossierState {
    /// The wording DS uses in its messages ("Le dossier est déjà accepté"),
    /// lower case, so payload errors can be compared with a requested state.
    pub fn display_fr(self) -> &'static str {
        match self {
            Self::EnConstruction => "en construction",
            Self::EnInstruction => "en instruction",
            Self::Accepte => "accepté",
            Self::Refuse => "refusé",
            Self::SansSuite => "classé sans suite",
            Self::Unknown => "dans un état inconnu",
        }
    }

    /// Whether the dossier has been decided (accepté, refusé, sans suite).
    pub fn is_terminated(self) -> bool {
        matches!(self, Self::Accepte | Self::Refuse | Self::SansSuite)
    }
}

/// Why an instructeur asks the usager for a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionReason {
    /// The dossier is not valid.
    Incorrect,
    /// The dossier is incomplete.
    Incomplete,
    /// The dossier must be updated.
    Outdated,
    /// A reason DS added after this client was written.
    #[serde(skip_deserializing)]
    Unknown,
}

/// A file held by DS. `url` expires about an hour after it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsFile {
    /// Temporary download URL.
    pub url: String,
    /// Original file name.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Base64 MD5 of the content, as DS gives it.
    pub checksum: String,
    /// Size in bytes.
    pub byte_size: u64,
}

/// A named place with its official code (commune, département, région, pays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// Name, e.g. "Toulouse".
    pub name: String,
    /// Code, e.g. INSEE code or ISO country code.
    pub code: String,
}

/// A postal address as DS normalises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Full one-line address.
    pub label: String,
    /// Code postal.
    pub postal_code: String,
    /// Commune name.
    pub city_name: String,
    /// INSEE code of the commune.
    pub city_code: String,
    /// Département number, when known.
    pub departement_code: Option<String>,
}

/// An établissement (SIRET) as DS gets it from the company registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Etablissement {
    /// SIRET number.
    pub siret: String,
    /// SIREN of the company, when DS has the company record.
    pub siren: Option<String>,
    /// Company name, when DS has the company record.
    pub raison_sociale: Option<String>,
    /// NAF code.
    pub naf: Option<String>,
    /// NAF label.
    pub libelle_naf: String,
    /// One-line address.
    pub address: String,
}

/// The typed value of a champ or an annotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChampValue {
    /// Not filled in.
    Empty,
    /// Text and every type DS returns as text (email, phone, iban, …).
    Text(String),
    /// A checkbox.
    Checkbox(bool),
    /// A yes/no question.
    YesNo(bool),
    /// An integer.
    Integer(i64),
    /// A decimal number.
    Decimal(f64),
    /// ISO 8601 date (YYYY-MM-DD).
    Date(String),
    /// ISO 8601 date and time.
    Datetime(String),
    /// The chosen option.
    DropDown(String),
    /// The chosen options.
    MultipleDropDown(Vec<String>),
    /// Primary and secondary choice (empty text when unset).
    LinkedDropDown(String, String),
    /// "M" or "Mme".
    Civilite(String),
    /// Attached files.
    Files(Vec<DsFile>),
    /// An établissement found by its SIRET.
    Siret(Etablissement),
    /// A postal address.
    Address(Address),
    /// A commune.
    Commune(Place),
    /// A département.
    Departement(Place),
    /// A région.
    Region(Place),
    /// A country.
    Pays(Place),
    /// A repetition block; the rows are in [`Champ::rows`].
    Repetition,
    /// A section title of the given level (layout, no data).
    HeaderSection(i64),
    /// An explanation text (layout, no data).
    Explication,
    /// The areas of a carte champ.
    Carte(Vec<GeoArea>),
    /// The number of the dossier a dossier-link champ points to.
    DossierLink(i64),
    /// An EPCI (intercommunalité).
    Epci(Place),
    /// An association in the RNA.
    Rna(RegisterEntry),
    /// A foundation in the RNF.
    Rnf(RegisterEntry),
    /// A titre d'identité (the document itself is not exposed).
    TitreIdentite(TitreIdentite),
    /// An engagement juridique (Chorus).
    EngagementJuridique(EngagementJuridique),
    /// A champ type DS added after this client was written, with DS's text
    /// rendering when it has one. The dossier's [`Dossier::unknown`] names
    /// the champ.
    Unknown(Option<String>),
}

/// A champ inside a repetition row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Stable descriptor id (`Champ-<stable_id>`), the same in every row.
    pub id: String,
    /// DS's id of this very cell (`Champ-<stable_id>|<row_id>`), which
    /// `dossierModifierAnnotations` needs to write a cell of an annotation.
    pub champ_id: String,
    /// Label shown to the usager.
    pub label: String,
    /// Typed value.
    pub value: ChampValue,
    /// DS's text rendering of the value.
    pub string_value: Option<String>,
}

/// A row of a repetition block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// DS's row id (`Row-<row_id>`).
    pub id: String,
    /// The cells, in form order.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell with this stable descriptor id.
    pub fn cell(&self, stable_id: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.id == stable_id)
    }
}

/// A champ or annotation of a dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Champ {
    /// Stable descriptor id (`Champ-<stable_id>`).
    pub id: String,
    /// Label shown to the usager.
    pub label: String,
    /// Typed value.
    pub value: ChampValue,
    /// DS's text rendering of the value.
    pub string_value: Option<String>,
    /// Rows of a repetition champ; empty otherwise.
    pub rows: Vec<Row>,
}

/// Someone with a DS account (usager or instructeur).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Global id (`"<deleted>"` for a deleted account).
    pub id: String,
    /// E-mail address.
    pub email: String,
}

/// A natural person filing a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonnePhysique {
    /// "M", "Mme" or empty.
    pub civilite: String,
    /// Family name.
    pub nom: String,
    /// Given name.
    pub prenom: String,
    /// E-mail of the beneficiary, when given.
    pub email: Option<String>,
}

/// Who the dossier is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Demandeur {
    /// A person.
    PersonnePhysique(PersonnePhysique),
    /// A company or organisation.
    PersonneMorale(Etablissement),
    /// A company whose register data DS could not get: only its SIRET.
    PersonneMoraleIncomplete {
        /// SIRET number.
        siret: String,
    },
    /// A demandeur type DS added after this client was written.
    None,
}

/// A label that instructeurs put on dossiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Global id, to pass to `ajouter_label`.
    pub id: String,
    /// Name.
    pub name: String,
    /// DS colour name.
    pub color: String,
}

/// The groupe instructeur a dossier is routed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupeRef {
    /// Global id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Label.
    pub label: String,
}

/// What mutations need to name a dossier: DS mutations take the global id,
/// re-reading the state after a lost answer takes the number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DossierKey {
    /// Global id (opaque).
    pub id: String,
    /// Dossier number.
    pub number: i64,
}

/// A dossier with its champs and annotations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    /// Global id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Number of its démarche.
    pub demarche: i64,
    /// State.
    pub state: DossierState,
    /// Archived by the administration.
    pub archived: bool,
    /// Submission date.
    pub date_depot: String,
    /// Last change of anything in the dossier (DS's `updated_at`).
    pub date_derniere_modification: String,
    /// Last change of the applicant's champs (annotations do not count).
    pub date_derniere_modification_champs: Option<String>,
    /// The pending correction request's date, while one waits for the applicant.
    pub date_derniere_correction_en_attente: Option<String>,
    /// When the applicant (the usager's account) last wrote a message.
    pub dernier_message_usager: Option<String>,
    /// Last passage en instruction.
    pub date_passage_en_instruction: Option<String>,
    /// Decision date.
    pub date_traitement: Option<String>,
    /// Motivation of the decision.
    pub motivation: Option<String>,
    /// The account that filed it.
    pub usager: Profile,
    /// Who it is for.
    pub demandeur: Demandeur,
    /// Its groupe instructeur.
    pub groupe_instructeur: GroupeRef,
    /// Its labels.
    pub labels: Vec<Label>,
    /// Instructeurs who follow it.
    pub instructeurs: Vec<Profile>,
    /// The usager's champs, in form order.
    pub champs: Vec<Champ>,
    /// The private annotations, in form order.
    pub annotations: Vec<Champ>,
    /// Values DS sent that this client does not know (a new state, champ
    /// type, …), each named; a host sends such a dossier to review rather
    /// than act on what it cannot read.
    #[serde(default)]
    pub unknown: Vec<String>,
}

impl Dossier {
    /// The key mutations take.
    pub fn key(&self) -> DossierKey {
        DossierKey {
            id: self.id.clone(),
            number: self.number,
        }
    }

    /// The champ with this stable id (`Champ-<stable_id>`).
    pub fn champ(&self, stable_id: &str) -> Option<&Champ> {
        self.champs.iter().find(|c| c.id == stable_id)
    }

    /// The annotation with this stable id.
    pub fn annotation(&self, stable_id: &str) -> Option<&Champ> {
        self.annotations.iter().find(|c| c.id == stable_id)
    }

    /// Why a person should look at this dossier before a robot does: the
    /// values DS sent that this client does not know, or `None`.
    pub fn review_reason(&self) -> Option<String> {
        (!self.unknown.is_empty()).then(|| {
            format!(
                "DS sent values this host does not know: {}",
                self.unknown.join("; ")
            )
        })
    }
}

/// A message of the dossier's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Global id.
    pub id: String,
    /// Sender.
    pub email: String,
    /// Text.
    pub body: String,
    /// Creation time (ISO 8601).
    pub created_at: String,
    /// Attached files.
    pub attachments: Vec<DsFile>,
    /// The correction it asked for, if any.
    pub correction: Option<Correction>,
}

/// A correction request attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// Why.
    pub reason: CorrectionReason,
    /// When the usager resolved it.
    pub date_resolution: Option<String>,
}

/// The description of a champ or annotation in the démarche's active revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChampDescriptor {
    /// Stable id (`Champ-<stable_id>`).
    pub id: String,
    /// Label.
    pub label: String,
    /// DS type name, e.g. "TextChampDescriptor" ("Unknown" for a type this
    /// client does not know).
    pub kind: String,
    /// Must be filled in.
    pub required: bool,
    /// Help text.
    pub description: Option<String>,
    /// Options of drop-down lists.
    pub options: Vec<String>,
    /// The drop-down list offers "Autre".
    pub other_option: bool,
    /// Children of a repetition block (without children of their own).
    pub children: Vec<ChampDescriptor>,
}

/// An instructeur of a groupe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instructeur {
    /// Global id, which mutations take as `instructeurId`.
    pub id: String,
    /// E-mail.
    pub email: String,
}

/// A groupe instructeur with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupeInstructeur {
    /// Global id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Label.
    pub label: String,
    /// Closed to new dossiers.
    pub closed: bool,
    /// Members.
    pub instructeurs: Vec<Instructeur>,
}

/// A démarche: structure, groupes and labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demarche {
    /// Global id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Title.
    pub title: String,
    /// DS state name (brouillon, publiee, close, depubliee).
    pub state: String,
    /// Id of the active revision (the `revision` filter of `dossiers`).
    pub revision_id: String,
    /// Champs of the active revision.
    pub champ_descriptors: Vec<ChampDescriptor>,
    /// Private annotations of the active revision.
    pub annotation_descriptors: Vec<ChampDescriptor>,
    /// Groupes instructeurs.
    pub groupes: Vec<GroupeInstructeur>,
    /// Labels that can be put on its dossiers.
    pub labels: Vec<Label>,
}

impl Demarche {
    /// The id of the instructeur with this e-mail (case-insensitive), looked
    /// up in every groupe, since mutations name the acting instructeur by id.
    pub fn instructeur_id(&self, email: &str) -> Option<&str> {
        let wanted = email.trim();
        self.groupes
            .iter()
            .flat_map(|g| &g.instructeurs)
            .find(|i| i.email.eq_ignore_ascii_case(wanted))
            .map(|i| i.id.as_str())
    }
}

/// Filters of `Demarche.dossiers`. With `updated_since`, DS ignores
/// `created_since` and sorts by update time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierFilter {
    /// Only this state.
    pub state: Option<DossierState>,
    /// Only archived (true) or not archived (false).
    pub archived: Option<bool>,
    /// Filed since (ISO 8601).
    pub created_since: Option<String>,
    /// Changed since (ISO 8601).
    pub updated_since: Option<String>,
    /// Only this revision id.
    pub revision: Option<String>,
    /// Page size; capped at 100 (DS's maximum).
    pub first: Option<u32>,
}

/// One page of a DS connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor to pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// More items follow.
    pub has_next_page: bool,
    /// Entries DS sent with an error or in a shape this client cannot read,
    /// each on its own; the items hold the rest of the page.
    #[serde(default)]
    pub unread: Vec<UnreadDossier>,
}

/// A dossier deleted, or hidden pending deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedDossier {
    /// Global id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// State when deleted.
    pub state: DossierState,
    /// DS reason name (user_request, expired, …).
    pub reason: String,
    /// Deletion date (DS spells the field `dateSupression`).
    pub date_suppression: String,
}

/// A value to write into an annotation (DS's `AnnotationValueInput`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AnnotationValue {
    /// Text.
    Text(String),
    /// Long text.
    Textarea(String),
    /// E-mail.
    Email(String),
    /// Checkbox.
    Checkbox(bool),
    /// Yes/no.
    YesNo(bool),
    /// ISO 8601 date.
    Date(String),
    /// ISO 8601 date-time.
    Datetime(String),
    /// Integer.
    Integer(i64),
    /// Decimal.
    Decimal(f64),
    /// Drop-down choice.
    DropDown(String),
    /// Multiple choices.
    MultipleDropDown(Vec<String>),
    /// Add this many rows to a repetition annotation (not idempotent).
    AddRows(u32),
}

/// One annotation to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotationInput {
    /// `Champ-<stable_id>`, or `Champ-<stable_id>|<row_id>` for a cell.
    pub id: String,
    /// The value.
    pub value: AnnotationValue,
}
