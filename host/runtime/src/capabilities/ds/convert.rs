//! From the DS client's model to the WIT types robots see. Files keep an
//! opaque reference (an index into the item's file table), never their URL.

use pont_ds as m;

use crate::bindings::pont::robot::ds as w;

/// A file a robot was shown, with where it was found (for provenance).
#[derive(Debug, Clone)]
pub(crate) struct SeenFile {
    pub file: m::DsFile,
    pub dossier: i64,
    pub champ_id: String,
}

/// Files seen during an item: robots get an index, the host keeps the URL.
#[derive(Debug, Default)]
pub(crate) struct FileTable {
    files: Vec<SeenFile>,
}

impl FileTable {
    pub fn add(&mut self, f: &m::DsFile, dossier: i64, champ_id: &str) -> w::DsFile {
        self.files.push(SeenFile {
            file: f.clone(),
            dossier,
            champ_id: champ_id.to_string(),
        });
        w::DsFile {
            reference: format!("file-{}", self.files.len() - 1),
            file_name: f.filename.clone(),
            content_type: f.content_type.clone(),
            byte_size: f.byte_size,
            checksum: f.checksum.clone(),
        }
    }

    pub fn get(&self, reference: &str) -> Option<&SeenFile> {
        let i: usize = reference.strip_prefix("file-")?.parse().ok()?;
        self.files.get(i)
    }
}

pub(crate) fn state(s: m::DossierState) -> w::DossierState {
    match s {
        m::DossierState::EnConstruction => w::DossierState::EnConstruction,
        m::DossierState::EnInstruction => w::DossierState::EnInstruction,
        m::DossierState::Accepte => w::DossierState::Accepte,
        m::DossierState::Refuse => w::DossierState::Refuse,
        m::DossierState::SansSuite => w::DossierState::SansSuite,
        m::DossierState::Unknown => w::DossierState::Unknown,
    }
}

pub(crate) fn state_back(s: w::DossierState) -> m::DossierState {
    match s {
        w::DossierState::EnConstruction => m::DossierState::EnConstruction,
        w::DossierState::EnInstruction => m::DossierState::EnInstruction,
        w::DossierState::Accepte => m::DossierState::Accepte,
        w::DossierState::Refuse => m::DossierState::Refuse,
        w::DossierState::SansSuite => m::DossierState::SansSuite,
        w::DossierState::Unknown => m::DossierState::Unknown,
    }
}

fn address(a: &m::Address) -> w::Address {
    w::Address {
        label: a.label.clone(),
        postal_code: a.postal_code.clone(),
        city_name: a.city_name.clone(),
        city_code: a.city_code.clone(),
        departement_code: a.departement_code.clone().unwrap_or_default(),
    }
}

fn register(r: &m::RegisterEntry) -> w::RegisterEntry {
    w::RegisterEntry {
        id: r.id.clone(),
        title: r.title.clone(),
        address: r.address.as_ref().map(address),
    }
}

fn geo_area(a: &m::GeoArea) -> w::GeoArea {
    w::GeoArea {
        id: a.id.clone(),
        source: a.source.clone(),
        description: a.description.clone(),
        geometry: a.geometry.clone(),
        parcelle: a.parcelle.as_ref().map(|p| w::Parcelle {
            commune: p.commune.clone(),
            prefixe: p.prefixe.clone(),
            section: p.section.clone(),
            numero: p.numero.clone(),
            surface: p.surface.clone(),
        }),
    }
}

/// The values with no data of their own or a structure of their own.
fn other_value(v: &m::ChampValue) -> w::ChampValue {
    use m::ChampValue as V;
    match v {
        V::HeaderSection(level) => w::ChampValue::HeaderSection(*level),
        V::Explication => w::ChampValue::Explication,
        V::Carte(areas) => w::ChampValue::Carte(areas.iter().map(geo_area).collect()),
        V::DossierLink(n) => w::ChampValue::DossierLink(*n),
        V::Epci(p) => w::ChampValue::Epci(place(p)),
        V::Rna(r) => w::ChampValue::Rna(register(r)),
        V::Rnf(r) => w::ChampValue::Rnf(register(r)),
        V::TitreIdentite(t) => w::ChampValue::TitreIdentite(w::TitreIdentite {
            filled: t.filled,
            grant_type: t.grant_type.clone(),
        }),
        V::EngagementJuridique(e) => w::ChampValue::EngagementJuridique(w::EngagementJuridique {
            numero: e.numero.clone(),
            montant_engage: e.montant_engage.clone(),
            montant_paye: e.montant_paye.clone(),
        }),
        V::Unknown(text) => w::ChampValue::Unknown(text.clone()),
        // The caller maps every other case itself.
        _ => w::ChampValue::Empty,
    }
}

fn place(p: &m::Place) -> w::Place {
    w::Place {
        name: p.name.clone(),
        code: p.code.clone(),
    }
}

fn etablissement(e: &m::Etablissement) -> w::Etablissement {
    w::Etablissement {
        siret: e.siret.clone(),
        raison_sociale: e.raison_sociale.clone().unwrap_or_default(),
        naf: e.naf.clone().unwrap_or_default(),
        address: e.address.clone(),
    }
}

