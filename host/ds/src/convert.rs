//! From generated response types to the public model.
//!
//! graphql_client gives every operation its own copy of each fragment
//! (`get_dossier::RootChamp` and `dossiers_page::RootChamp` are distinct
//! types with the same shape). The conversions are therefore written once as
//! macros over field names and instantiated per operation module.

use crate::model::{
    Address, Cell, Champ, ChampDescriptor, ChampValue, DeletedDossier, Demandeur, DsFile,
    Etablissement, Label, PersonnePhysique, Place, Row,
};
use crate::values::{EngagementJuridique, GeoArea, Parcelle, RegisterEntry, TitreIdentite};

/// A champ of a type DS added after this client was written: its text.
fn unknown(string_value: Option<String>) -> ChampValue {
    ChampValue::Unknown(string_value.filter(|s| !s.is_empty()))
}

/// What a dossier holds that this client does not know, each named: its
/// state, and every champ or annotation of an unknown type.
fn unknowns(state: Option<&str>, d: &crate::model::Dossier) -> Vec<String> {
    let mut out: Vec<String> = state
        .map(|s| format!("state `{}`", clip(s)))
        .into_iter()
        .collect();
    let is_unknown = |v: &ChampValue| matches!(v, ChampValue::Unknown(_));
    for c in d.champs.iter().chain(&d.annotations) {
        if is_unknown(&c.value) {
            out.push(format!(
                "champ {} « {} » of a new type",
                c.id,
                clip(&c.label)
            ));
        }
        for cell in c.rows.iter().flat_map(|r| &r.cells) {
            if is_unknown(&cell.value) {
                out.push(format!(
                    "champ {} « {} » of a new type",
                    cell.id,
                    clip(&cell.label)
                ));
            }
        }
    }
    out
}

/// DS's text, cut so no reason grows with what DS sends.
fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> ChampValue) -> ChampValue {
    v.map(f).unwrap_or(ChampValue::Empty)
}

/// Maps one `…On` enum (champ fragments) to a typed value. `$extra` holds
/// arms specific to the fragment (repetition rows for root champs).
macro_rules! champ_value {
    ($m:ident :: $on:ident, $value:expr, $string_value:expr, { $($extra:tt)* }) => {{
        use $m::$on as On;
        match $value {
            On::TextChamp(v) => opt(v.text_value, ChampValue::Text),
            On::CheckboxChamp(v) => ChampValue::Checkbox(v.checked),
            On::YesNoChamp(v) => opt(v.yes_no, ChampValue::YesNo),
            On::IntegerNumberChamp(v) => opt(v.integer_value, |n| ChampValue::Integer(n.0)),
            On::DecimalNumberChamp(v) => opt(v.decimal_value, ChampValue::Decimal),
            On::DateChamp(v) => opt(v.date, ChampValue::Date),
            On::DatetimeChamp(v) => opt(v.datetime, ChampValue::Datetime),
            On::DropDownListChamp(v) => opt(v.choice, ChampValue::DropDown),
            On::MultipleDropDownListChamp(v) => ChampValue::MultipleDropDown(v.values),
            On::LinkedDropDownListChamp(v) => {
                if v.primary_value.is_none() && v.secondary_value.is_none() {
                    ChampValue::Empty
                } else {
                    ChampValue::LinkedDropDown(
                        v.primary_value.unwrap_or_default(),
                        v.secondary_value.unwrap_or_default(),
                    )
                }
            }
            On::CiviliteChamp(v) => opt(v.civilite, ChampValue::Civilite),
            On::PieceJustificativeChamp(v) => {
                ChampValue::Files(v.files.into_iter().map(|f| ds_file!(f)).collect())
            }
            On::SiretChamp(v) => opt(v.etablissement, |e| ChampValue::Siret(etablissement!(e))),
            On::AddressChamp(v) => opt(v.address, |a| ChampValue::Address(address!(a))),
            On::CommuneChamp(v) => opt(v.commune, |p| ChampValue::Commune(place!(p))),
            On::DepartementChamp(v) => opt(v.departement, |p| ChampValue::Departement(place!(p))),
            On::RegionChamp(v) => opt(v.region, |p| ChampValue::Region(place!(p))),
            On::PaysChamp(v) => opt(v.pays, |p| ChampValue::Pays(place!(p))),
            On::HeaderSectionChamp(v) => ChampValue::HeaderSection(v.level),
            On::ExplicationChamp(_) => ChampValue::Explication,
            On::CarteChamp(v) => ChampValue::Carte(
                v.geo_areas.into_iter().map(|a| geo_area!($m, a)).collect(),
            ),
            On::DossierLinkChamp(v) => opt(v.dossier, |d| ChampValue::DossierLink(d.number)),
            On::EngagementJuridiqueChamp(v) => {
                let ej = v.engagement_juridique;
                let numero = $string_value.clone().unwrap_or_default();
                if numero.is_empty() && ej.is_none() {
                    ChampValue::Empty
                } else {
                    ChampValue::EngagementJuridique(EngagementJuridique {
                        numero,
                        montant_engage: ej.as_ref().and_then(|e| e.montant_engage.clone()),
                        montant_paye: ej.and_then(|e| e.montant_paye),
                    })
                }
            }
            On::EpciChamp(v) => opt(v.epci, |p| ChampValue::Epci(place!(p))),
            On::RNAChamp(v) => opt(v.rna, |r| ChampValue::Rna(register!(r))),
            On::RNFChamp(v) => opt(v.rnf, |r| ChampValue::Rnf(register!(r))),
            On::TitreIdentiteChamp(v) => ChampValue::TitreIdentite(TitreIdentite {
                filled: v.filled,
                grant_type: v.grant_type,
            }),
            $($extra)*
            _ => unknown($string_value),
        }
    }};
}

