//! Dossier mutations beyond state changes: `dossierDesarchiver`, `dossierBasculeSuivi`,
//! `dossierChangerGroupeInstructeur` and `dossierSupprimerMessage`, with DS's guards and
//! messages, in DS's order (read-only token, ids loaded, then `authorized?`). Each call
//! writes one mutation-log entry, applied or not.

use std::sync::Arc;

use chrono::Utc;

use crate::model::*;
use crate::ops::{
    NO_ACCESS, Outcome, READ_ONLY, TopError, has_access, load_dossier, load_instructeur, not_found,
};
use crate::util;
use crate::world::{Caller, State as WorldState, World};

/// A dossier after a mutation, with its démarche.
pub type Loaded = (Arc<DossierRecord>, Arc<DemarcheRecord>);

/// What an operation body returns: the dossier number for the log, then the outcome and,
/// when applied, the effect written to the log.
type Step<T> = Result<(Option<i64>, Outcome<(T, String)>), (Option<i64>, TopError)>;

impl World {
    /// Runs `body` under the lock after the read-only check, and logs the result once.
    fn logged<T>(
        &self,
        caller: &Caller,
        op: &str,
        guess: Option<i64>,
        body: impl FnOnce(&mut WorldState) -> Step<T>,
    ) -> Result<Outcome<T>, TopError> {
        let mut st = self.lock();
        let r = if caller.write {
            body(&mut st)
        } else {
            Ok((guess, Err(READ_ONLY.to_owned())))
        };
        match r {
            Ok((n, Ok((v, effect)))) => {
                World::log(&mut st, caller, op, n, Some(effect), None);
                Ok(Ok(v))
            }
            Ok((n, Err(m))) => {
                World::log(&mut st, caller, op, n, None, Some(m.clone()));
                Ok(Err(m))
            }
            Err((n, e)) => {
                World::log(&mut st, caller, op, n, None, Some(e.message.clone()));
                Err(e)
            }
        }
    }

    /// `dossierDesarchiver`: only an archived dossier can be taken out of the archive.
    pub fn desarchiver(
        &self,
        caller: &Caller,
        dossier_id: &str,
        instructeur_id: &str,
    ) -> Result<Outcome<Loaded>, TopError> {
        const PAYLOAD: &str = "DossierDesarchiverPayload";
        let guess = util::decode_typed(dossier_id, "Dossier");
        self.logged(caller, "dossierDesarchiver", guess, |st| {
            let (d, dem) = load_dossier(st, caller, dossier_id, PAYLOAD).map_err(|e| (None, e))?;
            let n = Some(d.number);
            let i = load_instructeur(st, instructeur_id, PAYLOAD).map_err(|e| (n, e))?;
            if !d.archived {
                let m = "Un dossier non archivé ne peut pas être désarchivé";
                return Ok((n, Err(m.into())));
            }
            if !has_access(&dem, &d, i.id) {
                return Ok((n, Err(NO_ACCESS.into())));
            }
            let mut rec = (*d).clone();
            rec.archived = false;
            rec.updated_at = Utc::now();
            let rec = Arc::new(rec);
            st.dossiers.insert(rec.number, rec.clone());
            Ok((n, Ok(((rec, dem), "archived→unarchived".into()))))
        })
    }

    /// `dossierBasculeSuivi`: the instructeur follows (or stops following) the dossier.
    pub fn bascule_suivi(
        &self,
        caller: &Caller,
        dossier_id: &str,
        instructeur_id: &str,
        follow: bool,
    ) -> Result<Outcome<(Loaded, InstructeurRecord)>, TopError> {
        const PAYLOAD: &str = "DossierBasculeSuiviPayload";
        let guess = util::decode_typed(dossier_id, "Dossier");
        self.logged(caller, "dossierBasculeSuivi", guess, |st| {
            let (d, dem) = load_dossier(st, caller, dossier_id, PAYLOAD).map_err(|e| (None, e))?;
            let n = Some(d.number);
            let i = load_instructeur(st, instructeur_id, PAYLOAD).map_err(|e| (n, e))?;
            if !has_access(&dem, &d, i.id) {
                return Ok((n, Err(NO_ACCESS.into())));
            }
            let mut rec = (*d).clone();
            rec.followers.retain(|f| *f != i.id);
            if follow {
                rec.followers.push(i.id);
            }
            let rec = Arc::new(rec);
            st.dossiers.insert(rec.number, rec.clone());
            let effect = format!("{} {}", if follow { "follow" } else { "unfollow" }, i.email);
            Ok((n, Ok((((rec, dem), i), effect))))
        })
    }