/// Where a value sits: dossier number and champ id, for file provenance.
type At<'a> = (i64, &'a str);

fn value(v: &m::ChampValue, files: &mut FileTable, at: At<'_>) -> w::ChampValue {
    use m::ChampValue as V;
    match v {
        V::Empty => w::ChampValue::Empty,
        V::Text(t) => w::ChampValue::Text(t.clone()),
        V::Checkbox(b) => w::ChampValue::Checkbox(*b),
        V::YesNo(b) => w::ChampValue::YesNo(*b),
        V::Integer(i) => w::ChampValue::Integer(*i),
        V::Decimal(d) => w::ChampValue::Decimal(*d),
        V::Date(d) => w::ChampValue::Date(d.clone()),
        V::Datetime(d) => w::ChampValue::Datetime(d.clone()),
        V::DropDown(d) => w::ChampValue::DropDown(d.clone()),
        V::MultipleDropDown(l) => w::ChampValue::MultipleDropDown(l.clone()),
        V::LinkedDropDown(a, b) => w::ChampValue::LinkedDropDown((a.clone(), b.clone())),
        V::Civilite(c) => w::ChampValue::Civilite(c.clone()),
        V::Files(list) => {
            w::ChampValue::Files(list.iter().map(|f| files.add(f, at.0, at.1)).collect())
        }
        V::Siret(e) => w::ChampValue::Siret(etablissement(e)),
        V::Address(a) => w::ChampValue::Address(address(a)),
        V::Commune(p) => w::ChampValue::Commune(place(p)),
        V::Departement(p) => w::ChampValue::Departement(place(p)),
        V::Region(p) => w::ChampValue::Region(place(p)),
        V::Pays(p) => w::ChampValue::Pays(place(p)),
        V::Repetition => w::ChampValue::Repetition,
        other => other_value(other),
    }
}

