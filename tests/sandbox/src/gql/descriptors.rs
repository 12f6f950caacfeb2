//! The `ChampDescriptor` interface: one concrete type per type de champ, as in DS. Ids are
//! `Champ-<stable_id>`, the key robots configure themselves on.

use async_graphql::{ID, Interface, Object};

use super::champs::{Departement, Pays, Region};
use super::enums::TypeDeChamp;
use super::objects::FileObj;
use crate::model::{Descriptor, Kind};
use crate::util;

macro_rules! descriptor_base {
    // `as "Name"`: async-graphql would rename `RNAChampDescriptor` to `RnachampDescriptor`.
    ($name:ident as $gname:literal { $($extra:tt)* }) => {
        descriptor_base!(@impl [(name = $gname)] $name { $($extra)* });
    };
    ($name:ident { $($extra:tt)* }) => {
        descriptor_base!(@impl [] $name { $($extra)* });
    };
    (@impl [$($attr:tt)*] $name:ident { $($extra:tt)* }) => {
        pub struct $name(pub Descriptor);
        #[Object $($attr)*]
        impl $name {
            async fn id(&self) -> ID { ID(util::champ_id(self.0.stable_id, None)) }
            async fn label(&self) -> String { self.0.label.clone() }
            async fn description(&self) -> Option<String> { self.0.description.clone() }
            async fn required(&self) -> bool { self.0.required }
            #[graphql(name = "type", deprecation = "Utilisez le champ `__typename` à la place.")]
            async fn type_champ(&self) -> TypeDeChamp { TypeDeChamp::from(&self.0.kind) }
            $($extra)*
        }
    };
}

macro_rules! descriptor_type {
    ($name:ident as $gname:literal) => {
        descriptor_base!($name as $gname {
            #[graphql(deprecation = "Utilisez le champ `RepetitionChampDescriptor.champ_descriptors` à la place.")]
            async fn champ_descriptors(&self) -> Option<Vec<ChampDescriptor>> { None }
        });
    };
    ($name:ident $($extra:tt)*) => {
        descriptor_base!($name {
            /// Only a repetition has children (DS answers null for every other type).
            #[graphql(deprecation = "Utilisez le champ `RepetitionChampDescriptor.champ_descriptors` à la place.")]
            async fn champ_descriptors(&self) -> Option<Vec<ChampDescriptor>> { None }
            $($extra)*
        });
    };
}

descriptor_type!(TextChampDescriptor);
descriptor_type!(TextareaChampDescriptor);
descriptor_type!(EmailChampDescriptor);
descriptor_type!(PhoneChampDescriptor);
descriptor_type!(CheckboxChampDescriptor);
descriptor_type!(YesNoChampDescriptor);
descriptor_type!(IntegerNumberChampDescriptor);
descriptor_type!(NumberChampDescriptor);
descriptor_type!(DecimalNumberChampDescriptor);
descriptor_type!(DateChampDescriptor);
descriptor_type!(DatetimeChampDescriptor);
descriptor_type!(CiviliteChampDescriptor);
descriptor_type!(SiretChampDescriptor);
descriptor_type!(AddressChampDescriptor);
descriptor_type!(CommuneChampDescriptor);
descriptor_type!(IbanChampDescriptor);
descriptor_type!(FormattedChampDescriptor);
descriptor_type!(ReferentielChampDescriptor);
descriptor_type!(CnafChampDescriptor);
descriptor_type!(DgfipChampDescriptor);
descriptor_type!(PoleEmploiChampDescriptor);
descriptor_type!(MesriChampDescriptor);
descriptor_type!(COJOChampDescriptor as "COJOChampDescriptor");
descriptor_type!(AnnuaireEducationChampDescriptor);
descriptor_type!(CarteChampDescriptor);
descriptor_type!(DossierLinkChampDescriptor);
descriptor_type!(EpciChampDescriptor);
descriptor_type!(RNAChampDescriptor as "RNAChampDescriptor");
descriptor_type!(RNFChampDescriptor as "RNFChampDescriptor");
descriptor_type!(TitreIdentiteChampDescriptor);
descriptor_type!(EngagementJuridiqueChampDescriptor);
descriptor_type!(PieceJustificativeChampDescriptor
    /// No démarche of the sandbox has a template file.
    async fn file_template(&self) -> Option<FileObj> { None });
descriptor_type!(ExplicationChampDescriptor
    async fn collapsible_explanation_enabled(&self) -> Option<bool> { Some(false) }
    async fn collapsible_explanation_text(&self) -> Option<String> { None });
descriptor_type!(HeaderSectionChampDescriptor
    async fn level(&self) -> i32 { match self.0.kind { Kind::HeaderSection { level } => level, _ => 1 } });
descriptor_type!(DropDownListChampDescriptor
    async fn options(&self) -> Option<Vec<String>> { options(&self.0) }
    async fn other_option(&self) -> Option<bool> { match &self.0.kind { Kind::DropDownList { other, .. } => Some(*other), _ => None } });
descriptor_type!(MultipleDropDownListChampDescriptor
    async fn options(&self) -> Option<Vec<String>> { options(&self.0) });
