//! DS enums, with DS's exact value spellings (lower snake case, as graphql-ruby serves them).

use async_graphql::Enum;

use crate::model::{CorrectionReasonKind, Event, Kind, State};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum DossierState {
    EnConstruction,
    EnInstruction,
    Accepte,
    Refuse,
    SansSuite,
}

impl From<State> for DossierState {
    fn from(s: State) -> Self {
        match s {
            State::EnConstruction => DossierState::EnConstruction,
            State::EnInstruction => DossierState::EnInstruction,
            State::Accepte => DossierState::Accepte,
            State::Refuse => DossierState::Refuse,
            State::SansSuite => DossierState::SansSuite,
        }
    }
}

impl From<DossierState> for State {
    fn from(s: DossierState) -> Self {
        match s {
            DossierState::EnConstruction => State::EnConstruction,
            DossierState::EnInstruction => State::EnInstruction,
            DossierState::Accepte => State::Accepte,
            DossierState::Refuse => State::Refuse,
            DossierState::SansSuite => State::SansSuite,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "lowercase")]
pub enum DemarcheState {
    Brouillon,
    Publiee,
    Close,
    Depubliee,
}

impl DemarcheState {
    pub fn parse(s: &str) -> Self {
        match s {
            "brouillon" => DemarcheState::Brouillon,
            "close" => DemarcheState::Close,
            "depubliee" => DemarcheState::Depubliee,
            _ => DemarcheState::Publiee,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Civilite {
    #[graphql(name = "M")]
    M,
    #[graphql(name = "Mme")]
    Mme,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum LabelColorEnum {
    BeigeGrisGalet,
    BlueEcume,
    BrownCafeCreme,
    GreenBourgeon,
    GreenEmeraude,
    GreenMenthe,
    GreenTilleulVerveine,
    PinkMacaron,
    PurpleGlycine,
    YellowTournesol,
}

impl LabelColorEnum {
    pub fn parse(s: &str) -> Self {
        match s {
            "pink_macaron" => LabelColorEnum::PinkMacaron,
            "yellow_tournesol" => LabelColorEnum::YellowTournesol,
            "green_menthe" => LabelColorEnum::GreenMenthe,
            "blue_ecume" => LabelColorEnum::BlueEcume,
            _ => LabelColorEnum::BeigeGrisGalet,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum DeletedDossierReason {
    Expired,
    InstructeurRequest,
    ManagerRequest,
    ProcedureRemoved,
    UserExpired,
    UserRemoved,
    UserRequest,
}

impl DeletedDossierReason {
    pub fn parse(s: &str) -> Self {
        match s {
            "expired" => DeletedDossierReason::Expired,
            "instructeur_request" => DeletedDossierReason::InstructeurRequest,
            "manager_request" => DeletedDossierReason::ManagerRequest,
            "procedure_removed" => DeletedDossierReason::ProcedureRemoved,
            "user_expired" => DeletedDossierReason::UserExpired,
            "user_removed" => DeletedDossierReason::UserRemoved,
            _ => DeletedDossierReason::UserRequest,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "lowercase")]
pub enum CorrectionReason {
    Incorrect,
    Incomplete,
    Outdated,
}

impl From<CorrectionReason> for CorrectionReasonKind {
    fn from(c: CorrectionReason) -> Self {
        match c {
            CorrectionReason::Incorrect => CorrectionReasonKind::Incorrect,
            CorrectionReason::Incomplete => CorrectionReasonKind::Incomplete,
            CorrectionReason::Outdated => CorrectionReasonKind::Outdated,
        }
    }
}

impl From<CorrectionReasonKind> for CorrectionReason {
    fn from(c: CorrectionReasonKind) -> Self {
        match c {
            CorrectionReasonKind::Incorrect => CorrectionReason::Incorrect,
            CorrectionReasonKind::Incomplete => CorrectionReason::Incomplete,
            CorrectionReasonKind::Outdated => CorrectionReason::Outdated,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum TraitementEvent {
    Accepte,
    AccepteAutomatiquement,
    ClasseSansSuite,
    Depose,
    DeposeCorrectionInstructeur,
    DeposeCorrectionUsager,
    PasseEnInstruction,
    PasseEnInstructionAutomatiquement,
    Refuse,
    RefuseAutomatiquement,
    RepasseEnConstruction,
    RepasseEnInstruction,
}

impl From<Event> for TraitementEvent {
    fn from(e: Event) -> Self {
        match e {
            Event::Depose => TraitementEvent::Depose,
            Event::PasseEnInstruction => TraitementEvent::PasseEnInstruction,
            Event::RepasseEnConstruction => TraitementEvent::RepasseEnConstruction,
            Event::RepasseEnInstruction => TraitementEvent::RepasseEnInstruction,
            Event::Accepte => TraitementEvent::Accepte,
            Event::Refuse => TraitementEvent::Refuse,
            Event::ClasseSansSuite => TraitementEvent::ClasseSansSuite,
        }
    }
}

/// The deprecated `order:` argument of the connections (DS still serves it).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    #[graphql(name = "ASC")]
    Asc,
    #[graphql(name = "DESC")]
    Desc,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum DossierDeclarativeState {
    Accepte,
    EnInstruction,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum ConnectionUsager {
    Deleted,
    FranceConnect,
    Password,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum GeoAreaSource {
    Cadastre,
    Rpg,
    SelectionUtilisateur,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "lowercase")]
pub enum AddressType {
    Housenumber,
    Locality,
    Municipality,
    Street,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EntrepriseEtatAdministratif {
    #[graphql(name = "Actif")]
    Actif,
    #[graphql(name = "Ferme")]
    Ferme,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum TitreIdentiteGrantType {
    FranceConnect,
    PieceJustificative,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum TypeOrganisme {
    AdministrationCentrale,
    Association,
    Autre,
    CollectiviteTerritoriale,
    EtablissementEnseignement,
    #[graphql(name = "operateur_d_etat")]
    OperateurDEtat,
    #[graphql(name = "service_deconcentre_de_l_etat")]
    ServiceDeconcentreDeLEtat,
}

impl TypeOrganisme {
    pub fn parse(s: &str) -> Self {
        match s {
            "administration_centrale" => TypeOrganisme::AdministrationCentrale,
            "association" => TypeOrganisme::Association,
            "collectivite_territoriale" => TypeOrganisme::CollectiviteTerritoriale,
            "etablissement_enseignement" => TypeOrganisme::EtablissementEnseignement,
            "operateur_d_etat" => TypeOrganisme::OperateurDEtat,
            "service_deconcentre_de_l_etat" => TypeOrganisme::ServiceDeconcentreDeLEtat,
            _ => TypeOrganisme::Autre,
        }
    }
}

/// DS's `type_champ` values (the deprecated `ChampDescriptor.type`).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum TypeDeChamp {
    Address,
    AnnuaireEducation,
    Carte,
    Checkbox,
    Civilite,
    Cnaf,
    Cojo,
    Communes,
    Date,
    Datetime,
    DecimalNumber,
    Departements,
    Dgfip,
    DossierLink,
    DropDownList,
    Email,
    EngagementJuridique,
    Epci,
    Explication,
    Formatted,
    HeaderSection,
    Iban,
    IntegerNumber,
    LinkedDropDownList,
    Mesri,
    MultipleDropDownList,
    Number,
    Pays,
    Phone,
    PieceJustificative,
    PoleEmploi,
    Referentiel,
    Regions,
    Repetition,
    Rna,
    Rnf,
    Siret,
    Text,
    Textarea,
    TitreIdentite,
    YesNo,
}

impl From<&Kind> for TypeDeChamp {
    fn from(k: &Kind) -> Self {
        use TypeDeChamp as T;
        match k {
            Kind::Text => T::Text,
            Kind::Textarea => T::Textarea,
            Kind::Email => T::Email,
            Kind::Phone => T::Phone,
            Kind::Checkbox => T::Checkbox,
            Kind::YesNo => T::YesNo,
            Kind::IntegerNumber => T::IntegerNumber,
            Kind::DecimalNumber => T::DecimalNumber,
            Kind::Date => T::Date,
            Kind::Datetime => T::Datetime,
            Kind::DropDownList { .. } => T::DropDownList,
            Kind::MultipleDropDownList { .. } => T::MultipleDropDownList,
            Kind::LinkedDropDownList { .. } => T::LinkedDropDownList,
            Kind::Civilite => T::Civilite,
            Kind::PieceJustificative => T::PieceJustificative,
            Kind::Siret => T::Siret,
            Kind::Address => T::Address,
            Kind::Commune => T::Communes,
            Kind::Departement => T::Departements,
            Kind::Region => T::Regions,
            Kind::Pays => T::Pays,
            Kind::Repetition { .. } => T::Repetition,
            Kind::HeaderSection { .. } => T::HeaderSection,
            Kind::Explication => T::Explication,
            Kind::EngagementJuridique => T::EngagementJuridique,
            Kind::Iban => T::Iban,
            Kind::Number => T::Number,
            Kind::Formatted => T::Formatted,
            Kind::Referentiel => T::Referentiel,
            Kind::Cnaf => T::Cnaf,
            Kind::Dgfip => T::Dgfip,
            Kind::PoleEmploi => T::PoleEmploi,
            Kind::Mesri => T::Mesri,
            Kind::Cojo => T::Cojo,
            Kind::AnnuaireEducation => T::AnnuaireEducation,
            Kind::Carte => T::Carte,
            Kind::DossierLink => T::DossierLink,
            Kind::Epci => T::Epci,
            Kind::Rna => T::Rna,
            Kind::Rnf => T::Rnf,
            Kind::TitreIdentite => T::TitreIdentite,
        }
    }
}
