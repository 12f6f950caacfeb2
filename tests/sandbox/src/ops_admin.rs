//! Administrateur mutations: the four groupe instructeur mutations and `demarcheCloner`,
//! with DS's validation messages (Rails' French full messages) and warnings. Démarche
//! records are replaced copy-on-write, like dossiers.

use std::sync::Arc;

use chrono::Utc;

use crate::model::*;
use crate::ops::{Outcome, TopError, not_found};
use crate::util;
use crate::world::{Caller, State as WorldState, World};

/// One `ProfileInput` (@oneOf): an instructeur by global id or by email.
#[derive(Debug, Clone)]
pub enum ProfileRef {
    Id(String),
    Email(String),
}

/// A groupe after a mutation, and the warnings to return with it.
pub type GroupeOutcome = Outcome<(GroupeRecord, Vec<String>)>;

/// Numbers (and ids) of groupes created at run time start here, clear of the seeded ones.
const CREATED_GROUPES: i64 = 900_000;

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(|c| c.is_whitespace() || c == ',')
        }
        None => false,
    }
}

fn wrong_address(invalid: &[String]) -> Option<String> {
    match invalid {
        [] => None,
        [one] => Some(format!("{one} n’est pas une adresse électronique valide")),
        many => Some(format!(
            "{} ne sont pas des adresses électroniques valides",
            many.join(", ")
        )),
    }
}

/// Resolves profiles to instructeur ids, creating an instructeur for a valid unknown email
/// (DS invites them); unknown ids are skipped; invalid emails are returned.
fn resolve(st: &mut WorldState, refs: &[ProfileRef], create: bool) -> (Vec<i64>, Vec<String>) {
    let mut ids = Vec::new();
    let mut invalid = Vec::new();
    for r in refs {
        match r {
            ProfileRef::Id(id) => {
                if let Some(i) = util::decode_typed(id, "Instructeur")
                    .filter(|i| st.instructeurs.contains_key(i))
                {
                    ids.push(i);
                }
            }
            ProfileRef::Email(e) => {
                let e = e.trim().to_lowercase();
                if !valid_email(&e) {
                    invalid.push(e);
                } else if let Some(i) = st.instructeurs.values().find(|i| i.email == e) {
                    ids.push(i.id);
                } else if create {
                    let id = st.next_id() as i64;
                    st.instructeurs
                        .insert(id, InstructeurRecord { id, email: e });
                    ids.push(id);
                }
            }
        }
    }
    (ids, invalid)
}

fn find_groupe(st: &WorldState, id: &str) -> Option<(Arc<DemarcheRecord>, usize)> {
    let gid = util::decode_typed(id, "GroupeInstructeur")?;
    st.demarches.values().find_map(|d| {
        d.groupes
            .iter()
            .position(|g| g.id == gid)
            .map(|k| (d.clone(), k))
    })
}

fn label_error(dem: &DemarcheRecord, label: &str, except: Option<i64>) -> Option<String> {
    if label.trim().is_empty() {
        return Some("Le libellé doit être rempli".into());
    }
    dem.groupes
        .iter()
        .any(|g| g.label == label && Some(g.id) != except)
        .then(|| "Le libellé n’est pas disponible".into())
}

impl World {
    fn admin_logged<T>(
        &self,
        caller: &Caller,
        op: &str,
        body: impl FnOnce(&mut WorldState) -> Result<Outcome<(T, String)>, TopError>,
    ) -> Result<Outcome<T>, TopError> {
        let mut st = self.lock();
        let r = if caller.write {
            body(&mut st)
        } else {
            Ok(Err(crate::ops::READ_ONLY.to_owned()))
        };
        let (effect, error) = match &r {
            Ok(Ok((_, e))) => (Some(e.clone()), None),
            Ok(Err(m)) => (None, Some(m.clone())),
            Err(e) => (None, Some(e.message.clone())),
        };
        World::log(&mut st, caller, op, None, effect, error);
        r.map(|o| o.map(|(v, _)| v))
    }

    fn save_groupe(st: &mut WorldState, dem: &DemarcheRecord, k: usize, g: GroupeRecord) {
        let mut d = dem.clone();
        d.groupes[k] = g;
        st.demarches.insert(d.number, Arc::new(d));
    }

    /// `groupeInstructeurCreer`.
    pub fn groupe_creer(
        &self,
        caller: &Caller,
        demarche: Option<i64>,
        label: String,
        closed: bool,
        instructeurs: &[ProfileRef],
    ) -> Result<GroupeOutcome, TopError> {
        self.admin_logged(caller, "groupeInstructeurCreer", |st| {
            let dem = demarche
                .filter(|n| caller.can_see(*n))
                .and_then(|n| st.demarches.get(&n).cloned())
                .ok_or_else(|| not_found("GroupeInstructeurCreerPayload"))?;
            if let Some(m) = label_error(&dem, &label, None) {
                return Ok(Err(m));
            }
            let number = st
                .demarches
                .values()
                .flat_map(|d| d.groupes.iter().map(|g| g.number))
                .filter(|n| *n >= CREATED_GROUPES)
                .max()
                .unwrap_or(CREATED_GROUPES)
                + 1;
            let (ids, invalid) = resolve(st, instructeurs, true);
            let g = GroupeRecord {
                id: number,
                number,
                label: label.clone(),
                closed,
                instructeurs: ids,
            };
            let mut d = (*dem).clone();
            d.groupes.push(g.clone());
            st.demarches.insert(d.number, Arc::new(d));
            let warnings = wrong_address(&invalid).into_iter().collect();
            Ok(Ok(((g, warnings), format!("groupe {label} created"))))
        })
    }

