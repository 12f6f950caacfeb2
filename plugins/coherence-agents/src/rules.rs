//! The consistency rules on what the applicant typed. Each rule looks at the
//! dossier and reports anomalies in words the applicant can act on; the
//! robot never corrects anything itself.

use pont_sdk::ds::{ChampValue, Dossier};

/// What kind of correction an anomaly calls for (DS's correction reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value is wrong.
    Incorrect,
    /// Something is missing.
    Incomplete,
}

/// One problem found, with the champ it is about.
#[derive(Debug, Clone)]
pub struct Anomaly {
    pub champ: &'static str,
    pub message: String,
    pub kind: Kind,
}

impl Anomaly {
    fn wrong(champ: &'static str, message: impl Into<String>) -> Self {
        Self {
            champ,
            message: message.into(),
            kind: Kind::Incorrect,
        }
    }

    fn missing(champ: &'static str) -> Self {
        Self {
            champ,
            message: "information manquante".into(),
            kind: Kind::Incomplete,
        }
    }
}

/// Yearly gross pay above which a typing error is more likely than a salary.
const MAX_REMUNERATION: f64 = 200_000.0;

fn value<'a>(d: &'a Dossier, label: &str) -> Option<&'a ChampValue> {
    d.champ_labelled(label)
        .map(|c| &c.value)
        .filter(|v| !matches!(v, ChampValue::Empty))
}

/// A date champ's `YYYY-MM-DD`, if it holds one.
fn date_of(v: &ChampValue) -> Option<&str> {
    match v {
        ChampValue::Date(s) if s.len() >= 10 => s.get(..10),
        _ => None,
    }
}

/// Every rule, in the order of the form.
pub fn check(d: &Dossier, today: &str) -> Vec<Anomaly> {
    let mut out = Vec::new();
    identity(d, &mut out);
    dates(d, today, &mut out);
    remuneration(d, &mut out);
    siret(d, &mut out);
    iban(d, &mut out);
    out
}

fn identity(d: &Dossier, out: &mut Vec<Anomaly>) {
    for label in ["Nom", "Prénom"] {
        let ok = value(d, label)
            .and_then(ChampValue::as_text)
            .is_some_and(|t| !t.trim().is_empty());
        if !ok {
            out.push(Anomaly::missing(label));
        }
    }
    match value(d, "Courriel").and_then(ChampValue::as_text) {
        None => out.push(Anomaly::missing("Courriel")),
        Some(mail) if !plausible_email(mail) => out.push(Anomaly::wrong(
            "Courriel",
            "l’adresse électronique n’a pas la forme nom@domaine",
        )),
        Some(_) => {}
    }
    match value(d, "Matricule").and_then(ChampValue::as_number) {
        None => out.push(Anomaly::missing("Matricule")),
        Some(m) if !(1.0..=999_999_999.0).contains(&m) => out.push(Anomaly::wrong(
            "Matricule",
            "le matricule doit être un nombre de 1 à 9 chiffres",
        )),
        Some(_) => {}
    }
}

fn plausible_email(mail: &str) -> bool {
    let mail = mail.trim();
    match mail.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !mail.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The entry date is not in the future, and no assignment starts before it
/// or in the future.
fn dates(d: &Dossier, today: &str, out: &mut Vec<Anomaly>) {
    let Some(entree) = value(d, "Date d’entrée").and_then(date_of) else {
        out.push(Anomaly::missing("Date d’entrée"));
        return;
    };
    if entree > today {
        out.push(Anomaly::wrong(
            "Date d’entrée",
            format!("la date d’entrée ({entree}) est dans le futur"),
        ));
    }
    let Some(block) = d.champ_labelled("Affectations") else {
        return;
    };
    for (i, row) in block.rows.iter().enumerate() {
        let debut = row
            .cells
            .iter()
            .find(|c| c.label.trim() == "Début")
            .and_then(|c| date_of(&c.value));
        match debut {
            None => out.push(Anomaly {
                champ: "Affectations",
                message: format!("affectation {} : date de début manquante", i + 1),
                kind: Kind::Incomplete,
            }),
            Some(start) if start < entree => out.push(Anomaly::wrong(
                "Affectations",
                format!(
                    "affectation {} : début ({start}) antérieur à la date d’entrée ({entree})",
                    i + 1
                ),
            )),
            Some(start) if start > today => out.push(Anomaly::wrong(
                "Affectations",
                format!("affectation {} : début ({start}) dans le futur", i + 1),
            )),
            Some(_) => {}
        }
    }
}

fn remuneration(d: &Dossier, out: &mut Vec<Anomaly>) {
    let label = "Rémunération brute annuelle (€)";
    match value(d, label).and_then(ChampValue::as_number) {
        None => out.push(Anomaly::missing(label)),
        Some(x) if x <= 0.0 || x > MAX_REMUNERATION => out.push(Anomaly::wrong(
            label,
            format!("montant hors des bornes plausibles (0 à {MAX_REMUNERATION:.0} €)"),
        )),
        Some(x) if ((x * 100.0).round() - x * 100.0).abs() > 1e-6 => {
            out.push(Anomaly::wrong(label, "le montant a plus de deux décimales"))
        }
        Some(_) => {}
    }
}

fn siret(d: &Dossier, out: &mut Vec<Anomaly>) {
    let label = "SIRET de l’employeur";
    let Some(ChampValue::Siret(etab)) = value(d, label) else {
        out.push(Anomaly::missing(label));
        return;
    };
    if !valid_siret(&etab.siret) {
        out.push(Anomaly::wrong(
            label,
            "le SIRET doit comporter 14 chiffres et passer la clé de contrôle",
        ));
    }
}

/// 14 digits whose Luhn sum is a multiple of 10.
pub fn valid_siret(siret: &str) -> bool {
    let digits: Vec<u32> = siret.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 14 || siret.chars().count() != 14 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| match (i % 2, x * 2) {
            (1, y) if y > 9 => y - 9,
            (1, y) => y,
            _ => x,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The IBAN has an IBAN's shape and check digits, and the RIB that proves
/// it is attached.
fn iban(d: &Dossier, out: &mut Vec<Anomaly>) {
    match value(d, "IBAN").and_then(ChampValue::as_text) {
        None => out.push(Anomaly::missing("IBAN")),
        Some(text) if !valid_iban(text) => out.push(Anomaly::wrong(
            "IBAN",
            "l’IBAN n’est pas valide (format ou clé de contrôle)",
        )),
        Some(_) => {}
    }
    let rib = d.champ_labelled("RIB").map(|c| c.value.files().len());
    if rib.unwrap_or(0) == 0 {
        out.push(Anomaly {
            champ: "RIB",
            message: "pièce justificative manquante : le RIB est obligatoire".into(),
            kind: Kind::Incomplete,
        });
    }
}

/// ISO 13616: country letters, two check digits, up to 30 letters or
/// digits (27 characters in all for France), and the number mod 97 is 1.
pub fn valid_iban(text: &str) -> bool {
    let s: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let b = s.as_bytes();
    let shape = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric)
        && (!s.starts_with("FR") || b.len() == 27);
    if !shape {
        return false;
    }
    let rearranged = b[4..].iter().chain(&b[..4]);
    let rem = rearranged.fold(0u32, |r, &c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    rem == 1
}
