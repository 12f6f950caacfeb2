//! Deterministic generation of dossiers, champ values and attachments.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{Scenario, catalogue, epoch, extras, instructeur_email};
use crate::model::*;
use crate::util::Rng;

const NOMS: [&str; 12] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Garcia", "Nguyen",
];
const PRENOMS: [&str; 12] = [
    "Camille", "Louis", "Léa", "Hugo", "Chloé", "Karim", "Manon", "Jules", "Inès", "Nathan",
    "Sarah", "Théo",
];
/// (name, INSEE code, postal code, département code, département name, région code, région name)
const COMMUNES: [(&str, &str, &str, &str, &str, &str, &str); 6] = [
    (
        "Toulouse",
        "31555",
        "31000",
        "31",
        "Haute-Garonne",
        "76",
        "Occitanie",
    ),
    (
        "Montauban",
        "82121",
        "82000",
        "82",
        "Tarn-et-Garonne",
        "76",
        "Occitanie",
    ),
    (
        "Muret",
        "31395",
        "31600",
        "31",
        "Haute-Garonne",
        "76",
        "Occitanie",
    ),
    (
        "Paris",
        "75056",
        "75001",
        "75",
        "Paris",
        "11",
        "Île-de-France",
    ),
    (
        "Versailles",
        "78646",
        "78000",
        "78",
        "Yvelines",
        "11",
        "Île-de-France",
    ),
    (
        "Créteil",
        "94028",
        "94000",
        "94",
        "Val-de-Marne",
        "11",
        "Île-de-France",
    ),
];
const PAYS: [(&str, &str); 4] = [
    ("FR", "France"),
    ("BE", "Belgique"),
    ("MA", "Maroc"),
    ("PT", "Portugal"),
];
const NAF: [(&str, &str, &str); 4] = [
    ("84.11Z", "Administration publique générale", "Commune de"),
    (
        "41.20A",
        "Construction de maisons individuelles",
        "Bâtiments",
    ),
    (
        "94.99Z",
        "Autres organisations fonctionnant par adhésion volontaire",
        "Association",
    ),
    ("71.12B", "Ingénierie, études techniques", "Études"),
];

/// A SIRET whose 14 digits pass the Luhn check, like real ones.
fn siret(rng: &mut Rng) -> String {
    let mut digits: Vec<u32> = (0..13).map(|_| rng.below(10) as u32).collect();
    let sum = |ds: &[u32]| -> u32 {
        ds.iter()
            .rev()
            .enumerate()
            .map(|(i, &x)| {
                if i % 2 == 1 {
                    let y = x * 2;
                    if y > 9 { y - 9 } else { y }
                } else {
                    x
                }
            })
            .sum()
    };
    let check = (0..10)
        .find(|c| {
            let mut t = digits.clone();
            t.push(*c);
            sum(&t) % 10 == 0
        })
        .unwrap_or(0);
    digits.push(check);
    digits
        .iter()
        .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
        .collect()
}

/// A French IBAN as people type it (groups of four), whose check digits are right except
/// for about one in five, so consistency robots meet both cases.
fn iban(rng: &mut Rng) -> String {
    let bban = format!(
        "{:05}{:05}{:011}{:02}",
        rng.below(100_000),
        rng.below(100_000),
        rng.below(100_000_000_000),
        rng.below(100)
    );
    // ISO 13616: BBAN + "FR00" with letters as numbers (F=15, R=27), mod 97.
    let digits = format!("{bban}152700");
    let rem = digits
        .bytes()
        .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
    let mut check = 98 - rem;
    if rng.below(5) == 0 {
        check = (check + 1 + rng.below(90)) % 97 + 2;
    }
    let raw = format!("FR{check:02}{bban}");
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn address(rng: &mut Rng) -> AddressData {
    let c = COMMUNES[rng.below(COMMUNES.len() as u64) as usize];
    let street = format!(
        "{} rue {}",
        1 + rng.below(120),
        [
            "de la République",
            "Victor Hugo",
            "des Lilas",
            "Jean Jaurès"
        ][rng.below(4) as usize]
    );
    AddressData {
        label: format!("{street} {} {}", c.2, c.0),
        street,
        postal_code: c.2.into(),
        city_name: c.0.into(),
        city_code: c.1.into(),
        department_code: c.3.into(),
        department_name: c.4.into(),
        region_code: c.5.into(),
        region_name: c.6.into(),
    }
}

/// An établissement for SIRET champs and `PersonneMorale` demandeurs.
pub fn etablissement(rng: &mut Rng) -> Etablissement {
    let naf = NAF[rng.below(NAF.len() as u64) as usize];
    let address = address(rng);
    Etablissement {
        siret: siret(rng),
        naf: naf.0.into(),
        libelle_naf: naf.1.into(),
        raison_sociale: format!("{} {}", naf.2, address.city_name),
        address,
    }
}

/// A generated attachment record; ids come from the dossier number so they never collide.
fn file(
    id: u64,
    filename: String,
    content_type: &str,
    rng: &mut Rng,
    at: DateTime<Utc>,
) -> Arc<FileRecord> {
    Arc::new(FileRecord {
        id,
        filename,
        content_type: content_type.into(),
        created_at: at,
        content: Content::Generated {
            seed: rng.next_u64(),
            len: 2_000 + rng.below(40_000),
            corrupt: false,
        },
        checksum: OnceLock::new(),
        lie: FileLie::default(),
    })
}

struct Gen<'a> {
    rng: Rng,
    number: i64,
    at: DateTime<Utc>,
    files: &'a mut Vec<Arc<FileRecord>>,
    file_seq: u64,
}