    /// `groupeInstructeurModifier`: the default groupe (the first) cannot be closed.
    pub fn groupe_modifier(
        &self,
        caller: &Caller,
        groupe_id: &str,
        label: Option<String>,
        closed: Option<bool>,
    ) -> Result<GroupeOutcome, TopError> {
        self.admin_logged(caller, "groupeInstructeurModifier", |st| {
            let (dem, k) = find_groupe(st, groupe_id)
                .filter(|(d, _)| caller.can_see(d.number))
                .ok_or_else(|| not_found("GroupeInstructeurModifierPayload"))?;
            let mut g = dem.groupes[k].clone();
            if let Some(m) = label
                .as_deref()
                .and_then(|l| label_error(&dem, l, Some(g.id)))
            {
                return Ok(Err(m));
            }
            if closed == Some(true) && k == 0 {
                let m = "Il est impossible de désactiver le groupe d’instructeurs par défaut.";
                return Ok(Err(m.into()));
            }
            g.label = label.unwrap_or(g.label);
            g.closed = closed.unwrap_or(g.closed);
            World::save_groupe(st, &dem, k, g.clone());
            let effect = format!("groupe {} modified", g.label);
            Ok(Ok(((g, Vec::new()), effect)))
        })
    }

    /// `groupeInstructeurAjouterInstructeurs` (add = true) and `…SupprimerInstructeurs`.
    pub fn groupe_instructeurs(
        &self,
        caller: &Caller,
        add: bool,
        groupe_id: &str,
        refs: &[ProfileRef],
    ) -> Result<GroupeOutcome, TopError> {
        let (op, payload) = if add {
            (
                "groupeInstructeurAjouterInstructeurs",
                "GroupeInstructeurAjouterInstructeursPayload",
            )
        } else {
            (
                "groupeInstructeurSupprimerInstructeurs",
                "GroupeInstructeurSupprimerInstructeursPayload",
            )
        };
        self.admin_logged(caller, op, |st| {
            let (dem, k) = find_groupe(st, groupe_id)
                .filter(|(d, _)| caller.can_see(d.number))
                .ok_or_else(|| not_found(payload))?;
            let (ids, invalid) = resolve(st, refs, add);
            let mut g = dem.groupes[k].clone();
            let before = g.instructeurs.len();
            if add {
                for i in ids {
                    if !g.instructeurs.contains(&i) {
                        g.instructeurs.push(i);
                    }
                }
            } else {
                g.instructeurs.retain(|i| !ids.contains(i));
            }
            let changed = g.instructeurs.len().abs_diff(before);
            World::save_groupe(st, &dem, k, g.clone());
            let warnings = if add {
                wrong_address(&invalid).into_iter().collect()
            } else {
                Vec::new()
            };
            Ok(Ok(((g, warnings), format!("{changed} instructeur(s)"))))
        })
    }

    /// `demarcheCloner`: a new démarche in `brouillon` with the same champs and labels, a
    /// single empty default groupe and no dossiers.
    pub fn cloner(
        &self,
        caller: &Caller,
        demarche: Option<i64>,
        shown: String,
        title: Option<String>,
    ) -> Result<Outcome<Arc<DemarcheRecord>>, TopError> {
        self.admin_logged(caller, "demarcheCloner", |st| {
            let src = demarche
                .and_then(|n| st.demarches.get(&n).cloned())
                .filter(|d| d.opendata || caller.can_see(d.number));
            let Some(src) = src else {
                return Ok(Err(format!(
                    "La démarche \"{shown}\" ne peut pas être clonée."
                )));
            };
            let number = st.demarches.keys().max().copied().unwrap_or(100) + 1;
            let mut d = (*src).clone();
            d.number = number;
            d.title = title.filter(|t| !t.trim().is_empty()).unwrap_or(d.title);
            d.state = "brouillon";
            d.created_at = Utc::now();
            d.published_at = None;
            d.revision_id = number * 10;
            d.opendata = false;
            d.groupes = vec![GroupeRecord {
                id: number * 10 + 1,
                number: number * 10 + 1,
                label: "défaut".into(),
                closed: false,
                instructeurs: Vec::new(),
            }];
            for (k, l) in d.labels.iter_mut().enumerate() {
                l.id = number * 10 + k as i64 + 1;
            }
            let d = Arc::new(d);
            st.demarches.insert(number, d.clone());
            Ok(Ok((d, format!("{} cloned as {number}", src.number))))
        })
    }
}
