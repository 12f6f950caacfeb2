//! The demandeur types (`PersonnePhysique`, `PersonneMorale`, `PersonneMoraleIncomplete`) and
//! what an établissement carries (`Entreprise`, `Effectif`, `Association`). Figures DS gets
//! from the INSEE and RNA registries are derived from the SIRET, so they are stable.

use async_graphql::{ID, Interface, Object, SimpleObject};
use chrono::NaiveDate;

use super::enums::{Civilite, EntrepriseEtatAdministratif};
use super::objects::{AddressObj, FileObj};
use super::scalars::{BigInt, DateScalar};
use crate::model::Etablissement;
use crate::util::{global_id, mix};

/// `Effectif`: a headcount for a period.
#[derive(SimpleObject, Clone)]
pub struct Effectif {
    pub periode: String,
    pub nb: f64,
}

/// `Entreprise`: the legal unit behind an établissement.
pub struct Entreprise(pub Etablissement);

impl Entreprise {
    fn seed(&self) -> u64 {
        mix(self.0.siret.parse::<u64>().unwrap_or_default())
    }
    /// Associations and administrations have no share capital.
    fn commercial(&self) -> bool {
        !matches!(self.0.naf.as_str(), "84.11Z" | "94.99Z")
    }
}

#[Object]
impl Entreprise {
    async fn siren(&self) -> String {
        self.0.siret.chars().take(9).collect()
    }
    async fn raison_sociale(&self) -> String {
        self.0.raison_sociale.clone()
    }
    /// DS sends "" when the registry has none.
    async fn nom_commercial(&self) -> String {
        String::new()
    }
    async fn siret_siege_social(&self) -> String {
        self.0.siret.clone()
    }
    async fn inline_adresse(&self) -> String {
        self.0.address.label.clone()
    }
    /// "-1 si inconnu", as DS documents it.
    async fn capital_social(&self) -> Option<BigInt> {
        Some(BigInt(if self.commercial() {
            1_000 * (1 + (self.seed() % 500) as i64)
        } else {
            -1
        }))
    }
    async fn numero_tva_intracommunautaire(&self) -> Option<String> {
        let siren: u64 = self.0.siret[..9.min(self.0.siret.len())]
            .parse()
            .unwrap_or_default();
        self.commercial()
            .then(|| format!("FR{:02}{siren:09}", (12 + 3 * (siren % 97)) % 97))
    }
    async fn forme_juridique(&self) -> Option<String> {
        Some(
            match self.0.naf.as_str() {
                "84.11Z" => "Commune et commune nouvelle",
                "94.99Z" => "Association déclarée",
                _ => "SAS, société par actions simplifiée",
            }
            .into(),
        )
    }
    async fn forme_juridique_code(&self) -> Option<String> {
        Some(
            match self.0.naf.as_str() {
                "84.11Z" => "7210",
                "94.99Z" => "9220",
                _ => "5710",
            }
            .into(),
        )
    }
    async fn code_effectif_entreprise(&self) -> Option<String> {
        Some(format!("{:02}", 11 + self.seed() % 4))
    }
    async fn effectif_mensuel(&self) -> Option<Effectif> {
        Some(Effectif {
            periode: "09/2025".into(),
            nb: (10 + self.seed() % 90) as f64,
        })
    }
    async fn effectif_annuel(&self) -> Option<Effectif> {
        Some(Effectif {
            periode: "2024".into(),
            nb: (10 + self.seed() % 90) as f64 - 0.5,
        })
    }
    async fn date_creation(&self) -> Option<DateScalar> {
        let s = self.seed();
        NaiveDate::from_ymd_opt(
            1970 + (s % 50) as i32,
            1 + (s % 12) as u32,
            1 + (s % 28) as u32,
        )
        .map(DateScalar)
    }
    async fn etat_administratif(&self) -> Option<EntrepriseEtatAdministratif> {
        Some(EntrepriseEtatAdministratif::Actif)
    }
    /// Only set for a sole trader, which no seeded établissement is.
    async fn nom(&self) -> Option<String> {
        None
    }
    async fn prenom(&self) -> Option<String> {
        None
    }
    async fn enseigne(&self) -> Option<String> {
        None
    }
    /// DS keeps these only when the démarche asks for them; none of the sandbox's does.
    async fn attestation_sociale_attachment(&self) -> Option<FileObj> {
        None
    }
    async fn attestation_fiscale_attachment(&self) -> Option<FileObj> {
        None
    }
}

/// `Association`: set when the établissement is an association (NAF 94.99Z).
#[derive(SimpleObject)]
pub struct Association {
    pub rna: String,
    pub titre: String,
    pub objet: Option<String>,
    pub date_creation: Option<DateScalar>,
    pub date_declaration: Option<DateScalar>,
    pub date_publication: Option<DateScalar>,
}