descriptor_type!(LinkedDropDownListChampDescriptor
    async fn options(&self) -> Option<Vec<String>> { options(&self.0) });
descriptor_type!(DepartementChampDescriptor
/// The départements the sandbox's communes are in.
async fn options(&self) -> Option<Vec<Departement>> {
    Some(DEPARTEMENTS.iter().map(|(code, name)| Departement { code: (*code).into(), name: (*name).into() }).collect())
});
descriptor_type!(RegionChampDescriptor
async fn options(&self) -> Option<Vec<Region>> {
    Some(REGIONS.iter().map(|(code, name)| Region { code: (*code).into(), name: (*name).into() }).collect())
});
descriptor_type!(PaysChampDescriptor
async fn options(&self) -> Option<Vec<Pays>> {
    Some(PAYS.iter().map(|(code, name)| Pays { code: (*code).into(), name: (*name).into() }).collect())
});
descriptor_base!(RepetitionChampDescriptor {
    async fn champ_descriptors(&self) -> Option<Vec<ChampDescriptor>> {
        match &self.0.kind { Kind::Repetition { children } => Some(children.iter().map(build).collect()), _ => None }
    }
});

const DEPARTEMENTS: [(&str, &str); 5] = [
    ("31", "Haute-Garonne"),
    ("75", "Paris"),
    ("78", "Yvelines"),
    ("82", "Tarn-et-Garonne"),
    ("94", "Val-de-Marne"),
];
const REGIONS: [(&str, &str); 2] = [("11", "Île-de-France"), ("76", "Occitanie")];
const PAYS: [(&str, &str); 4] = [
    ("BE", "Belgique"),
    ("FR", "France"),
    ("MA", "Maroc"),
    ("PT", "Portugal"),
];

fn options(d: &Descriptor) -> Option<Vec<String>> {
    match &d.kind {
        Kind::DropDownList { options, .. }
        | Kind::MultipleDropDownList { options }
        | Kind::LinkedDropDownList { options } => Some(options.clone()),
        _ => None,
    }
}

/// `interface ChampDescriptor`.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "label", ty = "String"),
    field(name = "description", ty = "Option<String>"),
    field(name = "required", ty = "bool"),
    field(
        name = "champ_descriptors",
        ty = "Option<Vec<ChampDescriptor>>",
        deprecation = "Utilisez le champ `RepetitionChampDescriptor.champ_descriptors` à la place."
    ),
    field(
        name = "type",
        method = "type_champ",
        ty = "TypeDeChamp",
        deprecation = "Utilisez le champ `__typename` à la place."
    )
)]
pub enum ChampDescriptor {
    TextChampDescriptor(TextChampDescriptor),
    TextareaChampDescriptor(TextareaChampDescriptor),
    EmailChampDescriptor(EmailChampDescriptor),
    PhoneChampDescriptor(PhoneChampDescriptor),
    CheckboxChampDescriptor(CheckboxChampDescriptor),
    YesNoChampDescriptor(YesNoChampDescriptor),
    IntegerNumberChampDescriptor(IntegerNumberChampDescriptor),
    NumberChampDescriptor(NumberChampDescriptor),
    DecimalNumberChampDescriptor(DecimalNumberChampDescriptor),
    DateChampDescriptor(DateChampDescriptor),
    DatetimeChampDescriptor(DatetimeChampDescriptor),
    DropDownListChampDescriptor(DropDownListChampDescriptor),
    MultipleDropDownListChampDescriptor(MultipleDropDownListChampDescriptor),
    LinkedDropDownListChampDescriptor(LinkedDropDownListChampDescriptor),
    CiviliteChampDescriptor(CiviliteChampDescriptor),
    PieceJustificativeChampDescriptor(PieceJustificativeChampDescriptor),
    TitreIdentiteChampDescriptor(TitreIdentiteChampDescriptor),
    SiretChampDescriptor(SiretChampDescriptor),
    AddressChampDescriptor(AddressChampDescriptor),
    CommuneChampDescriptor(CommuneChampDescriptor),
    DepartementChampDescriptor(DepartementChampDescriptor),
    RegionChampDescriptor(RegionChampDescriptor),
    PaysChampDescriptor(PaysChampDescriptor),
    EpciChampDescriptor(EpciChampDescriptor),
    RNAChampDescriptor(RNAChampDescriptor),
    RNFChampDescriptor(RNFChampDescriptor),
    CarteChampDescriptor(CarteChampDescriptor),
    DossierLinkChampDescriptor(DossierLinkChampDescriptor),
    EngagementJuridiqueChampDescriptor(EngagementJuridiqueChampDescriptor),
    IbanChampDescriptor(IbanChampDescriptor),
    FormattedChampDescriptor(FormattedChampDescriptor),
    ReferentielChampDescriptor(ReferentielChampDescriptor),
    CnafChampDescriptor(CnafChampDescriptor),
    DgfipChampDescriptor(DgfipChampDescriptor),
    PoleEmploiChampDescriptor(PoleEmploiChampDescriptor),
    MesriChampDescriptor(MesriChampDescriptor),
    COJOChampDescriptor(COJOChampDescriptor),
    AnnuaireEducationChampDescriptor(AnnuaireEducationChampDescriptor),
    RepetitionChampDescriptor(RepetitionChampDescriptor),
    HeaderSectionChampDescriptor(HeaderSectionChampDescriptor),
    ExplicationChampDescriptor(ExplicationChampDescriptor),
}

