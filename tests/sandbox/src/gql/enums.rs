//! DS enums, with DS's exact value spellings (lower snake case, as graphql-ruby serves them).

use async_graphql::Enum;

use crate::model::{CorrectionReasonKind, Event, State};

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