fn champ(c: &m::Champ, files: &mut FileTable, dossier: i64) -> w::Champ {
    w::Champ {
        id: c.id.clone(),
        label: c.label.clone(),
        value: value(&c.value, files, (dossier, &c.id)),
        rows: c
            .rows
            .iter()
            .map(|r| w::Row {
                id: r.id.clone(),
                cells: r
                    .cells
                    .iter()
                    .map(|cell| w::Cell {
                        id: cell.champ_id.clone(),
                        label: cell.label.clone(),
                        value: value(&cell.value, files, (dossier, &cell.id)),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn label(l: &m::Label) -> w::Label {
    w::Label {
        id: l.id.clone(),
        name: l.name.clone(),
        color: l.color.clone(),
    }
}

pub(crate) fn dossier(d: &m::Dossier, files: &mut FileTable) -> w::Dossier {
    w::Dossier {
        number: d.number,
        id: d.id.clone(),
        demarche: d.demarche,
        state: state(d.state),
        archived: d.archived,
        date_depot: Some(d.date_depot.clone()).filter(|s| !s.is_empty()),
        date_derniere_modification: d.date_derniere_modification.clone(),
        date_passage_en_instruction: d.date_passage_en_instruction.clone(),
        date_traitement: d.date_traitement.clone(),
        usager_email: d.usager.email.clone(),
        demandeur: match &d.demandeur {
            m::Demandeur::PersonnePhysique(p) => {
                w::Demandeur::PersonnePhysique(w::PersonnePhysique {
                    civilite: p.civilite.clone(),
                    nom: p.nom.clone(),
                    prenom: p.prenom.clone(),
                    email: p.email.clone(),
                })
            }
            m::Demandeur::PersonneMorale(e) => w::Demandeur::PersonneMorale(etablissement(e)),
            m::Demandeur::PersonneMoraleIncomplete { siret } => {
                w::Demandeur::PersonneMoraleIncomplete(siret.clone())
            }
            m::Demandeur::None => w::Demandeur::None,
        },
        groupe_instructeur: d.groupe_instructeur.number,
        motivation: d.motivation.clone(),
        labels: d.labels.iter().map(label).collect(),
        champs: d.champs.iter().map(|c| champ(c, files, d.number)).collect(),
        annotations: d
            .annotations
            .iter()
            .map(|c| champ(c, files, d.number))
            .collect(),
    }
}

fn descriptor(c: &m::ChampDescriptor) -> w::ChampDescriptor {
    w::ChampDescriptor {
        id: c.id.clone(),
        label: c.label.clone(),
        kind: c.kind.clone(),
        required: c.required,
        description: c.description.clone(),
        options: c.options.clone(),
        children: c
            .children
            .iter()
            .map(|k| w::ChildDescriptor {
                id: k.id.clone(),
                label: k.label.clone(),
                kind: k.kind.clone(),
                required: k.required,
            })
            .collect(),
    }
}

pub(crate) fn demarche(d: &m::Demarche) -> w::Demarche {
    w::Demarche {
        number: d.number,
        id: d.id.clone(),
        title: d.title.clone(),
        state: d.state.clone(),
        champ_descriptors: d.champ_descriptors.iter().map(descriptor).collect(),
        annotation_descriptors: d.annotation_descriptors.iter().map(descriptor).collect(),
        groupes: d
            .groupes
            .iter()
            .map(|g| w::GroupeInstructeur {
                number: g.number,
                label: g.label.clone(),
                closed: g.closed,
                instructeurs: g
                    .instructeurs
                    .iter()
                    .map(|i| w::Instructeur {
                        id: i.id.clone(),
                        email: i.email.clone(),
                    })
                    .collect(),
            })
            .collect(),
        labels: d.labels.iter().map(label).collect(),
    }
}

pub(crate) fn deleted(d: &m::DeletedDossier) -> w::DeletedDossier {
    w::DeletedDossier {
        number: d.number,
        state: state(d.state),
        reason: d.reason.clone(),
        date_suppression: d.date_suppression.clone(),
    }
}

pub(crate) fn message(msg: &m::Message, files: &mut FileTable, dossier: i64) -> w::Message {
    w::Message {
        id: msg.id.clone(),
        email: msg.email.clone(),
        body: msg.body.clone(),
        created_at: msg.created_at.clone(),
        attachments: msg
            .attachments
            .iter()
            .map(|f| files.add(f, dossier, ""))
            .collect(),
        correction: msg.correction.as_ref().map(|c| correction(c.reason)),
    }
}

fn correction(reason: m::CorrectionReason) -> w::CorrectionReason {
    match reason {
        m::CorrectionReason::Incorrect => w::CorrectionReason::Incorrect,
        m::CorrectionReason::Incomplete => w::CorrectionReason::Incomplete,
        m::CorrectionReason::Outdated => w::CorrectionReason::Outdated,
        m::CorrectionReason::Unknown => w::CorrectionReason::Unknown,
    }
}

/// The reason to send; `unknown` stands for values DS sent and cannot be sent.
pub(crate) fn correction_back(c: w::CorrectionReason) -> Result<m::CorrectionReason, w::DsError> {
    Ok(match c {
        w::CorrectionReason::Incorrect => m::CorrectionReason::Incorrect,
        w::CorrectionReason::Incomplete => m::CorrectionReason::Incomplete,
        w::CorrectionReason::Outdated => m::CorrectionReason::Outdated,
        w::CorrectionReason::Unknown => {
            return Err(w::DsError::Rejected(
                "correction reason `unknown` stands for a value DS sent; it cannot be sent".into(),
            ));
        }
    })
}

/// A page's dossiers DS sent with an error.
pub(crate) fn unread(u: &m::UnreadDossier) -> w::UnreadDossier {
    w::UnreadDossier {
        number: u.number,
        reason: u.reason.clone(),
    }
}

pub(crate) fn annotation(a: w::AnnotationInput) -> m::AnnotationInput {
    use w::AnnotationValue as A;
    let value = match a.value {
        A::Text(t) => m::AnnotationValue::Text(t),
        A::Textarea(t) => m::AnnotationValue::Textarea(t),
        A::Email(t) => m::AnnotationValue::Email(t),
        A::Checkbox(b) => m::AnnotationValue::Checkbox(b),
        A::YesNo(b) => m::AnnotationValue::YesNo(b),
        A::Date(d) => m::AnnotationValue::Date(d),
        A::Datetime(d) => m::AnnotationValue::Datetime(d),
        A::Integer(i) => m::AnnotationValue::Integer(i),
        A::Decimal(d) => m::AnnotationValue::Decimal(d),
        A::DropDown(d) => m::AnnotationValue::DropDown(d),
        A::MultipleDropDown(l) => m::AnnotationValue::MultipleDropDown(l),
        A::AddRows(n) => m::AnnotationValue::AddRows(n),
    };
    m::AnnotationInput { id: a.id, value }
}

pub(crate) fn error(e: m::DsError) -> w::DsError {
    use m::DsError as E;
    let text = e.to_string();
    match e {
        E::NotFound(_) => w::DsError::NotFound(text),
        E::AlreadyInState(_) => w::DsError::AlreadyInState(text),
        E::InvalidTransition(_) => w::DsError::InvalidTransition(text),
        E::InstructeurWithoutAccess(_) | E::InstructeurNotFound { .. } => {
            w::DsError::InstructeurWithoutAccess(text)
        }
        E::ReadOnlyToken(_) => w::DsError::ReadOnlyToken(text),
        E::InvalidFile(_) => w::DsError::InvalidFile(text),
        E::InvalidAnnotation(_) => w::DsError::InvalidAnnotation(text),
        E::Unauthorized(_)
        | E::Forbidden(_)
        | E::TokenExpired(_)
        | E::Rejected(_)
        | E::Graphql { .. } => w::DsError::Rejected(text),
        E::Config(_) => w::DsError::Unsupported(text),
        // An egress budget refused the request: nothing was sent.
        E::Denied(_) => w::DsError::Denied(text),
        // The host handed the wrong permit: refused before anything was sent.
        E::Unpermitted(_) => w::DsError::Denied(text),
        // A hostile or broken answer: retrying gets the same.
        E::Limit(_) | E::Pagination(_) => w::DsError::Rejected(text),
        _ => w::DsError::Unavailable(text),
    }
}
