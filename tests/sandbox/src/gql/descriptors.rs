//! The `ChampDescriptor` interface: one concrete type per type de champ, as in DS. Ids are
//! `Champ-<stable_id>`, the key robots configure themselves on.

use async_graphql::{ID, Interface, Object};

use crate::model::{Descriptor, Kind};
use crate::util;

macro_rules! descriptor_type {
    ($name:ident $($extra:tt)*) => {
        pub struct $name(pub Descriptor);
        #[Object]
        impl $name {
            async fn id(&self) -> ID { ID(util::champ_id(self.0.stable_id, None)) }
            async fn label(&self) -> String { self.0.label.clone() }
            async fn description(&self) -> Option<String> { self.0.description.clone() }
            async fn required(&self) -> bool { self.0.required }
            $($extra)*
        }
    };
}

descriptor_type!(TextChampDescriptor);
descriptor_type!(TextareaChampDescriptor);
descriptor_type!(EmailChampDescriptor);
descriptor_type!(PhoneChampDescriptor);
descriptor_type!(CheckboxChampDescriptor);
descriptor_type!(YesNoChampDescriptor);
descriptor_type!(IntegerNumberChampDescriptor);
descriptor_type!(DecimalNumberChampDescriptor);
descriptor_type!(DateChampDescriptor);
descriptor_type!(DatetimeChampDescriptor);
descriptor_type!(CiviliteChampDescriptor);
descriptor_type!(PieceJustificativeChampDescriptor);
descriptor_type!(SiretChampDescriptor);
descriptor_type!(AddressChampDescriptor);
descriptor_type!(CommuneChampDescriptor);
descriptor_type!(DepartementChampDescriptor);
descriptor_type!(RegionChampDescriptor);
descriptor_type!(PaysChampDescriptor);
descriptor_type!(ExplicationChampDescriptor);
descriptor_type!(HeaderSectionChampDescriptor
    async fn level(&self) -> i32 { match self.0.kind { Kind::HeaderSection { level } => level, _ => 1 } });
descriptor_type!(DropDownListChampDescriptor
    async fn options(&self) -> Option<Vec<String>> { options(&self.0) }
    async fn other_option(&self) -> Option<bool> { match &self.0.kind { Kind::DropDownList { other, .. } => Some(*other), _ => None } });
descriptor_type!(MultipleDropDownListChampDescriptor
    async fn options(&self) -> Option<Vec<String>> { options(&self.0) });
descriptor_type!(LinkedDropDownListChampDescriptor
    async fn options(&self) -> Option<Vec<String>> { options(&self.0) });
descriptor_type!(RepetitionChampDescriptor
async fn champ_descriptors(&self) -> Option<Vec<ChampDescriptor>> {
    match &self.0.kind { Kind::Repetition { children } => Some(children.iter().map(build).collect()), _ => None }
});

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
    field(name = "required", ty = "bool")
)]
pub enum ChampDescriptor {
    TextChampDescriptor(TextChampDescriptor),
    TextareaChampDescriptor(TextareaChampDescriptor),
    EmailChampDescriptor(EmailChampDescriptor),
    PhoneChampDescriptor(PhoneChampDescriptor),
    CheckboxChampDescriptor(CheckboxChampDescriptor),
    YesNoChampDescriptor(YesNoChampDescriptor),
    IntegerNumberChampDescriptor(IntegerNumberChampDescriptor),
    DecimalNumberChampDescriptor(DecimalNumberChampDescriptor),
    DateChampDescriptor(DateChampDescriptor),
    DatetimeChampDescriptor(DatetimeChampDescriptor),
    DropDownListChampDescriptor(DropDownListChampDescriptor),
    MultipleDropDownListChampDescriptor(MultipleDropDownListChampDescriptor),
    LinkedDropDownListChampDescriptor(LinkedDropDownListChampDescriptor),
    CiviliteChampDescriptor(CiviliteChampDescriptor),
    PieceJustificativeChampDescriptor(PieceJustificativeChampDescriptor),
    SiretChampDescriptor(SiretChampDescriptor),
    AddressChampDescriptor(AddressChampDescriptor),
    CommuneChampDescriptor(CommuneChampDescriptor),
    DepartementChampDescriptor(DepartementChampDescriptor),
    RegionChampDescriptor(RegionChampDescriptor),
    PaysChampDescriptor(PaysChampDescriptor),
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
        Kind::Siret => C::SiretChampDescriptor(SiretChampDescriptor(x)),
        Kind::Address => C::AddressChampDescriptor(AddressChampDescriptor(x)),
        Kind::Commune => C::CommuneChampDescriptor(CommuneChampDescriptor(x)),
        Kind::Departement => C::DepartementChampDescriptor(DepartementChampDescriptor(x)),
        Kind::Region => C::RegionChampDescriptor(RegionChampDescriptor(x)),
        Kind::Pays => C::PaysChampDescriptor(PaysChampDescriptor(x)),
        Kind::Repetition { .. } => C::RepetitionChampDescriptor(RepetitionChampDescriptor(x)),
        Kind::HeaderSection { .. } => {
            C::HeaderSectionChampDescriptor(HeaderSectionChampDescriptor(x))
        }
        Kind::Explication => C::ExplicationChampDescriptor(ExplicationChampDescriptor(x)),
    }
}
