//! Champ and annotation descriptors of the six robots' démarches (stable ids `démarche*1000+k`).

use crate::model::{Descriptor, Kind};

fn d(id: u64, label: &str, kind: Kind) -> Descriptor {
    Descriptor {
        stable_id: id,
        label: label.into(),
        description: None,
        required: true,
        kind,
    }
}

fn opt(mut x: Descriptor) -> Descriptor {
    x.required = false;
    x
}

fn with_desc(mut x: Descriptor, desc: &str) -> Descriptor {
    x.description = Some(desc.into());
    x
}

fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Champ and annotation descriptors of each robot's démarche.
pub(super) fn descriptors(number: i64) -> (Vec<Descriptor>, Vec<Descriptor>) {
    let s = |k: u64| number as u64 * 1000 + k;
    match number {
        101 => (
            vec![
                d(
                    s(1),
                    "Identification du porteur",
                    Kind::HeaderSection { level: 1 },
                ),
                d(s(2), "SIRET du porteur", Kind::Siret),
                d(s(3), "Intitulé du projet", Kind::Text),
                d(
                    s(4),
                    "Dispositif",
                    Kind::DropDownList {
                        options: list(&["DETN", "CATNAT", "TDIL", "FNADT"]),
                        other: false,
                    },
                ),
                d(s(5), "Montant demandé (€)", Kind::DecimalNumber),
                opt(d(s(6), "Nombre d’emplois créés", Kind::IntegerNumber)),
                d(s(7), "Date de début des travaux", Kind::Date),
                d(s(8), "Adresse du projet", Kind::Address),
                with_desc(
                    d(s(9), "Devis", Kind::PieceJustificative),
                    "Devis signé, au format PDF",
                ),
                d(
                    s(10),
                    "Dépenses prévues",
                    Kind::Repetition {
                        children: vec![
                            d(s(11), "Poste de dépense", Kind::Text),
                            d(s(12), "Montant HT (€)", Kind::DecimalNumber),
                        ],
                    },
                ),
                opt(d(s(13), "Commentaire", Kind::Textarea)),
            ],
            vec![
                opt(d(s(501), "Numéro d’engagement juridique", Kind::Text)),
                opt(d(s(502), "Saisi dans Chorus", Kind::Checkbox)),
                opt(d(s(503), "Date de saisie", Kind::Date)),
            ],
        ),
        102 => (
            vec![
                d(s(1), "Civilité", Kind::Civilite),
                d(s(2), "Nom", Kind::Text),
                d(s(3), "Prénom", Kind::Text),
                d(s(4), "Date de naissance", Kind::Date),
                d(s(5), "Commune de naissance", Kind::Commune),
                d(s(6), "Pays de naissance", Kind::Pays),
                d(s(7), "Numéro du permis de conduire", Kind::Text),
                d(s(8), "Date d’obtention du permis", Kind::Date),
                d(
                    s(9),
                    "Déjà titulaire d’une carte professionnelle",
                    Kind::YesNo,
                ),
                d(s(10), "Photo d’identité", Kind::PieceJustificative),
                d(s(11), "Permis de conduire", Kind::PieceJustificative),
                opt(d(s(12), "Téléphone", Kind::Phone)),
            ],
            vec![
                opt(d(
                    s(501),
                    "Casier judiciaire",
                    Kind::DropDownList {
                        options: list(&["Néant", "Mentions incompatibles", "Mentions compatibles"]),
                        other: false,
                    },
                )),
                opt(d(s(502), "Droit à conduire vérifié", Kind::YesNo)),
                opt(d(s(503), "Date de vérification", Kind::Datetime)),
            ],
        ),
        103 => (
            vec![
                d(s(1), "SIRET du bénéficiaire", Kind::Siret),
                d(
                    s(2),
                    "Numéro d’engagement juridique",
                    Kind::EngagementJuridique,
                ),
                d(s(3), "Montant à payer (€)", Kind::DecimalNumber),
                d(s(4), "Date du service fait", Kind::Date),
                d(
                    s(5),
                    "Programme / action",
                    Kind::LinkedDropDownList {
                        options: list(&["119", "122", "123", "362"]),
                    },
                ),
                d(s(6), "Département", Kind::Departement),
                d(s(7), "Facture", Kind::PieceJustificative),
                opt(d(s(8), "Courriel du gestionnaire", Kind::Email)),
            ],
            vec![
                opt(d(s(501), "Numéro de demande de paiement", Kind::Text)),
                opt(d(s(502), "Certificat de paiement ajouté", Kind::Checkbox)),
                opt(d(
                    s(503),
                    "Ligne du rapport d’activité",
                    Kind::IntegerNumber,
                )),
            ],
        ),
        104 => (
            vec![
                d(s(1), "Nom", Kind::Text),
                d(s(2), "Prénom", Kind::Text),
                d(s(3), "Courriel", Kind::Email),
                d(s(4), "Matricule", Kind::IntegerNumber),
                d(s(5), "Date d’entrée", Kind::Date),
                d(
                    s(6),
                    "Services",
                    Kind::MultipleDropDownList {
                        options: list(&[
                            "Accueil",
                            "Étrangers",
                            "Élections",
                            "Associations",
                            "Réglementation",
                        ]),
                    },
                ),
                d(s(7), "Région d’affectation", Kind::Region),
                d(s(8), "Temps complet", Kind::YesNo),
                d(
                    s(9),
                    "Affectations",
                    Kind::Repetition {
                        children: vec![
                            d(s(10), "Service", Kind::Text),
                            d(s(11), "Début", Kind::Date),
                        ],
                    },
                ),
                d(
                    s(12),
                    "Rémunération brute annuelle (€)",
                    Kind::DecimalNumber,
                ),
                d(s(13), "SIRET de l’employeur", Kind::Siret),
                d(s(14), "IBAN", Kind::Iban),
                opt(d(s(15), "RIB", Kind::PieceJustificative)),
            ],
            vec![
                opt(d(s(501), "Cohérent", Kind::YesNo)),
                opt(d(s(502), "Anomalies relevées", Kind::Textarea)),
                opt(d(
                    s(503),
                    "Contrôles",
                    Kind::Repetition {
                        children: vec![d(s(504), "Contrôle", Kind::Text)],
                    },
                )),
            ],
        ),
        105 => (
            vec![
                d(
                    s(1),
                    "Les actes transmis doivent être signés.",
                    Kind::Explication,
                ),
                d(s(2), "Objet de l’acte", Kind::Text),
                d(
                    s(3),
                    "Nature de l’acte",
                    Kind::DropDownList {
                        options: list(&[
                            "Délibération",
                            "Arrêté réglementaire",
                            "Arrêté individuel",
                            "Contrat",
                        ]),
                        other: true,
                    },
                ),
                d(s(4), "Date de la décision", Kind::Date),
                d(s(5), "Acte", Kind::PieceJustificative),
                opt(d(s(6), "Annexes", Kind::PieceJustificative)),
                d(s(7), "Commune", Kind::Commune),
            ],
            vec![
                opt(d(s(501), "Identifiant @ctes", Kind::Text)),
                opt(d(s(502), "Transmis", Kind::Checkbox)),
            ],
        ),
        _ => (
            vec![
                d(s(1), "Civilité", Kind::Civilite),
                d(s(2), "Nom", Kind::Text),
                d(s(3), "Prénom", Kind::Text),
                d(s(4), "Numéro RPPS", Kind::Text),
                d(
                    s(5),
                    "Profession",
                    Kind::DropDownList {
                        options: list(&[
                            "Médecin",
                            "Pharmacien",
                            "Infirmier",
                            "Sage-femme",
                            "Chirurgien-dentiste",
                        ]),
                        other: false,
                    },
                ),
                d(s(6), "Département d’exercice", Kind::Departement),
                d(s(7), "Justificatif d’identité", Kind::PieceJustificative),
                d(s(8), "Date et heure de la demande", Kind::Datetime),
            ],
            vec![
                opt(d(s(501), "Numéro de carte CPS", Kind::Text)),
                opt(d(
                    s(502),
                    "Décision",
                    Kind::DropDownList {
                        options: list(&["Acceptée", "Refusée"]),
                        other: false,
                    },
                )),
            ],
        ),
    }
}