/// The descriptor type DS uses for a type de champ.
pub fn build(d: &Descriptor) -> ChampDescriptor {
    let x = d.clone();
    use ChampDescriptor as C;
    match d.kind {
        Kind::Text => C::TextChampDescriptor(TextChampDescriptor(x)),
        Kind::Textarea => C::TextareaChampDescriptor(TextareaChampDescriptor(x)),
        Kind::Email => C::EmailChampDescriptor(EmailChampDescriptor(x)),
        Kind::Phone => C::PhoneChampDescriptor(PhoneChampDescriptor(x)),
        Kind::Checkbox => C::CheckboxChampDescriptor(CheckboxChampDescriptor(x)),
        Kind::YesNo => C::YesNoChampDescriptor(YesNoChampDescriptor(x)),
        Kind::IntegerNumber => C::IntegerNumberChampDescriptor(IntegerNumberChampDescriptor(x)),
        Kind::Number => C::NumberChampDescriptor(NumberChampDescriptor(x)),
        Kind::DecimalNumber => C::DecimalNumberChampDescriptor(DecimalNumberChampDescriptor(x)),
        Kind::Date => C::DateChampDescriptor(DateChampDescriptor(x)),
        Kind::Datetime => C::DatetimeChampDescriptor(DatetimeChampDescriptor(x)),
        Kind::DropDownList { .. } => C::DropDownListChampDescriptor(DropDownListChampDescriptor(x)),
        Kind::MultipleDropDownList { .. } => {
            C::MultipleDropDownListChampDescriptor(MultipleDropDownListChampDescriptor(x))
        }
        Kind::LinkedDropDownList { .. } => {
            C::LinkedDropDownListChampDescriptor(LinkedDropDownListChampDescriptor(x))
        }
        Kind::Civilite => C::CiviliteChampDescriptor(CiviliteChampDescriptor(x)),
        Kind::PieceJustificative => {
            C::PieceJustificativeChampDescriptor(PieceJustificativeChampDescriptor(x))
        }
        Kind::TitreIdentite => C::TitreIdentiteChampDescriptor(TitreIdentiteChampDescriptor(x)),
        Kind::Siret => C::SiretChampDescriptor(SiretChampDescriptor(x)),
        Kind::Address => C::AddressChampDescriptor(AddressChampDescriptor(x)),
        Kind::Commune => C::CommuneChampDescriptor(CommuneChampDescriptor(x)),
        Kind::Departement => C::DepartementChampDescriptor(DepartementChampDescriptor(x)),
        Kind::Region => C::RegionChampDescriptor(RegionChampDescriptor(x)),
        Kind::Pays => C::PaysChampDescriptor(PaysChampDescriptor(x)),
        Kind::Epci => C::EpciChampDescriptor(EpciChampDescriptor(x)),
        Kind::Rna => C::RNAChampDescriptor(RNAChampDescriptor(x)),
        Kind::Rnf => C::RNFChampDescriptor(RNFChampDescriptor(x)),
        Kind::Carte => C::CarteChampDescriptor(CarteChampDescriptor(x)),
        Kind::DossierLink => C::DossierLinkChampDescriptor(DossierLinkChampDescriptor(x)),
        Kind::EngagementJuridique => {
            C::EngagementJuridiqueChampDescriptor(EngagementJuridiqueChampDescriptor(x))
        }
        Kind::Iban => C::IbanChampDescriptor(IbanChampDescriptor(x)),
        Kind::Formatted => C::FormattedChampDescriptor(FormattedChampDescriptor(x)),
        Kind::Referentiel => C::ReferentielChampDescriptor(ReferentielChampDescriptor(x)),
        Kind::Cnaf => C::CnafChampDescriptor(CnafChampDescriptor(x)),
        Kind::Dgfip => C::DgfipChampDescriptor(DgfipChampDescriptor(x)),
        Kind::PoleEmploi => C::PoleEmploiChampDescriptor(PoleEmploiChampDescriptor(x)),
        Kind::Mesri => C::MesriChampDescriptor(MesriChampDescriptor(x)),
        Kind::Cojo => C::COJOChampDescriptor(COJOChampDescriptor(x)),
        Kind::AnnuaireEducation => {
            C::AnnuaireEducationChampDescriptor(AnnuaireEducationChampDescriptor(x))
        }
        Kind::Repetition { .. } => C::RepetitionChampDescriptor(RepetitionChampDescriptor(x)),
        Kind::HeaderSection { .. } => {
            C::HeaderSectionChampDescriptor(HeaderSectionChampDescriptor(x))
        }
        Kind::Explication => C::ExplicationChampDescriptor(ExplicationChampDescriptor(x)),
    }
}
