//! What the two forms need, read from the dossier's champs. A missing or
//! malformed champ is the dossier's problem: a business failure naming it.

use pont_sdk::Failure;
use pont_sdk::ds::{ChampValue, Dossier};

/// The applicant as the casier and contrôle forms ask for them.
pub struct Identity {
    pub nom: String,
    pub prenoms: String,
    /// `YYYY-MM-DD`.
    pub naissance: String,
    pub lieu: String,
    pub nationalite: String,
    /// 12 digits.
    pub permis: String,
}

fn missing(label: &str) -> Failure {
    Failure::Business(format!("champ « {label} » vide ou illisible"))
}

fn value<'a>(d: &'a Dossier, label: &str) -> Result<&'a ChampValue, Failure> {
    d.champ_labelled(label)
        .map(|c| &c.value)
        .ok_or_else(|| missing(label))
}

fn text(d: &Dossier, label: &str) -> Result<String, Failure> {
    value(d, label)?
        .as_text()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| missing(label))
}

/// The casier form asks for a nationality, which this démarche does not: the
/// country of birth stands for it, as the instructeurs did by hand.
fn nationalite(code: &str, name: &str) -> String {
    match code {
        "FR" => "Française".into(),
        "BE" => "Belge".into(),
        "MA" => "Marocaine".into(),
        "PT" => "Portugaise".into(),
        _ => name.to_string(),
    }
}

impl Identity {
    pub fn read(d: &Dossier) -> Result<Self, Failure> {
        let lieu = match value(d, "Commune de naissance")? {
            ChampValue::Commune(p) => p.name.clone(),
            other => other
                .as_text()
                .map(str::to_string)
                .ok_or_else(|| missing("Commune de naissance"))?,
        };
        let ChampValue::Pays(pays) = value(d, "Pays de naissance")? else {
            return Err(missing("Pays de naissance"));
        };
        let permis: String = text(d, "Numéro du permis de conduire")?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if permis.len() != 12 || !permis.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::Business(
                "le numéro de permis de conduire doit comporter 12 chiffres".into(),
            ));
        }
        Ok(Self {
            nom: text(d, "Nom")?,
            prenoms: text(d, "Prénom")?,
            naissance: text(d, "Date de naissance")?,
            lieu,
            nationalite: nationalite(&pays.code, &pays.name),
            permis,
        })
    }
}
