//! Seeded démarches for the six robots of DESIGN §1 and deterministic dossier generation.
//!
//! Numbers, ids and values depend only on (démarche, seed, index), never on call order, so a
//! test that re-seeds one démarche gets exactly the same dossiers every time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::model::*;

mod catalogue;
pub mod extras;
mod generate;
mod robots;

use crate::util::Rng;
pub use generate::{dossiers, etablissement};

/// Démarche numbers of the seeded robots, in DESIGN §1 order.
pub const ROBOTS: [(i64, &str, &str); 6] = [
    (
        101,
        "chorus-subvention",
        "Demande de subvention DETN, CATNAT, TDIL, FNADT",
    ),
    (
        102,
        "vtc-carte-pro",
        "Carte professionnelle de conducteur VTC",
    ),
    (
        103,
        "chorus-paiement",
        "Demande de paiement d’une subvention",
    ),
    (104, "coherence-agents", "Déclaration d’agents"),
    (
        105,
        "pj-actes",
        "Transmission d’actes au contrôle de légalité",
    ),
    (106, "cps-instruction", "Demande de carte CPS"),
];

/// A seventh démarche that is not a robot's: it holds every champ type the robots' démarches
/// do not use (carte, dossier link, EPCI, RNA, RNF, titre d’identité, …), so clients meet
/// each DS champ type with data.
pub const CATALOGUE: (i64, &str, &str) = (
    107,
    "catalogue-champs",
    "Démarche de démonstration : tous les types de champs",
);

/// Every seeded démarche: the six robots', then the catalogue.
pub const ALL: [(i64, &str, &str); 7] = [
    ROBOTS[0], ROBOTS[1], ROBOTS[2], ROBOTS[3], ROBOTS[4], ROBOTS[5], CATALOGUE,
];

/// How many dossiers in each state a scenario asks for (weights, not counts).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateMix {
    pub en_construction: f64,
    pub en_instruction: f64,
    pub accepte: f64,
    pub refuse: f64,
    pub sans_suite: f64,
    /// Fraction of terminated dossiers that are archived.
    pub archived: f64,
}

impl Default for StateMix {
    fn default() -> Self {
        StateMix {
            en_construction: 0.55,
            en_instruction: 0.25,
            accepte: 0.12,
            refuse: 0.05,
            sans_suite: 0.03,
            archived: 0.3,
        }
    }
}

impl StateMix {
    /// Every dossier in one state (`archived` stays 0).
    pub fn only(state: State) -> Self {
        let mut m = StateMix {
            en_construction: 0.0,
            en_instruction: 0.0,
            accepte: 0.0,
            refuse: 0.0,
            sans_suite: 0.0,
            archived: 0.0,
        };
        match state {
            State::EnConstruction => m.en_construction = 1.0,
            State::EnInstruction => m.en_instruction = 1.0,
            State::Accepte => m.accepte = 1.0,
            State::Refuse => m.refuse = 1.0,
            State::SansSuite => m.sans_suite = 1.0,
        }
        m
    }

    fn pick(&self, rng: &mut Rng) -> State {
        let w = [
            (State::EnConstruction, self.en_construction),
            (State::EnInstruction, self.en_instruction),
            (State::Accepte, self.accepte),
            (State::Refuse, self.refuse),
            (State::SansSuite, self.sans_suite),
        ];
        let total: f64 = w.iter().map(|(_, x)| x.max(0.0)).sum();
        if total <= 0.0 {
            return State::EnConstruction;
        }
        let mut r = rng.unit() * total;
        for (s, x) in w {
            if r < x.max(0.0) {
                return s;
            }
            r -= x.max(0.0);
        }
        State::EnConstruction
    }
}

/// What to generate for one démarche.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub demarche: i64,
    pub dossiers: usize,
    pub seed: u64,
    pub states: StateMix,
    /// Purged dossiers listed by `deletedDossiers`.
    pub deleted: usize,
    /// Dossiers hidden but not purged, listed by `pendingDeletedDossiers` only.
    pub pending_deleted: usize,
}

/// The instant seeded data starts from (dépôts spread after it).
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 1, 7, 30, 0)
        .single()
        .unwrap_or_default()
}

/// Instructeur ids: `démarche*100 + groupe*10 + rank`. Emails follow the same pattern.
pub fn instructeur_email(slug: &str, groupe: i64, rank: i64) -> String {
    format!("agent{rank}.g{groupe}.{slug}@sandbox.gouv.fr")
}

/// The robot's own instructeur account: a member of every groupe of its
/// démarche, as an administration sets up the account a robot acts under.
pub fn robot_instructeur_email(demarche: i64) -> Option<String> {
    let (_, slug, _) = ALL.iter().find(|r| r.0 == demarche)?;
    Some(format!("robot.{slug}@sandbox.gouv.fr"))
}

/// One seeded démarche with its two groupes (two instructeurs each, plus the
/// robot's account in both) and three labels.
pub fn demarche(number: i64) -> Option<(DemarcheRecord, Vec<InstructeurRecord>)> {
    let (_, slug, title) = ALL.iter().find(|r| r.0 == number)?;
    let (champs, annotations) = if number == CATALOGUE.0 {
        catalogue::descriptors(number)
    } else {
        robots::descriptors(number)
    };
    let robot_id = number * 100 + 99;
    let mut instructeurs = vec![InstructeurRecord {
        id: robot_id,
        email: robot_instructeur_email(number)?,
    }];
    let groupes = (1..=2)
        .map(|g| {
            let mut ids: Vec<i64> = (1..=2).map(|r| number * 100 + g * 10 + r).collect();
            for (r, id) in ids.iter().enumerate() {
                instructeurs.push(InstructeurRecord {
                    id: *id,
                    email: instructeur_email(slug, g, r as i64 + 1),
                });
            }
            ids.push(robot_id);
            GroupeRecord {
                id: number * 10 + g,
                number: number * 10 + g,
                label: if g == 1 {
                    "défaut".into()
                } else {
                    format!("Service instructeur {g}")
                },
                closed: false,
                instructeurs: ids,
            }
        })
        .collect();
    let labels = [
        ("Urgent", "pink_macaron"),
        ("À compléter", "yellow_tournesol"),
        ("Traité par robot", "green_menthe"),
    ]
    .iter()
    .enumerate()
    .map(|(k, (name, color))| LabelRecord {
        id: number * 10 + k as i64 + 1,
        name: (*name).into(),
        color,
    })
    .collect();
    let rec = DemarcheRecord {
        number,
        slug: (*slug).into(),
        title: (*title).into(),
        description: format!("Démarche simulée pour le robot {slug}."),
        state: "publiee",
        created_at: epoch() - Duration::days(120),
        revision_id: number * 10,
        champs,
        annotations,
        groupes,
        labels,
        personne_morale: matches!(number, 101 | 103 | 105 | 107),
        service: Some(extras::service(number)),
        chorus: extras::chorus(slug),
        attestation: matches!(number, 102 | 105 | 107),
        published_at: Some(epoch() - Duration::days(110)),
        opendata: number == CATALOGUE.0,
    };
    Some((rec, instructeurs))
}
