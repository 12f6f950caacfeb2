//! Handing host resources to the robot, under the item's handle cap and the
//! run's spool.
//!
//! Every resource a capability returns (blob, mount, workbook, session,
//! element, response body) goes into the item's [`wasmtime::component::ResourceTable`],
//! whose capacity is `[limits] handles-per-item`. A robot that keeps opening
//! things without dropping them gets a `limit` error, audited, instead of a
//! trap or an ever-growing table; a blob is also charged to the run's spool
//! and refused (its spool file removed) when the spool is full.

use wasmtime::component::Resource;

use crate::bindings::pont::robot::types::Error;
use crate::blob::BlobEntry;
use crate::store::ItemState;

impl ItemState {
    /// Put `entry` in the item's table, or refuse it (audited) at the cap.
    pub(crate) fn keep<T: Send + 'static>(
        &mut self,
        (capability, operation): (&'static str, &str),
        entry: T,
    ) -> Result<Resource<T>, Error> {
        self.table.push(entry).map_err(|_| {
            let why = format!(
                "the item holds {} live handles already: drop some first (limits.handles-per-item)",
                self.table.max_capacity()
            );
            self.limit_refusal(capability, operation, "", why)
        })
    }

    /// [`Self::keep`] for a blob, which also holds its size of the spool.
    pub(crate) fn keep_blob(
        &mut self,
        call: (&'static str, &str),
        blob: BlobEntry,
    ) -> Result<Resource<BlobEntry>, Error> {
        let held = self.run.limits.hold_spool(blob.info().size);
        match held {
            Ok(hold) => self.keep(call, blob.with_hold(hold)),
            Err(why) => Err(self.limit_refusal(call.0, call.1, &blob.info().file_name, why)),
        }
    }

    /// Refuse before spooling a blob of `bytes` that cannot fit.
    pub(crate) fn spool_fits(&self, call: (&'static str, &str), bytes: u64) -> Result<(), Error> {
        if bytes <= self.run.limits.spool_room() {
            return Ok(());
        }
        let why = self.run.limits.spool_full(bytes);
        Err(self.limit_refusal(call.0, call.1, "", why))
    }

    /// An audited `limit` refusal of `capability.operation` on `target`.
    pub(crate) fn limit_refusal(
        &self,
        capability: &'static str,
        operation: &str,
        target: &str,
        why: String,
    ) -> Error {
        let d = self
            .run
            .gate
            .refuse_at_limit(self.item, capability, operation, target, why);
        Error::Limit(d.reason)
    }
}

/// The text of a capability error, for interfaces with their own error type.
pub(crate) fn error_text(e: &Error) -> String {
    match e {
        Error::Denied(t)
        | Error::Unsupported(t)
        | Error::NotFound(t)
        | Error::Invalid(t)
        | Error::Limit(t)
        | Error::Unavailable(t) => t.clone(),
    }
}
