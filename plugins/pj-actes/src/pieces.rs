//! The dossier's attachments, sorted by type: the acte itself first, then
//! its annexes, each with its @ctes category (the nomenclature's first
//! level) chosen from the nature of the acte.

use pont_sdk::Settings;
use pont_sdk::ds::{ChampValue, Dossier, DsFile};

/// What a piece is in the transmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Acte,
    Annexe,
}

impl Kind {
    /// The folder of the archive this kind goes to.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Acte => "acte",
            Kind::Annexe => "annexes",
        }
    }
}

/// One attachment to transmit.
#[derive(Debug, Clone)]
pub struct Piece {
    pub kind: Kind,
    /// 1-based rank within its kind.
    pub rank: usize,
    pub file: DsFile,
    /// The @ctes category code, `1` to `9`.
    pub categorie: String,
    /// The deposit's object, as @ctes lists it.
    pub objet: String,
}

impl Piece {
    /// Its path in the staging folder of the archive: sorted by kind, the
    /// rank first so two files with one name do not collide.
    pub fn archive_path(&self, root: &str) -> String {
        format!(
            "{root}/{}/{}-{}",
            self.kind.folder(),
            self.rank,
            safe_name(&self.file.file_name)
        )
    }
}

/// The @ctes category of a nature of acte, by default: contracts are public
/// procurement, deliberations belong to the institutions, regulatory
/// arrêtés to police powers, individual ones to the civil service; anything
/// else to "other domains". `[settings] categorie.<nature> = "<code>"`
/// overrides it.
fn default_categorie(nature: &str) -> &'static str {
    match nature {
        "Contrat" => "1",
        "Arrêté individuel" => "4",
        "Délibération" => "5",
        "Arrêté réglementaire" => "6",
        _ => "9",
    }
}

pub fn categorie(settings: &Settings, nature: &str) -> String {
    settings
        .get(&format!("categorie.{nature}"))
        .map(str::to_string)
        .unwrap_or_else(|| default_categorie(nature).to_string())
}

/// A file name safe on any filesystem and inside a zip: letters, digits,
/// `.`, `-` and `_` kept, anything else turned into `-`, no leading dot.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "piece".into()
    } else {
        trimmed.chars().take(120).collect()
    }
}

fn files<'a>(d: &'a Dossier, label: &str) -> &'a [DsFile] {
    d.champ_labelled(label)
        .map(|c| c.value.files())
        .unwrap_or_default()
}

fn text(d: &Dossier, label: &str) -> Option<String> {
    d.champ_labelled(label)
        .and_then(|c| c.value.as_text())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// What the transmission is about, read from the dossier.
#[derive(Debug)]
pub struct Transmission {
    pub nature: String,
    pub categorie: String,
    pub objet: String,
    pub pieces: Vec<Piece>,
}

/// Sorts the dossier's attachments. No acte is the dossier's problem.
pub fn sort(d: &Dossier, settings: &Settings) -> Result<Transmission, String> {
    let nature = text(d, "Nature de l’acte").ok_or("champ « Nature de l’acte » vide")?;
    let objet = text(d, "Objet de l’acte").ok_or("champ « Objet de l’acte » vide")?;
    let categorie = categorie(settings, &nature);
    let acte = files(d, "Acte");
    if acte.is_empty() {
        return Err("aucun acte joint au dossier".into());
    }
    let mut pieces = Vec::new();
    for (kind, list) in [(Kind::Acte, acte), (Kind::Annexe, files(d, "Annexes"))] {
        for (i, file) in list.iter().enumerate() {
            let label = match kind {
                Kind::Acte if list.len() == 1 => "Acte".to_string(),
                Kind::Acte => format!("Acte ({})", i + 1),
                Kind::Annexe => format!("Annexe {}", i + 1),
            };
            pieces.push(Piece {
                kind,
                rank: i + 1,
                file: file.clone(),
                categorie: categorie.clone(),
                objet: format!("{label} — {objet} (DS-{})", d.number),
            });
        }
    }
    Ok(Transmission {
        nature,
        categorie,
        objet,
        pieces,
    })
}

/// Whether the champ value is a checked checkbox.
pub fn checked(v: &ChampValue) -> bool {
    matches!(v, ChampValue::Checkbox(true))
}
