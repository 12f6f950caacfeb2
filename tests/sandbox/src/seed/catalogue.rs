//! The catalogue démarche (107): every DS champ type the robots' démarches lack, with values
//! shaped like DS's (cadastral parcels, EPCI codes, RNA and RNF numbers, …).

use super::extras;
use crate::model::*;
use crate::util::Rng;

fn d(id: u64, label: &str, kind: Kind, required: bool) -> Descriptor {
    Descriptor {
        stable_id: id,
        label: label.into(),
        description: None,
        required,
        kind,
    }
}

/// Champ and annotation descriptors of the catalogue démarche.
pub(super) fn descriptors(number: i64) -> (Vec<Descriptor>, Vec<Descriptor>) {
    let s = |k: u64| number as u64 * 1000 + k;
    let champs = vec![
        d(s(1), "Le projet", Kind::HeaderSection { level: 1 }, false),
        d(
            s(2),
            "Toutes les rubriques sont présentes : chaque type de champ de DS.",
            Kind::Explication,
            false,
        ),
        d(s(3), "Emprise du projet", Kind::Carte, true),
        d(s(4), "Dossier de subvention lié", Kind::DossierLink, false),
        d(s(5), "EPCI du projet", Kind::Epci, true),
        d(s(6), "Association porteuse (RNA)", Kind::Rna, true),
        d(s(7), "Fondation partenaire (RNF)", Kind::Rnf, false),
        d(
            s(8),
            "Pièce d’identité du représentant",
            Kind::TitreIdentite,
            true,
        ),
        d(s(9), "Nombre de bénéficiaires", Kind::Number, true),
        d(s(10), "IBAN du porteur", Kind::Iban, true),
        d(s(11), "Référence cadastrale", Kind::Formatted, false),
        d(s(12), "Code de l’opération", Kind::Referentiel, false),
        d(s(13), "Numéro allocataire CAF", Kind::Cnaf, false),
        d(s(14), "Avis d’imposition", Kind::Dgfip, false),
        d(s(15), "Identifiant France Travail", Kind::PoleEmploi, false),
        d(s(16), "Identifiant national étudiant", Kind::Mesri, false),
        d(s(17), "Accréditation COJO", Kind::Cojo, false),
        d(
            s(18),
            "Établissement scolaire",
            Kind::AnnuaireEducation,
            false,
        ),
        d(
            s(19),
            "Engagement juridique",
            Kind::EngagementJuridique,
            true,
        ),
    ];
    let annotations = vec![
        d(s(501), "Avis du service", Kind::Textarea, false),
        d(s(502), "Montant retenu (€)", Kind::DecimalNumber, false),
        d(s(503), "Projet retenu", Kind::YesNo, false),
    ];
    (champs, annotations)
}

/// (code, name, département code, département name) of a few EPCI.
const EPCI: [(&str, &str, &str, &str); 4] = [
    ("243100518", "Toulouse Métropole", "31", "Haute-Garonne"),
    ("248200099", "Grand Montauban", "82", "Tarn-et-Garonne"),
    ("200068641", "Le Muretain Agglo", "31", "Haute-Garonne"),
    ("200054781", "Métropole du Grand Paris", "75", "Paris"),
];

fn digits(rng: &mut Rng, n: u32) -> String {
    format!("{:0width$}", rng.below(10u64.pow(n)), width = n as usize)
}

/// The value of a champ of a type only the catalogue uses; `None` for every other type.
pub(super) fn value(
    kind: &Kind,
    rng: &mut Rng,
    number: i64,
    address: AddressData,
) -> Option<Value> {
    Some(match kind {
        Kind::Number => Value::Int(1 + rng.below(500) as i64),
        Kind::Formatted => Value::Text(format!("AB-{}", digits(rng, 4))),
        Kind::Referentiel => Value::Text(format!("OP-2025-{}", digits(rng, 4))),
        Kind::Cnaf => Value::Text(format!("{} {}", digits(rng, 7), address.postal_code)),
        Kind::Dgfip => Value::Text(format!("{} {}", digits(rng, 13), digits(rng, 13))),
        Kind::PoleEmploi => Value::Text(format!("{}X", digits(rng, 7))),
        Kind::Mesri => Value::Text(format!("{}AB", digits(rng, 9))),
        Kind::Cojo => Value::Text(format!("COJO-{}", digits(rng, 6))),
        Kind::AnnuaireEducation => Value::Text(format!("031{}A", digits(rng, 4))),
        Kind::Carte => Value::GeoAreas(extras::geo_areas(number, rng)),
        Kind::DossierLink => Value::Int(10_100_001 + rng.below(5) as i64),
        Kind::Epci => {
            let e = EPCI[rng.below(EPCI.len() as u64) as usize];
            Value::Epci {
                code: e.0.into(),
                name: e.1.into(),
                dep_code: e.2.into(),
                dep_name: e.3.into(),
            }
        }
        Kind::Rna => Value::Registry {
            id: format!("W{}", digits(rng, 9)),
            title: format!("Association des amis de {}", address.city_name),
            address: Box::new(address),
        },
        Kind::Rnf => Value::Registry {
            id: format!("{}-FDD-{}-01", address.department_code, digits(rng, 5)),
            title: format!("Fondation pour {}", address.city_name),
            address: Box::new(address),
        },
        _ => return None,
    })
}