impl Gen<'_> {
    fn value(&mut self, desc: &Descriptor, row: u64) -> Value {
        if !desc.required && self.rng.below(5) == 0 {
            return Value::Empty;
        }
        let rng = &mut self.rng;
        let l = desc.label.to_lowercase();
        match &desc.kind {
            // The EJ and IBAN kinds draw exactly what the text champs they replaced drew.
            Kind::Text | Kind::Textarea | Kind::EngagementJuridique | Kind::Iban => {
                Value::Text(if l.starts_with("nom") {
                    rng.pick(&NOMS).copied().unwrap_or("Martin").into()
                } else if l.starts_with("prénom") {
                    rng.pick(&PRENOMS).copied().unwrap_or("Camille").into()
                } else if l.contains("rpps") {
                    format!("10{:09}", rng.below(1_000_000_000))
                } else if l == "iban" || desc.kind == Kind::Iban {
                    iban(rng)
                } else if l.contains("engagement") {
                    format!("21{:08}", rng.below(100_000_000))
                } else if l.contains("permis") {
                    format!(
                        "{:02}{:02}{:08}",
                        rng.below(99),
                        rng.below(12) + 1,
                        rng.below(100_000_000)
                    )
                } else {
                    format!("{} n°{}-{row}", desc.label, self.number)
                })
            }
            Kind::Email => Value::Text(format!("contact{}@exemple.fr", self.number)),
            Kind::Phone => Value::Text(format!("06{:08}", rng.below(100_000_000))),
            Kind::Checkbox | Kind::YesNo => Value::Bool(rng.below(2) == 0),
            Kind::IntegerNumber => {
                Value::Int(1 + rng.below(if l.contains("matricule") { 900_000 } else { 40 }) as i64)
            }
            Kind::DecimalNumber => Value::Decimal((rng.below(5_000_000) as f64) / 100.0 + 500.0),
            Kind::Date => Value::Date(
                NaiveDate::from_ymd_opt(
                    1960 + rng.below(60) as i32,
                    1 + rng.below(12) as u32,
                    1 + rng.below(28) as u32,
                )
                .unwrap_or_default(),
            ),
            Kind::Datetime => Value::DateTime(self.at - Duration::minutes(rng.below(600) as i64)),
            Kind::DropDownList { options, .. } => {
                Value::Text(rng.pick(options).cloned().unwrap_or_default())
            }
            Kind::MultipleDropDownList { options } => {
                let n = 1 + rng.below(2) as usize;
                let start = rng.below(options.len() as u64) as usize;
                Value::Multi(
                    (0..n)
                        .filter_map(|k| options.get((start + k) % options.len().max(1)).cloned())
                        .collect(),
                )
            }
            Kind::LinkedDropDownList { options } => {
                let p = rng.pick(options).cloned().unwrap_or_default();
                Value::Linked(p, Some(format!("Action {:02}", 1 + rng.below(9))))
            }
            Kind::Civilite => Value::Text(if rng.below(2) == 0 { "M" } else { "Mme" }.into()),
            Kind::Siret => Value::Siret(Box::new(etablissement(rng))),
            Kind::Address => Value::Address(Box::new(address(rng))),
            Kind::Commune => {
                let c = COMMUNES[rng.below(COMMUNES.len() as u64) as usize];
                Value::Commune {
                    name: c.0.into(),
                    code: c.1.into(),
                    postal_code: c.2.into(),
                    dep_code: c.3.into(),
                    dep_name: c.4.into(),
                }
            }
            Kind::Departement => {
                let c = COMMUNES[rng.below(COMMUNES.len() as u64) as usize];
                Value::Code {
                    code: c.3.into(),
                    name: c.4.into(),
                }
            }
            Kind::Region => {
                let c = COMMUNES[rng.below(COMMUNES.len() as u64) as usize];
                Value::Code {
                    code: c.5.into(),
                    name: c.6.into(),
                }
            }
            Kind::Pays => {
                let p = PAYS[rng.below(PAYS.len() as u64) as usize];
                Value::Code {
                    code: p.0.into(),
                    name: p.1.into(),
                }
            }
            Kind::PieceJustificative | Kind::TitreIdentite => {
                let n = 1 + (rng.below(4) == 0) as u64;
                let image = l.contains("photo") || desc.kind == Kind::TitreIdentite;
                let files = (0..n)
                    .map(|k| {
                        self.file_seq += 1;
                        let id = self.number as u64 * 100 + self.file_seq;
                        let stem: String = l
                            .chars()
                            .map(|c| if c.is_alphanumeric() { c } else { '-' })
                            .collect();
                        let (ext, ct) = if image {
                            ("jpg", "image/jpeg")
                        } else {
                            ("pdf", "application/pdf")
                        };
                        let f = file(
                            id,
                            format!("{stem}-{}-{}.{ext}", self.number, k + 1),
                            ct,
                            &mut self.rng,
                            self.at,
                        );
                        self.files.push(f.clone());
                        f
                    })
                    .collect();
                Value::Files(files)
            }
            Kind::Repetition { children } => {
                let n = 1 + rng.below(3);
                let children = children.clone();
                Value::Rows(
                    (0..n)
                        .map(|k| {
                            let id = self.number as u64 * 100 + k + 1;
                            RowRecord {
                                id,
                                champs: children.iter().map(|c| self.champ(c, id)).collect(),
                            }
                        })
                        .collect(),
                )
            }
            Kind::HeaderSection { .. } | Kind::Explication => Value::Empty,
            other => {
                let addr = address(rng);
                catalogue::value(other, rng, self.number, addr).unwrap_or(Value::Empty)
            }
        }
    }

    fn champ(&mut self, desc: &Descriptor, row: u64) -> ChampRecord {
        ChampRecord {
            stable_id: desc.stable_id,
            value: self.value(desc, row),
            updated_at: self.at,
        }
    }
}