macro_rules! address {
    ($a:expr) => {
        Address {
            label: $a.label,
            postal_code: $a.postal_code,
            city_name: $a.city_name,
            city_code: $a.city_code,
            departement_code: $a.department_code,
        }
    };
}

macro_rules! register {
    ($r:expr) => {
        RegisterEntry {
            id: $r.id,
            title: $r.title,
            address: $r.address.map(|a| address!(a)),
        }
    };
}

/// A carte champ's area; the geometry kept as GeoJSON text.
macro_rules! geo_area {
    ($m:ident, $a:expr) => {{
        let a = $a;
        let geometry = serde_json::json!({
            "type": a.geometry.type_,
            "coordinates": a.geometry.coordinates,
        })
        .to_string();
        let parcelle = match a.on {
            $m::GeoAreaFieldsOn::ParcelleCadastrale(p) => Some(Parcelle {
                commune: p.commune,
                prefixe: p.prefixe,
                section: p.section,
                numero: p.numero,
                surface: p.surface,
            }),
            _ => None,
        };
        GeoArea {
            id: a.id,
            source: a.source,
            description: a.description,
            geometry,
            parcelle,
        }
    }};
}

macro_rules! place {
    ($p:expr) => {
        Place {
            name: $p.name,
            code: $p.code,
        }
    };
}

macro_rules! ds_file {
    ($f:expr) => {
        DsFile {
            url: $f.url,
            filename: $f.filename,
            content_type: $f.content_type,
            checksum: $f.checksum,
            byte_size: u64::try_from($f.byte_size_big_int.0).unwrap_or(0),
        }
    };
}

macro_rules! etablissement {
    ($e:expr) => {{
        let e = $e;
        let (siren, raison_sociale) = match e.entreprise {
            Some(ent) => (Some(ent.siren), Some(ent.raison_sociale)),
            None => (None, None),
        };
        Etablissement {
            siret: e.siret,
            siren,
            raison_sociale,
            naf: e.naf,
            libelle_naf: e.libelle_naf,
            address: e.address.label,
        }
    }};
}

macro_rules! label {
    ($l:expr) => {
        Label {
            id: $l.id,
            name: $l.name,
            color: $l.color,
        }
    };
}