/// `PersonneMorale`: SIRET demandeur or the établissement of a SIRET champ.
pub struct PersonneMorale(pub Etablissement);

impl PersonneMorale {
    fn street(&self) -> (Option<String>, Option<String>, Option<String>) {
        let street = &self.0.address.street;
        match street.split_once(' ') {
            Some((n, rest)) => match rest.split_once(' ') {
                Some((kind, name)) => (Some(n.into()), Some(kind.into()), Some(name.into())),
                None => (Some(n.into()), None, Some(rest.into())),
            },
            None => (None, None, Some(street.clone())),
        }
    }
}

#[Object]
impl PersonneMorale {
    async fn id(&self) -> ID {
        ID(global_id("Etablissement", &self.0.siret))
    }
    async fn siret(&self) -> String {
        self.0.siret.clone()
    }
    async fn siege_social(&self) -> bool {
        true
    }
    async fn naf(&self) -> Option<String> {
        Some(self.0.naf.clone())
    }
    async fn libelle_naf(&self) -> String {
        self.0.libelle_naf.clone()
    }
    async fn address(&self) -> AddressObj {
        AddressObj(self.0.address.clone())
    }
    async fn entreprise(&self) -> Option<Entreprise> {
        Some(Entreprise(self.0.clone()))
    }
    async fn association(&self) -> Option<Association> {
        (self.0.naf == "94.99Z").then(|| {
            let seed = mix(self.0.siret.parse::<u64>().unwrap_or_default());
            let created =
                NaiveDate::from_ymd_opt(1980 + (seed % 40) as i32, 1 + (seed % 12) as u32, 1);
            Association {
                rna: format!("W{:09}", seed % 1_000_000_000),
                titre: self.0.raison_sociale.clone(),
                objet: Some("Animation de la vie locale".into()),
                date_creation: created.map(DateScalar),
                date_declaration: created.map(DateScalar),
                date_publication: created.and_then(|d| d.succ_opt()).map(DateScalar),
            }
        })
    }
    #[graphql(deprecation = "Utilisez le champ `address.label` à la place.")]
    async fn adresse(&self) -> String {
        self.0.address.label.clone()
    }
    #[graphql(deprecation = "Utilisez le champ `address.postal_code` à la place.")]
    async fn code_postal(&self) -> String {
        self.0.address.postal_code.clone()
    }
    #[graphql(deprecation = "Utilisez le champ `address.city_name` à la place.")]
    async fn localite(&self) -> String {
        self.0.address.city_name.clone()
    }
    #[graphql(deprecation = "Utilisez le champ `address.city_code` à la place.")]
    async fn code_insee_localite(&self) -> String {
        self.0.address.city_code.clone()
    }
    #[graphql(deprecation = "Utilisez le champ `address.street_number` à la place.")]
    async fn numero_voie(&self) -> Option<String> {
        self.street().0
    }
    #[graphql(deprecation = "Utilisez le champ `address.street_address` à la place.")]
    async fn type_voie(&self) -> Option<String> {
        self.street().1
    }
    #[graphql(deprecation = "Utilisez le champ `address.street_name` à la place.")]
    async fn nom_voie(&self) -> Option<String> {
        self.street().2
    }
    #[graphql(deprecation = "Utilisez le champ `address` à la place.")]
    async fn complement_adresse(&self) -> Option<String> {
        None
    }
}

/// `PersonneMoraleIncomplete`: DS could not fetch the établissement's data.
pub struct PersonneMoraleIncomplete {
    pub id: ID,
    pub siret: String,
}

#[Object]
impl PersonneMoraleIncomplete {
    async fn id(&self) -> ID {
        self.id.clone()
    }
    async fn siret(&self) -> String {
        self.siret.clone()
    }
}

/// `PersonnePhysique`.
pub struct PersonnePhysique {
    pub id: ID,
    pub civilite: Option<Civilite>,
    pub nom: String,
    pub prenom: String,
    pub email: Option<String>,
    pub date_de_naissance: Option<NaiveDate>,
}

#[Object]
impl PersonnePhysique {
    async fn id(&self) -> ID {
        self.id.clone()
    }
    async fn civilite(&self) -> Option<Civilite> {
        self.civilite
    }
    async fn nom(&self) -> String {
        self.nom.clone()
    }
    async fn prenom(&self) -> String {
        self.prenom.clone()
    }
    async fn email(&self) -> Option<String> {
        self.email.clone()
    }
    /// Only démarches that ask for it have one (here: the one with a birth-date champ).
    async fn date_de_naissance(&self) -> Option<DateScalar> {
        self.date_de_naissance.map(DateScalar)
    }
}

/// `interface Demandeur`.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Demandeur {
    PersonnePhysique(PersonnePhysique),
    PersonneMorale(PersonneMorale),
    PersonneMoraleIncomplete(PersonneMoraleIncomplete),
}
