//! Builds the GraphQL view of a champ record, applying DS's type-resolution quirk
//! (API-NOTES §6): some champ types resolve to their own GraphQL type only when the query
//! document holds a fragment on that type, otherwise to `TextChamp` (YesNo → `CheckboxChamp`,
//! Datetime → `DateChamp`). Clients that forget the fragments get what real DS gives them.

use async_graphql::ID;

use super::Civilite;
use super::champs::*;
use super::columns;
use crate::model::{ChampRecord, Descriptor, Kind, Value};
use crate::util;

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
        Value::Files(_) if desc.kind == Kind::TitreIdentite => "Titre d’identité fourni".into(),
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
        Value::GeoAreas(areas) => format!("{} zone(s)", areas.len()),
        Value::Epci { name, .. } => name.clone(),
        Value::Registry { id, title, .. } => format!("{title} ({id})"),
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
    let shown = string_value(desc, &rec.value);
    let c = Common {
        id: util::champ_id(desc.stable_id, row),
        descriptor_id: util::champ_id(desc.stable_id, None),
        label: desc.label.clone(),
        columns: columns::build(desc, &rec.value, &shown),
        string_value: shown,
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
        Kind::Text
        | Kind::Textarea
        | Kind::Email
        | Kind::Phone
        | Kind::Iban
        | Kind::Formatted
        | Kind::Referentiel
        | Kind::Cnaf
        | Kind::Dgfip
        | Kind::PoleEmploi
        | Kind::Mesri
        | Kind::Cojo
        | Kind::AnnuaireEducation => Champ::TextChamp(TextChamp { value: text(v), c }),
        Kind::EngagementJuridique => Champ::EngagementJuridiqueChamp(EngagementJuridiqueChamp {
            filled: matches!(v, Value::Text(t) if !t.is_empty()),
            c,
        }),
        Kind::Number => Champ::IntegerNumberChamp(IntegerNumberChamp {
            value: match v {
                Value::Int(i) => Some(*i),
                _ => None,
            },
            c,
        }),
        Kind::TitreIdentite => Champ::TitreIdentiteChamp(TitreIdentiteChamp {
            filled: matches!(v, Value::Files(f) if !f.is_empty()),
            c,
        }),
        Kind::Carte => Champ::CarteChamp(CarteChamp {
            areas: match v {
                Value::GeoAreas(a) => a.clone(),
                _ => Vec::new(),
            },
            c,
        }),
        Kind::DossierLink => Champ::DossierLinkChamp(DossierLinkChamp {
            number: match v {
                Value::Int(n) => Some(*n),
                _ => None,
            },
            c,
        }),
        Kind::Epci => {
            let (epci, departement) = match v {
                Value::Epci {
                    code,
                    name,
                    dep_code,
                    dep_name,
                } => (
                    Some(Epci {
                        code: code.clone(),
                        name: name.clone(),
                    }),
                    Some(Departement {
                        code: dep_code.clone(),
                        name: dep_name.clone(),
                    }),
                ),
                _ => (None, None),
            };
            Champ::EpciChamp(EpciChamp {
                epci,
                departement,
                c,
            })
        }
        Kind::Rna => Champ::RNAChamp(RNAChamp {
            rna: registry(v),
            c,
        }),
        Kind::Rnf => Champ::RNFChamp(RNFChamp {
            rnf: registry(v),
            c,
        }),
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
            instant: match v {
                Value::Date(d) => util::paris_midnight(*d),
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
            instant: match v {
                Value::DateTime(t) => Some(*t),
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

fn registry(v: &Value) -> Option<Registry> {
    match v {
        Value::Registry { id, title, address } => Some(Registry {
            id: id.clone(),
            title: title.clone(),
            address: (**address).clone(),
        }),
        _ => None,
    }
}

fn code(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Code { code, name } => Some((code.clone(), name.clone())),
        _ => None,
    }
}
