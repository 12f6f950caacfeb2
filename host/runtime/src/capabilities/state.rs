//! The `state` capability: the robot's key-value store in the journal.
//!
//! Each call asks the gate and hands its permit to the journal, which takes
//! the key (or prefix) and, for a write, the byte count from it.

use pont_policy::{Action, Permit};

use crate::bindings::pont::robot::state::Host;
use crate::bindings::pont::robot::types::Error;
use crate::journal::{StateBounds, StateError, StateSet};
use crate::store::ItemState;

const MAX_KEY: usize = 512;
const MAX_VALUE: usize = 1024 * 1024;

type Res<T> = wasmtime::Result<Result<T, Error>>;

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(Error::Invalid(format!(
            "a state key has 1 to {MAX_KEY} bytes"
        )));
    }
    Ok(())
}

impl ItemState {
    /// The gate's permit for a state call, or the WIT `denied`.
    fn state_permit(&self, action: &Action<'_>) -> Result<Permit, Error> {
        self.authorize(action).map_err(|d| Error::Denied(d.reason))
    }

    /// A journal refusal or failure met while doing `action`, as the robot
    /// hears it; a permit that did not fit is audited as a denial.
    fn state_error(&self, action: &Action<'_>, e: StateError) -> Error {
        match e {
            StateError::Unpermitted(wrong) => Error::Denied(
                self.run
                    .gate
                    .refuse(self.item, action, wrong.to_string())
                    .reason,
            ),
            StateError::Journal(_) => Error::Unavailable(e.to_string()),
        }
    }
}

impl Host for ItemState {
    async fn get(&mut self, key: String) -> Res<Option<Vec<u8>>> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        let action = Action::StateGet { key: &key };
        let permit = match self.state_permit(&action) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let value = self.run.journal.state_get(&permit, &self.run.robot);
        Ok(value.map_err(|e| self.state_error(&action, e)))
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Res<()> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        let action = Action::StateSet {
            key: &key,
            bytes: value.len() as u64,
        };
        if value.len() > MAX_VALUE {
            // Audited as a refusal: an oversized write is an attempt worth seeing.
            let why = format!("a state value has at most {MAX_VALUE} bytes");
            let d = self.run.gate.refuse(self.item, &action, why);
            return Ok(Err(Error::Limit(d.reason)));
        }
        let permit = match self.state_permit(&action) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let limits = &self.run.limits.config;
        let bounds = StateBounds {
            max_keys: limits.state_keys,
            max_bytes: limits.state_bytes,
        };
        let written = self
            .run
            .journal
            .state_set_bounded(&permit, &self.run.robot, &value, bounds);
        match written {
            Ok(StateSet::Written) => Ok(Ok(())),
            // Audited like the oversized value: the gate allowed, the store refused.
            Ok(StateSet::Refused(why)) => {
                let d = self.run.gate.refuse(self.item, &action, why);
                Ok(Err(Error::Limit(d.reason)))
            }
            Err(e) => Ok(Err(self.state_error(&action, e))),
        }
    }

    async fn delete(&mut self, key: String) -> Res<bool> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        let action = Action::StateDelete { key: &key };
        let permit = match self.state_permit(&action) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let gone = self.run.journal.state_delete(&permit, &self.run.robot);
        Ok(gone.map_err(|e| self.state_error(&action, e)))
    }

    async fn keys(&mut self, prefix: String) -> Res<Vec<String>> {
        if prefix.len() > MAX_KEY {
            return Ok(Err(Error::Invalid(format!(
                "a key prefix has at most {MAX_KEY} bytes"
            ))));
        }
        let action = Action::StateKeys { prefix: &prefix };
        let permit = match self.state_permit(&action) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let keys = self.run.journal.state_keys(&permit, &self.run.robot);
        Ok(keys.map_err(|e| self.state_error(&action, e)))
    }
}
