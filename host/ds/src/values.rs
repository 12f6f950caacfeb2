//! The values of the champ types beyond plain scalars (carte, RNA/RNF,
//! titre d'identité, engagement juridique), what a listing reports of the
//! dossiers it could not read, and the wire form of DS's enums.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::Address;

/// An area of a carte champ: drawn by the usager or a cadastral parcel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoArea {
    /// DS's id of the area.
    pub id: String,
    /// DS's `GeoAreaSource`: `selection_utilisateur` or `cadastre`.
    pub source: String,
    /// What the usager wrote about it.
    pub description: Option<String>,
    /// The GeoJSON geometry as JSON text (`{"type": …, "coordinates": …}`),
    /// for a robot to hand to a GIS tool unchanged.
    pub geometry: String,
    /// The parcel's reference, for a `cadastre` area.
    pub parcelle: Option<Parcelle>,
}

/// A cadastral parcel's reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parcelle {
    /// INSEE code of the commune.
    pub commune: String,
    /// Prefix (former commune), often "000".
    pub prefixe: String,
    /// Section.
    pub section: String,
    /// Number in the section.
    pub numero: String,
    /// Area in m², as DS writes it.
    pub surface: String,
}

/// An entry of a national register (RNA for associations, RNF for
/// foundations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntry {
    /// The register number (e.g. `W751080001`).
    pub id: String,
    /// The registered name.
    pub title: Option<String>,
    /// The registered address.
    pub address: Option<Address>,
}

/// An engagement juridique (Chorus): its number and what DS knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementJuridique {
    /// The EJ number, as the usager typed it (DS's `stringValue`).
    pub numero: String,
    /// Amount committed, when DS has it.
    pub montant_engage: Option<String>,
    /// Amount paid, when DS has it.
    pub montant_paye: Option<String>,
}

/// A titre d'identité champ: DS never exposes the document itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitreIdentite {
    /// The usager provided it.
    pub filled: bool,
    /// How: `france_connect` or `piece_justificative`.
    pub grant_type: String,
}

/// A dossier of a page that could not be read: DS sent it with an error (a
/// field it could not compute, such as `invalid_null`) or in a shape this
/// client cannot decode. The rest of the page is kept; this dossier is
/// reported on its own, so that one bad dossier does not block its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadDossier {
    /// The dossier's number.
    pub number: i64,
    /// What went wrong, naming DS's error (one line).
    pub reason: String,
}

/// An enum with a case for values DS adds after this client was written.
pub trait OpenEnum: Sized {
    /// The case that stands for any value this client does not know.
    const UNKNOWN: Self;
}

impl OpenEnum for crate::model::DossierState {
    const UNKNOWN: Self = Self::Unknown;
}

impl OpenEnum for crate::model::CorrectionReason {
    const UNKNOWN: Self = Self::Unknown;
}

/// A DS enum as it comes over the wire: a known value, or the name of one
/// this client does not know, kept so the reason can name it. Decoding never
/// fails on a new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire<T> {
    /// A value this client knows.
    Known(T),
    /// DS's name of a value this client does not know.
    Unknown(String),
}

impl<T: OpenEnum + Copy> Wire<T> {
    /// The value, [`OpenEnum::UNKNOWN`] for one this client does not know.
    pub fn value(&self) -> T {
        match self {
            Self::Known(t) => *t,
            Self::Unknown(_) => T::UNKNOWN,
        }
    }

    /// DS's name of a value this client does not know.
    pub fn unknown(&self) -> Option<&str> {
        match self {
            Self::Known(_) => None,
            Self::Unknown(s) => Some(s),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Wire<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        let value = serde_json::Value::String(name);
        match T::deserialize(&value) {
            Ok(t) => Ok(Self::Known(t)),
            Err(_) => match value {
                serde_json::Value::String(name) => Ok(Self::Unknown(name)),
                _ => Err(serde::de::Error::custom("enum value is not a string")),
            },
        }
    }
}

impl<T: Serialize> Serialize for Wire<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(t) => t.serialize(s),
            Self::Unknown(name) => s.serialize_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DossierState;

    #[test]
    fn a_new_value_decodes_as_unknown_and_keeps_its_name() {
        let w: Wire<DossierState> = serde_json::from_str("\"en_attente\"").unwrap();
        assert_eq!(w.value(), DossierState::Unknown);
        assert_eq!(w.unknown(), Some("en_attente"));
        // Not even the client's own name for the case is taken as known.
        let w: Wire<DossierState> = serde_json::from_str("\"unknown\"").unwrap();
        assert_eq!(w.unknown(), Some("unknown"));
        let w: Wire<DossierState> = serde_json::from_str("\"accepte\"").unwrap();
        assert_eq!(w, Wire::Known(DossierState::Accepte));
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"accepte\"");
    }
}