/// Implements the dossier conversions for one operation module that uses the
/// `DossierFields` fragment.
macro_rules! dossier_conversions {
    ($m:ident) => {
        impl From<$m::CellChamp> for Cell {
            fn from(c: $m::CellChamp) -> Self {
                let string_value = c.string_value.clone();
                let value = champ_value!($m::CellChampOn, c.on, c.string_value, {});
                Cell {
                    id: c.champ_descriptor_id,
                    champ_id: c.id,
                    label: c.label,
                    value,
                    string_value,
                }
            }
        }

        impl From<$m::RootChamp> for Champ {
            fn from(c: $m::RootChamp) -> Self {
                let string_value = c.string_value.clone();
                let mut rows = Vec::new();
                let value = champ_value!($m::RootChampOn, c.on, c.string_value, {
                    $m::RootChampOn::RepetitionChamp(v) => {
                        rows = v
                            .rows
                            .into_iter()
                            .map(|r| Row {
                                id: r.id,
                                cells: r.champs.into_iter().map(Cell::from).collect(),
                            })
                            .collect();
                        ChampValue::Repetition
                    }
                });
                Champ { id: c.champ_descriptor_id, label: c.label, value, string_value, rows }
            }
        }

        impl From<$m::DossierFields> for crate::model::Dossier {
            fn from(d: $m::DossierFields) -> Self {
                use $m::DossierFieldsDemandeur as D;
                let demandeur = match d.demandeur {
                    D::PersonnePhysique(p) => Demandeur::PersonnePhysique(PersonnePhysique {
                        civilite: p.civilite.unwrap_or_default(),
                        nom: p.nom,
                        prenom: p.prenom,
                        email: p.email,
                    }),
                    D::PersonneMorale(e) => Demandeur::PersonneMorale(etablissement!(e)),
                    D::PersonneMoraleIncomplete(p) => {
                        Demandeur::PersonneMoraleIncomplete { siret: p.siret }
                    }
                    _ => Demandeur::None,
                };
                let state_unknown = d.state.unknown().map(str::to_string);
                let dernier_message_usager = d
                    .messages
                    .iter()
                    .filter(|m| m.email == d.usager.email)
                    .map(|m| m.created_at.clone())
                    .max();
                let mut out = crate::model::Dossier {
                    dernier_message_usager,
                    date_derniere_modification_champs: Some(d.date_derniere_modification_champs),
                    date_derniere_correction_en_attente: d.date_derniere_correction_en_attente,
                    id: d.id,
                    number: d.number,
                    demarche: d.demarche.number,
                    state: d.state.value(),
                    archived: d.archived,
                    date_depot: d.date_depot,
                    date_derniere_modification: d.date_derniere_modification,
                    date_passage_en_instruction: d.date_passage_en_instruction,
                    date_traitement: d.date_traitement,
                    motivation: d.motivation,
                    usager: crate::model::Profile { id: d.usager.id, email: d.usager.email },
                    demandeur,
                    groupe_instructeur: crate::model::GroupeRef {
                        id: d.groupe_instructeur.id,
                        number: d.groupe_instructeur.number,
                        label: d.groupe_instructeur.label,
                    },
                    labels: d.labels.into_iter().map(|l| label!(l)).collect(),
                    instructeurs: d
                        .instructeurs
                        .into_iter()
                        .map(|p| crate::model::Profile { id: p.id, email: p.email })
                        .collect(),
                    champs: d.champs.into_iter().map(Champ::from).collect(),
                    annotations: d.annotations.into_iter().map(Champ::from).collect(),
                    unknown: Vec::new(),
                };
                out.unknown = unknowns(state_unknown.as_deref(), &out);
                out
            }
        }
    };
}

use crate::ops::{dossiers_page, get_dossier};
dossier_conversions!(get_dossier);
dossier_conversions!(dossiers_page);

/// The DS type name of a generated interface variant, from its `Debug`
/// rendering (`TextChampDescriptor` or `DropDownListChampDescriptor(..)`):
/// graphql_client keeps `__typename` only as the enum tag.
fn variant_name(debug: &str) -> String {
    debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_string()
}

macro_rules! descriptor_base {
    ($d:expr, $kind:expr) => {
        ChampDescriptor {
            id: $d.id,
            label: $d.label,
            kind: $kind,
            required: $d.required,
            description: $d.description,
            options: Vec::new(),
            other_option: false,
            children: Vec::new(),
        }
    };
}

impl From<crate::ops::get_demarche::ChildDescriptor> for ChampDescriptor {
    fn from(d: crate::ops::get_demarche::ChildDescriptor) -> Self {
        use crate::ops::get_demarche::ChildDescriptorOn as On;
        let kind = variant_name(&format!("{:?}", d.on));
        let on = d.on.clone();
        let mut out = descriptor_base!(d, kind);
        match on {
            On::DropDownListChampDescriptor(v) => {
                out.options = v.options.unwrap_or_default();
                out.other_option = v.other_option.unwrap_or(false);
            }
            On::MultipleDropDownListChampDescriptor(v) => {
                out.options = v.options.unwrap_or_default();
            }
            _ => {}
        }
        out
    }
}

impl From<crate::ops::get_demarche::Descriptor> for ChampDescriptor {
    fn from(d: crate::ops::get_demarche::Descriptor) -> Self {
        use crate::ops::get_demarche::DescriptorOn as On;
        let kind = variant_name(&format!("{:?}", d.on));
        let on = d.on.clone();
        let mut out = descriptor_base!(d, kind);
        match on {
            On::DropDownListChampDescriptor(v) => {
                out.options = v.options.unwrap_or_default();
                out.other_option = v.other_option.unwrap_or(false);
            }
            On::MultipleDropDownListChampDescriptor(v) => {
                out.options = v.options.unwrap_or_default();
            }
            On::RepetitionChampDescriptor(v) => {
                out.children = v
                    .champ_descriptors
                    .unwrap_or_default()
                    .into_iter()
                    .map(ChampDescriptor::from)
                    .collect();
            }
            _ => {}
        }
        out
    }
}

