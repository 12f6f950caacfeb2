//! Seeded data beyond champs: services, Chorus frames, avis, geo areas, registries. Every
//! value here is drawn from its own generator keyed on the dossier number, never from the
//! dossier's main sequence, so adding data never changes the champ values robots rely on.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::model::*;
use crate::util::{Rng, mix};

/// (INSEE code, longitude, latitude) of the seeded communes, for geometries.
const COORDS: [(&str, f64, f64); 6] = [
    ("31555", 1.4442, 43.6047),
    ("82121", 1.3550, 44.0176),
    ("31395", 1.3270, 43.4610),
    ("75056", 2.3522, 48.8566),
    ("78646", 2.1301, 48.8049),
    ("94028", 2.4555, 48.7904),
];

/// Longitude and latitude of a seeded commune (Paris for an unknown code).
pub fn commune_point(insee: &str) -> (f64, f64) {
    COORDS
        .iter()
        .find(|c| c.0 == insee)
        .map(|c| (c.1, c.2))
        .unwrap_or((2.3522, 48.8566))
}

/// A generator for one purpose of one dossier, independent of every other sequence.
pub fn side_rng(number: i64, purpose: u64) -> Rng {
    Rng::new(mix(
        (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ purpose
    ))
}

/// The service behind each seeded démarche.
pub fn service(number: i64) -> ServiceRecord {
    let (nom, organisme, type_organisme) = match number {
        101 | 103 => (
            "Bureau des subventions",
            "Préfecture de la Haute-Garonne",
            "service_deconcentre_de_l_etat",
        ),
        102 => (
            "Bureau des taxis et VTC",
            "Préfecture de police",
            "service_deconcentre_de_l_etat",
        ),
        104 => (
            "Bureau des ressources humaines",
            "Secrétariat général commun",
            "administration_centrale",
        ),
        105 => (
            "Pôle contrôle de légalité",
            "Préfecture de Tarn-et-Garonne",
            "service_deconcentre_de_l_etat",
        ),
        106 => (
            "Service cartes professionnelles de santé",
            "Agence du numérique en santé",
            "operateur_d_etat",
        ),
        _ => (
            "Atelier numérique",
            "Commune de Muret",
            "collectivite_territoriale",
        ),
    };
    ServiceRecord {
        id: number * 10,
        nom: nom.into(),
        organisme: organisme.into(),
        type_organisme,
        siret: Some(format!("130{:08}{:03}", number * 1009, number % 1000)),
    }
}

/// The Chorus budget frame of the Chorus démarches.
pub fn chorus(slug: &str) -> Option<[String; 3]> {
    slug.starts_with("chorus").then(|| {
        [
            "PRFDCAB031".to_owned(),
            "0119-01-02".to_owned(),
            "011901020101".to_owned(),
        ]
    })
}

/// Avis on about one dossier in three past the dépôt: asked by the groupe's first
/// instructeur, answered for most of them.
pub fn avis(
    number: i64,
    state: State,
    instr_at: Option<DateTime<Utc>>,
    claimant: Option<i64>,
) -> Vec<AvisRecord> {
    let (Some(asked), Some(claimant)) = (instr_at, claimant) else {
        return Vec::new();
    };
    let mut rng = side_rng(number, 0xA715);
    if state == State::EnConstruction || rng.below(3) != 0 {
        return Vec::new();
    }
    let answered = rng.below(4) != 0;
    let at = asked + Duration::hours(2 + rng.below(48) as i64);
    vec![AvisRecord {
        id: number as u64 * 10 + 1,
        question: "Pouvez-vous confirmer la conformité des pièces fournies ?".into(),
        question_label: Some("Les pièces sont-elles conformes ?".into()),
        question_answer: answered.then(|| rng.below(5) != 0),
        answer: answered.then(|| "Pièces vérifiées, rien à signaler.".into()),
        created_at: asked + Duration::hours(1),
        answered_at: answered.then_some(at),
        claimant,
        expert_email: format!("expert{}@sandbox.gouv.fr", 1 + number % 3),
        attachments: Vec::new(),
    }]
}

fn square(lon: f64, lat: f64, half: f64) -> serde_json::Value {
    json!({
        "type": "Polygon",
        "coordinates": [[
            [lon - half, lat - half], [lon + half, lat - half],
            [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]
        ]]
    })
}

/// A carte champ's areas: one or two cadastral parcels and a drawn polygon, around a
/// seeded commune.
pub fn geo_areas(number: i64, rng: &mut Rng) -> Vec<GeoAreaRecord> {
    let (insee, lon, lat) = COORDS[rng.below(COORDS.len() as u64) as usize];
    let name = match insee {
        "31555" => "Toulouse",
        "82121" => "Montauban",
        "31395" => "Muret",
        "75056" => "Paris",
        "78646" => "Versailles",
        _ => "Créteil",
    };
    let parcels = 1 + rng.below(2);
    let mut out: Vec<GeoAreaRecord> = (0..parcels)
        .map(|k| {
            let numero = format!("{:04}", 1 + rng.below(2000));
            let section = ["AB", "BC", "CD", "ZK"][rng.below(4) as usize];
            let offset = 0.002 * (k as f64 + 1.0);
            GeoAreaRecord {
                id: number as u64 * 10 + k + 1,
                source: GeoSource::Cadastre,
                description: None,
                geometry: square(lon + offset, lat + offset, 0.0005),
                parcelle: Some(Parcelle {
                    commune: insee.into(),
                    nom_commune: name.into(),
                    prefixe: "000".into(),
                    section: section.into(),
                    numero,
                    surface: (200 + rng.below(5000)) as f64,
                }),
            }
        })
        .collect();
    out.push(GeoAreaRecord {
        id: number as u64 * 10 + 9,
        source: GeoSource::SelectionUtilisateur,
        description: Some("Emprise du projet".into()),
        geometry: square(lon, lat, 0.001),
        parcelle: None,
    });
    out
}