    /// `dossierChangerGroupeInstructeur` (acts as the token's administrateur): followers
    /// outside the new groupe stop following, as DS's `unfollow_stale_instructeurs` does.
    pub fn changer_groupe(
        &self,
        caller: &Caller,
        dossier_id: &str,
        groupe_id: &str,
    ) -> Result<Outcome<Loaded>, TopError> {
        const PAYLOAD: &str = "DossierChangerGroupeInstructeurPayload";
        let guess = util::decode_typed(dossier_id, "Dossier");
        self.logged(caller, "dossierChangerGroupeInstructeur", guess, |st| {
            let (d, dem) = load_dossier(st, caller, dossier_id, PAYLOAD).map_err(|e| (None, e))?;
            let n = Some(d.number);
            let gid = util::decode_typed(groupe_id, "GroupeInstructeur");
            let (g, g_dem) = gid
                .and_then(|gid| {
                    st.demarches.values().find_map(|x| {
                        x.groupes
                            .iter()
                            .find(|g| g.id == gid)
                            .map(|g| (g.clone(), x.number))
                    })
                })
                .ok_or_else(|| (n, not_found(PAYLOAD)))?;
            if g.number == d.groupe {
                let m = format!(
                    "Le dossier est déjà avec le groupe instructeur: '{}'",
                    g.label
                );
                return Ok((n, Err(m)));
            }
            if g_dem != d.demarche {
                let m = format!(
                    "Le groupe instructeur '{}' n’appartient pas à la même démarche que le dossier",
                    g.label
                );
                return Ok((n, Err(m)));
            }
            let mut rec = (*d).clone();
            rec.groupe = g.number;
            rec.followers.retain(|f| g.instructeurs.contains(f));
            rec.updated_at = Utc::now();
            let rec = Arc::new(rec);
            st.dossiers.insert(rec.number, rec.clone());
            Ok((n, Ok(((rec, dem), format!("groupe → {}", g.label)))))
        })
    }

    /// `dossierSupprimerMessage`: an instructeur deletes a message they sent. The body is
    /// emptied, attachments dropped and a pending correction it asked for resolved.
    pub fn supprimer_message(
        &self,
        caller: &Caller,
        message_id: &str,
        instructeur_id: &str,
    ) -> Result<Outcome<MessageRecord>, TopError> {
        const PAYLOAD: &str = "DossierSupprimerMessagePayload";
        self.logged(caller, "dossierSupprimerMessage", None, |st| {
            let mid = util::decode_typed(message_id, "Commentaire").map(|m| m as u64);
            let found = mid.and_then(|mid| {
                st.dossiers
                    .values()
                    .find(|d| d.hidden_at.is_none() && d.messages.iter().any(|m| m.id == mid))
                    .map(|d| (d.clone(), mid))
            });
            let (d, mid) = found.ok_or_else(|| (None, not_found(PAYLOAD)))?;
            let n = Some(d.number);
            if !caller.can_see(d.demarche) {
                let e = TopError {
                    message: "An object of type Message was hidden due to permissions".into(),
                    code: "unauthorized",
                };
                return Err((n, e));
            }
            let i = load_instructeur(st, instructeur_id, PAYLOAD).map_err(|e| (n, e))?;
            let dem = st
                .demarches
                .get(&d.demarche)
                .cloned()
                .ok_or((n, not_found(PAYLOAD)))?;
            let Some(pos) = d.messages.iter().position(|m| m.id == mid) else {
                return Err((n, not_found(PAYLOAD)));
            };
            let m = &d.messages[pos];
            if m.email != i.email || m.discarded_at.is_some() {
                return Ok((n, Err("Le message ne peut pas être supprimé".into())));
            }
            if !has_access(&dem, &d, i.id) {
                return Ok((n, Err(NO_ACCESS.into())));
            }
            let now = Utc::now();
            let mut rec = (*d).clone();
            let msg = &mut rec.messages[pos];
            msg.discarded_at = Some(now);
            msg.body.clear();
            msg.attachments.clear();
            if let Some((_, resolved @ None)) = &mut msg.correction {
                *resolved = Some(now);
            }
            let out = msg.clone();
            rec.updated_at = now;
            st.dossiers.insert(rec.number, Arc::new(rec));
            Ok((n, Ok((out, "message deleted".into()))))
        })
    }
}
