//! The `Champ` interface, its concrete types, and DS's type-resolution quirk (API-NOTES §6):
//! some champ types resolve to their own GraphQL type only when the query document holds a
//! fragment on that type, otherwise to `TextChamp` (YesNo → `CheckboxChamp`, Datetime →
//! `DateChamp`). Clients that forget the fragments get what real DS gives them.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{ID, Interface, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::Civilite;
use super::objects::{AddressObj, FileObj, PersonneMorale};
use super::scalars::{BigInt, DateScalar, DateTimeScalar};
use crate::model::{ChampRecord, Descriptor, FileRecord, Kind, Value};
use crate::util;

/// Type names that appear as fragment type conditions in the query document.
#[derive(Debug, Clone, Default)]
pub struct FragmentTypes(pub HashSet<String>);

/// Fields every champ has.
#[derive(Debug, Clone)]
pub struct Common {
    id: String,
    descriptor_id: String,
    label: String,
    string_value: Option<String>,
    updated_at: DateTime<Utc>,
}

macro_rules! champ_type {
    ($name:ident { $($field:ident : $ty:ty),* } $($extra:tt)*) => {
        pub struct $name { c: Common, $($field: $ty),* }
        #[Object]
        impl $name {
            async fn id(&self) -> ID { ID(self.c.id.clone()) }
            /// L’identifiant du champDescriptor de ce champ.
            async fn champ_descriptor_id(&self) -> String { self.c.descriptor_id.clone() }
            async fn label(&self) -> String { self.c.label.clone() }
            async fn string_value(&self) -> Option<String> { self.c.string_value.clone() }
            async fn updated_at(&self) -> DateTimeScalar { DateTimeScalar(self.c.updated_at) }
            async fn prefilled(&self) -> bool { false }
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
champ_type!(DateChamp { date: Option<NaiveDate> }
    async fn date(&self) -> Option<DateScalar> { self.date.map(DateScalar) });
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
    async fn files(&self) -> Vec<FileObj> { self.files.iter().cloned().map(FileObj).collect() });
champ_type!(SiretChamp { etab: Option<crate::model::Etablissement> }
    async fn etablissement(&self) -> Option<PersonneMorale> { self.etab.clone().map(PersonneMorale) });
champ_type!(AddressChamp { address: Option<crate::model::AddressData> }
async fn address(&self) -> Option<AddressObj> { self.address.clone().map(AddressObj) }
async fn commune(&self) -> Option<Commune> {
    self.address.as_ref().map(|a| Commune { name: a.city_name.clone(), code: a.city_code.clone(), postal_code: Some(a.postal_code.clone()) })
}
async fn departement(&self) -> Option<Departement> {
    self.address.as_ref().map(|a| Departement { code: a.department_code.clone(), name: a.department_name.clone() })
});
champ_type!(CommuneChamp { commune: Option<Commune>, departement: Option<Departement> }
    async fn commune(&self) -> Option<Commune> { self.commune.clone() }
    async fn departement(&self) -> Option<Departement> { self.departement.clone() });
champ_type!(DepartementChamp { departement: Option<Departement> }
    async fn departement(&self) -> Option<Departement> { self.departement.clone() });
champ_type!(RegionChamp { region: Option<Region> }
    async fn region(&self) -> Option<Region> { self.region.clone() });
champ_type!(PaysChamp { pays: Option<Pays> }
    async fn pays(&self) -> Option<Pays> { self.pays.clone() });
champ_type!(RepetitionChamp { rows: Vec<Row> }
    async fn rows(&self) -> Vec<Row> { self.rows.clone() });
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

#[derive(Debug, Clone, SimpleObject)]
pub struct Departement {
    pub code: String,
    pub name: String,
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

/// `interface Champ`.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "champ_descriptor_id", ty = "String"),
    field(name = "label", ty = "String"),
    field(name = "string_value", ty = "Option<String>"),
    field(name = "updated_at", ty = "DateTimeScalar"),
    field(name = "prefilled", ty = "bool")
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
    SiretChamp(SiretChamp),
    AddressChamp(AddressChamp),
    CommuneChamp(CommuneChamp),
    DepartementChamp(DepartementChamp),
    RegionChamp(RegionChamp),
    PaysChamp(PaysChamp),
    RepetitionChamp(RepetitionChamp),
    HeaderSectionChamp(HeaderSectionChamp),
    ExplicationChamp(ExplicationChamp),
}

// Rows hold champs and champs hold rows; cloning is only ever done on built views.
impl Clone for Champ {
    fn clone(&self) -> Self {
        macro_rules! cl {
            ($($v:ident { $($f:ident),* }),*) => {
                match self { $(Champ::$v(x) => Champ::$v($v { c: x.c.clone(), $($f: x.$f.clone()),* }),)* }
            };
        }
        cl!(
            TextChamp { value },
            CheckboxChamp { value },
            YesNoChamp { value },
            IntegerNumberChamp { value },
            DecimalNumberChamp { value },
            DateChamp { date },
            DatetimeChamp { datetime },
            DropDownListChamp { value },
            MultipleDropDownListChamp { values },
            LinkedDropDownListChamp { primary, secondary },
            CiviliteChamp { value },
            PieceJustificativeChamp { files },
            SiretChamp { etab },
            AddressChamp { address },
            CommuneChamp {
                commune,
                departement
            },
            DepartementChamp { departement },
            RegionChamp { region },
            PaysChamp { pays },
            RepetitionChamp { rows },
            HeaderSectionChamp { level },
            ExplicationChamp {}
        )
    }
}

/// DS's `to_s` of a champ, approximately: clients should read typed fields, not this.
fn string_value(desc: &Descriptor, v: &Value) -> Option<String> {
    let s = match v {
        Value::Empty => return matches!(desc.kind, Kind::Checkbox).then(|| "Non".into()),
        Value::Text(t) if desc.kind == Kind::Civilite => {
            if t == "M" {
                "M.".into()
            } else {
                t.clone()
            }
        }
        Value::Text(t) => t.clone(),
        Value::Bool(b) => if *b { "Oui" } else { "Non" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(f) => f.to_string(),
        Value::Date(d) => d.format("%d/%m/%Y").to_string(),
        Value::DateTime(t) => t
            .with_timezone(&util::paris_offset(*t))
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        Value::Multi(l) => l.join(", "),
        Value::Linked(a, b) => b
            .as_ref()
            .map(|b| format!("{a} / {b}"))
            .unwrap_or_else(|| a.clone()),
        Value::Files(f) => f
            .iter()
            .map(|f| f.filename.clone())
            .collect::<Vec<_>>()
            .join(", "),
        Value::Siret(e) => e.siret.clone(),
        Value::Address(a) => a.label.clone(),
        Value::Commune {
            name, postal_code, ..
        } => format!("{name} ({postal_code})"),
        Value::Code { code, name } if matches!(desc.kind, Kind::Departement) => {
            format!("{code} – {name}")
        }
        Value::Code { name, .. } => name.clone(),
        Value::Rows(_) => return None,
    };
    Some(s)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// Builds the GraphQL view of one champ, applying the type-resolution quirk.
pub fn build(
    desc: &Descriptor,
    rec: &ChampRecord,
    row: Option<u64>,
    frags: &FragmentTypes,
) -> Champ {
    let c = Common {
        id: util::champ_id(desc.stable_id, row),
        descriptor_id: util::champ_id(desc.stable_id, None),
        label: desc.label.clone(),
        string_value: string_value(desc, &rec.value),
        updated_at: rec.updated_at,
    };
    let has = |t: &str| frags.0.contains(t);
    let v = &rec.value;
    let as_text = |c: Common| {
        Champ::TextChamp(TextChamp {
            value: c.string_value.clone(),
            c,
        })
    };
    match &desc.kind {
        Kind::Text | Kind::Textarea | Kind::Email | Kind::Phone => {
            Champ::TextChamp(TextChamp { value: text(v), c })
        }
        Kind::Checkbox => Champ::CheckboxChamp(CheckboxChamp {
            value: matches!(v, Value::Bool(true)),
            c,
        }),
        Kind::YesNo if has("YesNoChamp") => Champ::YesNoChamp(YesNoChamp {
            value: match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
            c,
        }),
        Kind::YesNo => Champ::CheckboxChamp(CheckboxChamp {
            value: matches!(v, Value::Bool(true)),
            c,
        }),
        Kind::IntegerNumber => Champ::IntegerNumberChamp(IntegerNumberChamp {
            value: match v {
                Value::Int(i) => Some(*i),
                _ => None,
            },
            c,
        }),
        Kind::DecimalNumber => Champ::DecimalNumberChamp(DecimalNumberChamp {
            value: match v {
                Value::Decimal(f) => Some(*f),
                _ => None,
            },
            c,
        }),
        Kind::Date => Champ::DateChamp(DateChamp {
            date: match v {
                Value::Date(d) => Some(*d),
                _ => None,
            },
            c,
        }),
        Kind::Datetime if has("DatetimeChamp") => Champ::DatetimeChamp(DatetimeChamp {
            datetime: match v {
                Value::DateTime(t) => Some(*t),
                _ => None,
            },
            c,
        }),
        Kind::Datetime => Champ::DateChamp(DateChamp {
            date: match v {
                Value::DateTime(t) => Some(t.with_timezone(&util::paris_offset(*t)).date_naive()),
                _ => None,
            },
            c,
        }),
        Kind::DropDownList { .. } if has("DropDownListChamp") => {
            Champ::DropDownListChamp(DropDownListChamp { value: text(v), c })
        }
        Kind::MultipleDropDownList { .. } => {
            Champ::MultipleDropDownListChamp(MultipleDropDownListChamp {
                values: match v {
                    Value::Multi(l) => l.clone(),
                    _ => Vec::new(),
                },
                c,
            })
        }
        Kind::LinkedDropDownList { .. } => {
            let (primary, secondary) = match v {
                Value::Linked(a, b) => (Some(a.clone()), b.clone()),
                _ => (None, None),
            };
            Champ::LinkedDropDownListChamp(LinkedDropDownListChamp {
                primary,
                secondary,
                c,
            })
        }
        Kind::Civilite => Champ::CiviliteChamp(CiviliteChamp {
            value: match v {
                Value::Text(t) if t == "M" => Some(Civilite::M),
                Value::Text(t) if t == "Mme" => Some(Civilite::Mme),
                _ => None,
            },
            c,
        }),
        Kind::PieceJustificative => Champ::PieceJustificativeChamp(PieceJustificativeChamp {
            files: match v {
                Value::Files(f) => f.clone(),
                _ => Vec::new(),
            },
            c,
        }),
        Kind::Siret => Champ::SiretChamp(SiretChamp {
            etab: match v {
                Value::Siret(e) => Some((**e).clone()),
                _ => None,
            },
            c,
        }),
        Kind::Address if has("AddressChamp") => Champ::AddressChamp(AddressChamp {
            address: match v {
                Value::Address(a) => Some((**a).clone()),
                _ => None,
            },
            c,
        }),
        Kind::Commune if has("CommuneChamp") => {
            let (commune, departement) = match v {
                Value::Commune {
                    name,
                    code,
                    postal_code,
                    dep_code,
                    dep_name,
                } => (
                    Some(Commune {
                        code: code.clone(),
                        name: name.clone(),
                        postal_code: Some(postal_code.clone()),
                    }),
                    Some(Departement {
                        code: dep_code.clone(),
                        name: dep_name.clone(),
                    }),
                ),
                _ => (None, None),
            };
            Champ::CommuneChamp(CommuneChamp {
                commune,
                departement,
                c,
            })
        }
        Kind::Departement if has("DepartementChamp") => Champ::DepartementChamp(DepartementChamp {
            departement: code(v).map(|(code, name)| Departement { code, name }),
            c,
        }),
        Kind::Region if has("RegionChamp") => Champ::RegionChamp(RegionChamp {
            region: code(v).map(|(code, name)| Region { code, name }),
            c,
        }),
        Kind::Pays if has("PaysChamp") => Champ::PaysChamp(PaysChamp {
            pays: code(v).map(|(code, name)| Pays { code, name }),
            c,
        }),
        Kind::Repetition { children } => {
            let rows = match v {
                Value::Rows(rows) => rows
                    .iter()
                    .map(|r| Row {
                        id: ID(util::global_id("Row", r.id)),
                        champs: children
                            .iter()
                            .filter_map(|cd| {
                                r.champs
                                    .iter()
                                    .find(|x| x.stable_id == cd.stable_id)
                                    .map(|x| build(cd, x, Some(r.id), frags))
                            })
                            .collect(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Champ::RepetitionChamp(RepetitionChamp { rows, c })
        }
        Kind::HeaderSection { level } if has("HeaderSectionChamp") => {
            Champ::HeaderSectionChamp(HeaderSectionChamp { level: *level, c })
        }
        Kind::Explication if has("ExplicationChamp") => {
            Champ::ExplicationChamp(ExplicationChamp { c })
        }
        Kind::DropDownList { .. }
        | Kind::Address
        | Kind::Commune
        | Kind::Departement
        | Kind::Region
        | Kind::Pays
        | Kind::HeaderSection { .. }
        | Kind::Explication => as_text(c),
    }
}

fn code(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Code { code, name } => Some((code.clone(), name.clone())),
        _ => None,
    }
}