/// Generates a scenario's dossiers, deleted dossiers and the files they reference.
pub fn dossiers(
    dem: &DemarcheRecord,
    sc: &Scenario,
) -> (Vec<DossierRecord>, Vec<DeletedRecord>, Vec<Arc<FileRecord>>) {
    let mut files = Vec::new();
    let mut out = Vec::with_capacity(sc.dossiers);
    let base = epoch();
    for i in 0..sc.dossiers.min(crate::world::MAX_DOSSIERS) {
        let number = dem.number * 100_000 + i as i64 + 1;
        let mut rng = Rng::new(sc.seed ^ (number as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let depose =
            base + Duration::minutes(47 * i as i64) + Duration::seconds(rng.below(40 * 60) as i64);
        let state = sc.states.pick(&mut rng);
        let instr_at = (state != State::EnConstruction)
            .then(|| depose + Duration::hours(24 + rng.below(200) as i64));
        let traite_at = state
            .is_termine()
            .then(|| instr_at.unwrap_or(depose) + Duration::hours(24 + rng.below(400) as i64));
        let updated =
            traite_at.or(instr_at).unwrap_or(depose) + Duration::minutes(rng.below(300) as i64);
        let archived = state.is_termine() && rng.unit() < sc.states.archived;
        let groupe = dem.groupes.get(i % dem.groupes.len().max(1)).cloned();
        let agent = groupe
            .as_ref()
            .and_then(|g| g.instructeurs.first().copied());
        let usager_email = format!("usager{number}@exemple.fr");
        let demandeur = if dem.personne_morale {
            let e = etablissement(&mut rng);
            // The catalogue shows DS's degraded case: a SIRET whose data could not be fetched.
            if dem.number == super::CATALOGUE.0 && crate::util::mix(number as u64).is_multiple_of(4)
            {
                DemandeurRecord::MoraleIncomplete { siret: e.siret }
            } else {
                DemandeurRecord::Morale(Box::new(e))
            }
        } else {
            DemandeurRecord::Physique {
                civilite: Some(if rng.below(2) == 0 { "M" } else { "Mme" }),
                nom: rng.pick(&NOMS).copied().unwrap_or("Martin").to_uppercase(),
                prenom: rng.pick(&PRENOMS).copied().unwrap_or("Camille").into(),
                email: Some(usager_email.clone()),
            }
        };
        let mut g = Gen {
            rng: Rng::new(rng.next_u64()),
            number,
            at: depose,
            files: &mut files,
            file_seq: 0,
        };
        let champs = dem.champs.iter().map(|c| g.champ(c, 0)).collect();
        let annotations = dem
            .annotations
            .iter()
            .map(|a| match (&a.kind, state.is_termine()) {
                (_, true) => g.champ(a, 0),
                (Kind::Repetition { .. }, false) => ChampRecord {
                    stable_id: a.stable_id,
                    value: Value::Rows(Vec::new()),
                    updated_at: depose,
                },
                (_, false) => ChampRecord {
                    stable_id: a.stable_id,
                    value: Value::Empty,
                    updated_at: depose,
                },
            })
            .collect();
        let mut traitements = vec![TraitementRecord {
            id: number as u64 * 10 + 1,
            event: Event::Depose,
            state: State::EnConstruction,
            at: depose,
            email: None,
            motivation: None,
        }];
        let agent_email = groupe
            .as_ref()
            .map(|gr| instructeur_email(&dem.slug, gr.number % 10, 1));
        if let Some(at) = instr_at {
            traitements.push(TraitementRecord {
                id: number as u64 * 10 + 2,
                event: Event::PasseEnInstruction,
                state: State::EnInstruction,
                at,
                email: agent_email.clone(),
                motivation: None,
            });
        }
        let motivation = traite_at.map(|_| match state {
            State::Accepte => "Dossier complet et conforme.".to_owned(),
            State::Refuse => "Le dossier ne remplit pas les conditions d’éligibilité.".to_owned(),
            _ => "Demande sans objet.".to_owned(),
        });
        if let Some(at) = traite_at {
            let event = match state {
                State::Accepte => Event::Accepte,
                State::Refuse => Event::Refuse,
                _ => Event::ClasseSansSuite,
            };
            traitements.push(TraitementRecord {
                id: number as u64 * 10 + 3,
                event,
                state,
                at,
                email: agent_email.clone(),
                motivation: motivation.clone(),
            });
        }
        let mut rng = g.rng;
        let messages = if rng.below(3) == 0 {
            vec![MessageRecord {
                id: number as u64 * 10 + 1,
                email: usager_email.clone(),
                body: "Bonjour, voici les éléments demandés. Cordialement.".into(),
                created_at: depose + Duration::hours(2),
                attachments: Vec::new(),
                correction: None,
                discarded_at: None,
            }]
        } else {
            Vec::new()
        };
        let labels = dem
            .labels
            .iter()
            .filter(|_| rng.below(10) == 0)
            .map(|l| l.id)
            .take(1)
            .collect();
        out.push(DossierRecord {
            number,
            demarche: dem.number,
            state,
            archived,
            depose_at: depose,
            updated_at: updated,
            en_instruction_at: instr_at,
            traite_at,
            motivation,
            justificatif: None,
            usager_id: number as u64,
            usager_email,
            demandeur,
            groupe: groupe.as_ref().map(|g| g.number).unwrap_or_default(),
            labels,
            followers: if state == State::EnConstruction {
                Vec::new()
            } else {
                agent.into_iter().collect()
            },
            champs,
            annotations,
            messages,
            traitements,
            avis: extras::avis(number, state, instr_at, agent),
            hidden_at: None,
        });
    }
    let n = out.len();
    for (k, d) in out
        .iter_mut()
        .rev()
        .filter(|d| d.state == State::EnConstruction)
        .take(sc.pending_deleted)
        .enumerate()
    {
        d.hidden_at = Some(d.updated_at + Duration::hours(k as i64 + 1));
    }
    let deleted = (0..sc.deleted)
        .map(|k| DeletedRecord {
            id: dem.number * 100_000 + (n + k) as i64 + 1,
            number: dem.number * 100_000 + (n + k) as i64 + 1,
            demarche: dem.number,
            state: if k % 2 == 0 {
                State::EnConstruction
            } else {
                State::Accepte
            },
            reason: if k % 2 == 0 {
                "user_request"
            } else {
                "expired"
            },
            deleted_at: base + Duration::days(30) + Duration::hours(7 * k as i64),
        })
        .collect();
    (out, deleted, files)
}