impl From<crate::ops::get_demarche::GetDemarcheDemarche> for crate::model::Demarche {
    fn from(d: crate::ops::get_demarche::GetDemarcheDemarche) -> Self {
        let rev = d.active_revision;
        crate::model::Demarche {
            id: d.id,
            number: d.number,
            title: d.title,
            state: d.state,
            revision_id: rev.id,
            champ_descriptors: rev.champ_descriptors.into_iter().map(Into::into).collect(),
            annotation_descriptors: rev
                .annotation_descriptors
                .into_iter()
                .map(Into::into)
                .collect(),
            groupes: d
                .groupe_instructeurs
                .into_iter()
                .map(|g| crate::model::GroupeInstructeur {
                    id: g.id,
                    number: g.number,
                    label: g.label,
                    closed: g.closed,
                    instructeurs: g
                        .instructeurs
                        .into_iter()
                        .map(|i| crate::model::Instructeur {
                            id: i.id,
                            email: i.email,
                        })
                        .collect(),
                })
                .collect(),
            labels: d.labels.into_iter().map(|l| label!(l)).collect(),
        }
    }
}

macro_rules! deleted_conversion {
    ($m:ident) => {
        impl From<$m::DeletedFields> for DeletedDossier {
            fn from(d: $m::DeletedFields) -> Self {
                DeletedDossier {
                    id: d.id,
                    number: d.number,
                    state: d.state.value(),
                    reason: d.reason,
                    date_suppression: d.date_supression,
                }
            }
        }
    };
}

use crate::ops::{deleted_dossiers, pending_deleted_dossiers};
deleted_conversion!(deleted_dossiers);
deleted_conversion!(pending_deleted_dossiers);

