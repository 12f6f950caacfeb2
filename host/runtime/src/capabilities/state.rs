//! The `state` capability: the robot's key-value store in the journal.

use pont_policy::Action;

use crate::bindings::pont::robot::state::Host;
use crate::bindings::pont::robot::types::Error;
use crate::journal::{StateBounds, StateSet};
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

fn journal_error(e: rusqlite::Error) -> Error {
    Error::Unavailable(format!("state store: {e}"))
}

impl Host for ItemState {
    async fn get(&mut self, key: String) -> Res<Option<Vec<u8>>> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        if let Err(d) = self.authorize(&Action::StateGet { key: &key }) {
            return Ok(Err(Error::Denied(d.reason)));
        }
        Ok(self
            .run
            .journal
            .state_get(&self.run.robot, &key)
            .map_err(journal_error))
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
        if let Err(d) = self.authorize(&action) {
            return Ok(Err(Error::Denied(d.reason)));
        }
        let limits = &self.run.limits.config;
        let bounds = StateBounds {
            max_keys: limits.state_keys,
            max_bytes: limits.state_bytes,
        };
        let written = self
            .run
            .journal
            .state_set_bounded(&self.run.robot, &key, &value, bounds);
        match written {
            Ok(StateSet::Written) => Ok(Ok(())),
            // Audited like the oversized value: the gate allowed, the store refused.
            Ok(StateSet::Refused(why)) => {
                let d = self.run.gate.refuse(self.item, &action, why);
                Ok(Err(Error::Limit(d.reason)))
            }
            Err(e) => Ok(Err(journal_error(e))),
        }
    }

    async fn delete(&mut self, key: String) -> Res<bool> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        if let Err(d) = self.authorize(&Action::StateDelete { key: &key }) {
            return Ok(Err(Error::Denied(d.reason)));
        }
        Ok(self
            .run
            .journal
            .state_delete(&self.run.robot, &key)
            .map_err(journal_error))
    }

    async fn keys(&mut self, prefix: String) -> Res<Vec<String>> {
        if prefix.len() > MAX_KEY {
            return Ok(Err(Error::Invalid(format!(
                "a key prefix has at most {MAX_KEY} bytes"
            ))));
        }
        if let Err(d) = self.authorize(&Action::StateKeys { prefix: &prefix }) {
            return Ok(Err(Error::Denied(d.reason)));
        }
        Ok(self
            .run
            .journal
            .state_keys(&self.run.robot, &prefix)
            .map_err(journal_error))
    }
}
