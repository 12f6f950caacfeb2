//! The `Champ` interface and its 28 concrete types. Which type a champ resolves to (DS's
//! type-resolution quirk, API-NOTES §6) is decided in [`super::champ_build`].

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{Context, ID, Interface, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::Civilite;
use super::columns::Column;
use super::dossier::Dossier;
use super::geo::GeoArea;
use super::objects::{AddressObj, FileObj, PersonneMorale};
use super::scalars::{BigInt, DateScalar, DateTimeScalar};
use super::{caller, world};
use crate::model::{AddressData, FileRecord, GeoAreaRecord};

pub use super::champ_build::build;

/// Type names that appear as fragment type conditions in the query document.
#[derive(Debug, Clone, Default)]
pub struct FragmentTypes(pub HashSet<String>);

/// Fields every champ has.
#[derive(Clone)]
pub struct Common {
    pub id: String,
    pub descriptor_id: String,
    pub label: String,
    pub string_value: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub columns: Vec<Column>,
}

macro_rules! champ_type {
    // `as "Name"`: async-graphql would rename `RNAChamp` to `Rnachamp`.
    ($name:ident as $gname:literal { $($field:ident : $ty:ty),* } $($extra:tt)*) => {
        champ_type!(@impl [(name = $gname)] $name { $($field : $ty),* } $($extra)*);
    };
    ($name:ident { $($field:ident : $ty:ty),* } $($extra:tt)*) => {
        champ_type!(@impl [] $name { $($field : $ty),* } $($extra)*);
    };
    (@impl [$($attr:tt)*] $name:ident { $($field:ident : $ty:ty),* } $($extra:tt)*) => {
        #[derive(Clone)]
        pub struct $name { pub c: Common, $(pub $field: $ty),* }
        #[Object $($attr)*]
        impl $name {
            async fn id(&self) -> ID { ID(self.c.id.clone()) }
            /// L’identifiant du champDescriptor de ce champ.
            async fn champ_descriptor_id(&self) -> String { self.c.descriptor_id.clone() }
            async fn label(&self) -> String { self.c.label.clone() }
            async fn string_value(&self) -> Option<String> { self.c.string_value.clone() }
            async fn updated_at(&self) -> DateTimeScalar { DateTimeScalar(self.c.updated_at) }
            async fn prefilled(&self) -> bool { false }
            async fn columns(&self) -> Vec<Column> { self.c.columns.clone() }
            $($extra)*
        }
    };
}

champ_type!(TextChamp { value: Option<String> }
    async fn value(&self) -> Option<String> { self.value.clone() });
champ_type!(CheckboxChamp { value: bool }
    async fn value(&self) -> bool { self.value });
champ_type!(YesNoChamp { value: Option<bool> }
    async fn value(&self) -> Option<bool> { self.value });
champ_type!(IntegerNumberChamp { value: Option<i64> }
    async fn value(&self) -> Option<BigInt> { self.value.map(BigInt) });
champ_type!(DecimalNumberChamp { value: Option<f64> }
    async fn value(&self) -> Option<f64> { self.value });
champ_type!(DateChamp { date: Option<NaiveDate>, instant: Option<DateTime<Utc>> }
    async fn date(&self) -> Option<DateScalar> { self.date.map(DateScalar) }
    /// DS parses the stored value as a time in Paris (midnight for a plain date).
    #[graphql(deprecation = "Utilisez le champ `date` ou le fragment `DatetimeChamp` à la place.")]
    async fn value(&self) -> Option<DateTimeScalar> { self.instant.map(DateTimeScalar) });
champ_type!(DatetimeChamp { datetime: Option<DateTime<Utc>> }
    async fn datetime(&self) -> Option<DateTimeScalar> { self.datetime.map(DateTimeScalar) });
champ_type!(DropDownListChamp { value: Option<String> }
    async fn value(&self) -> Option<String> { self.value.clone() });
champ_type!(MultipleDropDownListChamp { values: Vec<String> }
    async fn values(&self) -> Vec<String> { self.values.clone() });
champ_type!(LinkedDropDownListChamp { primary: Option<String>, secondary: Option<String> }
    async fn primary_value(&self) -> Option<String> { self.primary.clone() }
    async fn secondary_value(&self) -> Option<String> { self.secondary.clone() });
champ_type!(CiviliteChamp { value: Option<Civilite> }
    async fn value(&self) -> Option<Civilite> { self.value });
champ_type!(PieceJustificativeChamp { files: Vec<Arc<FileRecord>> }
    async fn files(&self) -> Vec<FileObj> { self.files.iter().cloned().map(FileObj::new).collect() }
    #[graphql(deprecation = "Utilisez le champ `files` à la place.")]
    async fn file(&self) -> Option<FileObj> { self.files.first().cloned().map(FileObj::new) });
champ_type!(TitreIdentiteChamp { filled: bool }
async fn filled(&self) -> bool { self.filled }
async fn grant_type(&self) -> super::enums::TitreIdentiteGrantType {
    super::enums::TitreIdentiteGrantType::PieceJustificative
});
champ_type!(SiretChamp { etab: Option<crate::model::Etablissement> }
/// Null while the établissement is in DS's degraded mode ([`crate::guards`]).
async fn etablissement(&self, ctx: &Context<'_>) -> Option<PersonneMorale> {
    let degraded = |e: &crate::model::Etablissement| {
        world(ctx).is_ok_and(|w| w.siret_degraded(&e.siret))
    };
    self.etab.clone().filter(|e| !degraded(e)).map(PersonneMorale)
});
champ_type!(AddressChamp { address: Option<AddressData> }
async fn address(&self) -> Option<AddressObj> { self.address.clone().map(AddressObj) }
async fn commune(&self) -> Option<Commune> { self.address.as_ref().map(Commune::of) }
async fn departement(&self) -> Option<Departement> { self.address.as_ref().map(Departement::of) });
champ_type!(CommuneChamp { commune: Option<Commune>, departement: Option<Departement> }
    async fn commune(&self) -> Option<Commune> { self.commune.clone() }
    async fn departement(&self) -> Option<Departement> { self.departement.clone() });
champ_type!(DepartementChamp { departement: Option<Departement> }
    async fn departement(&self) -> Option<Departement> { self.departement.clone() });
champ_type!(RegionChamp { region: Option<Region> }
    async fn region(&self) -> Option<Region> { self.region.clone() });
champ_type!(PaysChamp { pays: Option<Pays> }
    async fn pays(&self) -> Option<Pays> { self.pays.clone() });
champ_type!(EpciChamp { epci: Option<Epci>, departement: Option<Departement> }
    async fn epci(&self) -> Option<Epci> { self.epci.clone() }
    async fn departement(&self) -> Option<Departement> { self.departement.clone() });
champ_type!(RNAChamp as "RNAChamp" { rna: Option<Registry> }
    async fn rna(&self) -> Option<Rna> { self.rna.clone().map(Rna) }
    async fn commune(&self) -> Option<Commune> { self.rna.as_ref().map(|r| Commune::of(&r.address)) }
    async fn departement(&self) -> Option<Departement> { self.rna.as_ref().map(|r| Departement::of(&r.address)) });
champ_type!(RNFChamp as "RNFChamp" { rnf: Option<Registry> }
    async fn rnf(&self) -> Option<Rnf> { self.rnf.clone().map(Rnf) }
    async fn commune(&self) -> Option<Commune> { self.rnf.as_ref().map(|r| Commune::of(&r.address)) }
    async fn departement(&self) -> Option<Departement> { self.rnf.as_ref().map(|r| Departement::of(&r.address)) });
champ_type!(CarteChamp { areas: Vec<GeoAreaRecord> }
    async fn geo_areas(&self) -> Vec<GeoArea> { self.areas.iter().map(GeoArea::from).collect() });
champ_type!(DossierLinkChamp { number: Option<i64> }
/// The linked dossier, when it exists and the token may see its démarche.
async fn dossier(&self, ctx: &Context<'_>) -> Result<Option<Dossier>> {
    let Some(n) = self.number else { return Ok(None) };
    let c = caller(ctx)?;
    let st = world(ctx)?.lock();
    let rec = st.dossiers.get(&n).filter(|d| d.hidden_at.is_none()).cloned();
    Ok(rec.and_then(|rec| {
        let dem = st.demarches.get(&rec.demarche).cloned()?;
        c.can_see(dem.number).then_some(Dossier { rec, dem })
    }))
});
champ_type!(EngagementJuridiqueChamp { filled: bool }
/// DS answers these two amounts with the literal "NotYetImplemented".
async fn engagement_juridique(&self) -> Option<EngagementJuridique> {
    self.filled.then(|| EngagementJuridique {
        montant_engage: Some("NotYetImplemented".into()),
        montant_paye: Some("NotYetImplemented".into()),
    })
});
champ_type!(RepetitionChamp { rows: Vec<Row> }
    async fn rows(&self) -> Vec<Row> { self.rows.clone() }
    #[graphql(deprecation = "Utilisez le champ `rows` à la place.")]
    async fn champs(&self) -> Vec<Champ> { self.rows.iter().flat_map(|r| r.champs.clone()).collect() });
champ_type!(HeaderSectionChamp { level: i32 }
    async fn level(&self) -> i32 { self.level });
champ_type!(ExplicationChamp {});

/// A row of a repetition (`Row-<id>`).
#[derive(Clone, SimpleObject)]
pub struct Row {
    pub id: ID,
    pub champs: Vec<Champ>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub postal_code: Option<String>,
}

impl Commune {
    fn of(a: &AddressData) -> Self {
        Commune {
            name: a.city_name.clone(),
            code: a.city_code.clone(),
            postal_code: Some(a.postal_code.clone()),
        }
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Departement {
    pub code: String,
    pub name: String,
}

impl Departement {
    fn of(a: &AddressData) -> Self {
        Departement {
            code: a.department_code.clone(),
            name: a.department_name.clone(),
        }
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Region {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Pays {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Epci {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct EngagementJuridique {
    pub montant_engage: Option<String>,
    pub montant_paye: Option<String>,
}

/// An RNA or RNF entry.
#[derive(Debug, Clone)]
pub struct Registry {
    pub id: String,
    pub title: String,
    pub address: AddressData,
}

/// `RNA`.
pub struct Rna(pub Registry);

#[Object(name = "RNA")]
impl Rna {
    async fn id(&self) -> String {
        self.0.id.clone()
    }
    async fn title(&self) -> Option<String> {
        Some(self.0.title.clone())
    }
    async fn address(&self) -> Option<AddressObj> {
        Some(AddressObj(self.0.address.clone()))
    }
}

/// `RNF`.
pub struct Rnf(pub Registry);

#[Object(name = "RNF")]
impl Rnf {
    async fn id(&self) -> String {
        self.0.id.clone()
    }
    async fn title(&self) -> Option<String> {
        Some(self.0.title.clone())
    }
    async fn address(&self) -> Option<AddressObj> {
        Some(AddressObj(self.0.address.clone()))
    }
}

/// `interface Champ`.
#[allow(clippy::duplicated_attributes, clippy::large_enum_variant)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "champ_descriptor_id", ty = "String"),
    field(name = "label", ty = "String"),
    field(name = "string_value", ty = "Option<String>"),
    field(name = "updated_at", ty = "DateTimeScalar"),
    field(name = "prefilled", ty = "bool"),
    field(name = "columns", ty = "Vec<Column>")
)]
pub enum Champ {
    TextChamp(TextChamp),
    CheckboxChamp(CheckboxChamp),
    YesNoChamp(YesNoChamp),
    IntegerNumberChamp(IntegerNumberChamp),
    DecimalNumberChamp(DecimalNumberChamp),
    DateChamp(DateChamp),
    DatetimeChamp(DatetimeChamp),
    DropDownListChamp(DropDownListChamp),
    MultipleDropDownListChamp(MultipleDropDownListChamp),
    LinkedDropDownListChamp(LinkedDropDownListChamp),
    CiviliteChamp(CiviliteChamp),
    PieceJustificativeChamp(PieceJustificativeChamp),
    TitreIdentiteChamp(TitreIdentiteChamp),
    SiretChamp(SiretChamp),
    AddressChamp(AddressChamp),
    CommuneChamp(CommuneChamp),
    DepartementChamp(DepartementChamp),
    RegionChamp(RegionChamp),
    PaysChamp(PaysChamp),
    EpciChamp(EpciChamp),
    RNAChamp(RNAChamp),
    RNFChamp(RNFChamp),
    CarteChamp(CarteChamp),
    DossierLinkChamp(DossierLinkChamp),
    EngagementJuridiqueChamp(EngagementJuridiqueChamp),
    RepetitionChamp(RepetitionChamp),
    HeaderSectionChamp(HeaderSectionChamp),
    ExplicationChamp(ExplicationChamp),
}