impl From<crate::ops::dossier_messages::DossierMessagesDossierMessages> for crate::model::Message {
    fn from(m: crate::ops::dossier_messages::DossierMessagesDossierMessages) -> Self {
        crate::model::Message {
            id: m.id,
            email: m.email,
            body: m.body,
            created_at: m.created_at,
            attachments: m.attachments.into_iter().map(|f| ds_file!(f)).collect(),
            correction: m.correction.map(|c| crate::model::Correction {
                reason: c.reason.value(),
                date_resolution: c.date_resolution,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ChampValue, Demandeur, Dossier, DossierState};
    use crate::ops::get_dossier;

    fn fixture() -> Dossier {
        let raw = include_str!("../tests/fixtures/dossier.json");
        let mut json: serde_json::Value = serde_json::from_str(raw).expect("fixture is JSON");
        // A champ of a type DS adds after this client was written.
        json["champs"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "__typename": "NouveauChamp", "id": "Champ-23", "champDescriptorId": "Champ-23",
                "label": "Nouveauté", "stringValue": "valeur"
            }));
        let data: get_dossier::ResponseData =
            serde_json::from_value(serde_json::json!({ "dossier": json }))
                .expect("fixture decodes");
        data.dossier.into()
    }

    #[test]
    fn a_new_state_decodes_as_unknown_and_is_named() {
        let raw = include_str!("../tests/fixtures/dossier.json");
        let mut json: serde_json::Value = serde_json::from_str(raw).unwrap();
        json["state"] = serde_json::json!("en_attente_de_signature");
        let data: get_dossier::ResponseData =
            serde_json::from_value(serde_json::json!({ "dossier": json })).expect("decodes");
        let d: Dossier = data.dossier.into();
        assert_eq!(d.state, DossierState::Unknown);
        assert_eq!(d.unknown, ["state `en_attente_de_signature`"]);
    }

    #[test]
    fn the_applicants_last_message_and_champs_date_are_kept() {
        let d = fixture();
        // Only the usager's own message counts, not the instructeur's.
        assert_eq!(
            d.dernier_message_usager.as_deref(),
            Some("2026-01-12T08:15:00+01:00")
        );
        assert_eq!(
            d.date_derniere_modification_champs.as_deref(),
            Some("2026-01-11T09:00:00+01:00")
        );
        assert_eq!(d.date_derniere_correction_en_attente, None);
    }

    #[test]
    fn scalar_champs_become_typed_values() {
        let d = fixture();
        assert_eq!(d.state, DossierState::EnInstruction);
        assert_eq!(d.demarche, 7);
        let v = |id: &str| d.champ(id).map(|c| c.value.clone()).expect(id);
        assert_eq!(v("Champ-1"), ChampValue::HeaderSection(1));
        assert_eq!(v("Champ-2"), ChampValue::Text("Pont".into()));
        assert_eq!(v("Champ-3"), ChampValue::Empty);
        assert_eq!(v("Champ-4"), ChampValue::Checkbox(true));
        assert_eq!(v("Champ-5"), ChampValue::YesNo(false));
        assert_eq!(v("Champ-6"), ChampValue::Integer(12));
        assert_eq!(v("Champ-7"), ChampValue::Decimal(1500.5));
        assert_eq!(v("Champ-8"), ChampValue::Date("2026-03-01".into()));
        assert_eq!(
            v("Champ-9"),
            ChampValue::Datetime("2026-03-01T10:00:00+01:00".into())
        );
        assert_eq!(v("Champ-10"), ChampValue::DropDown("DETR".into()));
        assert_eq!(
            v("Champ-11"),
            ChampValue::MultipleDropDown(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            v("Champ-12"),
            ChampValue::LinkedDropDown("x".into(), "y".into())
        );
        assert_eq!(v("Champ-13"), ChampValue::Civilite("Mme".into()));
        assert_eq!(v("Champ-21"), ChampValue::Explication);
        assert!(matches!(v("Champ-22"), ChampValue::TitreIdentite(t) if t.filled));
        // A type DS added later keeps DS's text, and the dossier names it.
        assert_eq!(v("Champ-23"), ChampValue::Unknown(Some("valeur".into())));
        assert_eq!(d.unknown.len(), 1, "{:?}", d.unknown);
        assert!(d.unknown[0].contains("Champ-23"), "{:?}", d.unknown);
        assert!(d.review_reason().is_some());
    }

    #[test]
    fn structured_champs() {
        let d = fixture();
        let v = |id: &str| d.champ(id).map(|c| c.value.clone()).expect(id);
        match v("Champ-14") {
            ChampValue::Files(files) => {
                assert_eq!(files.len(), 1);
                assert_eq!(files[0].filename, "devis.pdf");
                assert_eq!(files[0].checksum, "1B2M2Y8AsgTpgAmY7PhCfg==");
            }
            other => panic!("files expected, got {other:?}"),
        }
        match v("Champ-15") {
            ChampValue::Siret(e) => {
                assert_eq!(e.siret, "13002526500013");
                assert_eq!(e.raison_sociale, None);
            }
            other => panic!("siret expected, got {other:?}"),
        }
        match v("Champ-16") {
            ChampValue::Address(a) => {
                assert_eq!(a.city_code, "31555");
                assert_eq!(a.departement_code.as_deref(), Some("31"));
            }
            other => panic!("address expected, got {other:?}"),
        }
        assert!(matches!(v("Champ-17"), ChampValue::Commune(p) if p.code == "81004"));
        assert!(matches!(v("Champ-18"), ChampValue::Departement(p) if p.code == "81"));
        assert!(matches!(v("Champ-19"), ChampValue::Region(p) if p.name == "Occitanie"));
        assert!(matches!(v("Champ-20"), ChampValue::Pays(p) if p.code == "FR"));
        match &d.demandeur {
            Demandeur::PersonneMorale(e) => assert_eq!(e.raison_sociale.as_deref(), Some("DINUM")),
            other => panic!("personne morale expected, got {other:?}"),
        }
        assert_eq!(
            d.annotation("Champ-50").map(|c| &c.value),
            Some(&ChampValue::Text("EJ-1".into()))
        );
    }

    #[test]
    fn repetition_rows_keep_row_ids_and_stable_cell_ids() {
        let d = fixture();
        let rep = d.champ("Champ-30").expect("repetition");
        assert_eq!(rep.value, ChampValue::Repetition);
        assert_eq!(rep.rows.len(), 2);
        assert_eq!(rep.rows[0].id, "Row-100");
        let cell = rep.rows[0].cell("Champ-32").expect("cell by stable id");
        assert_eq!(cell.champ_id, "Champ-32|100");
        assert_eq!(cell.value, ChampValue::Decimal(999.9));
        let second = &rep.rows[1];
        assert_eq!(
            second.cell("Champ-31").map(|c| &c.value),
            Some(&ChampValue::Text("Licence".into()))
        );
        assert_eq!(
            second.cell("Champ-32").map(|c| &c.value),
            Some(&ChampValue::Empty)
        );
    }
}
