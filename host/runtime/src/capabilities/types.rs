//! The `blob` resource: bytes spooled by the host.

use pont_policy::Action;
use wasmtime::component::Resource;

use crate::bindings::pont::robot::types::{BlobInfo, Error, Host, HostBlob};
use crate::blob::BlobEntry;
use crate::store::ItemState;

/// Largest blob a robot may make from its own bytes.
const MAX_ROBOT_BLOB: usize = 64 * 1024 * 1024;
/// Largest read of a blob in one call.
const MAX_READ: u32 = 16 * 1024 * 1024;

impl HostBlob for ItemState {
    async fn create(
        &mut self,
        file_name: String,
        content_type: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<Resource<BlobEntry>, Error>> {
        if data.len() > MAX_ROBOT_BLOB {
            return Ok(Err(Error::Limit(format!(
                "a blob made by a robot has at most {MAX_ROBOT_BLOB} bytes"
            ))));
        }
        if file_name.len() > 255 || file_name.contains(['/', '\\', '\0']) {
            return Ok(Err(Error::Invalid(
                "a blob's file name has no path separators and at most 255 bytes".into(),
            )));
        }
        let action = Action::BlobCreate {
            name: &file_name,
            bytes: data.len() as u64,
        };
        let permit = match self.authorize(&action) {
            Ok(p) => p,
            Err(d) => return Ok(Err(Error::Denied(d.reason))),
        };
        if let Err(e) = self.spool_fits(("blob", "create"), data.len() as u64) {
            return Ok(Err(e));
        }
        let entry = match BlobEntry::from_robot(&self.run.spool, &permit, &content_type, &data) {
            Ok(e) => e,
            Err(e) => {
                return Ok(Err(Error::Unavailable(format!(
                    "cannot spool the blob: {e}"
                ))));
            }
        };
        Ok(self.keep_blob(("blob", "create"), entry))
    }

    async fn info(&mut self, blob: Resource<BlobEntry>) -> wasmtime::Result<BlobInfo> {
        Ok(self.table.get(&blob)?.info().clone())
    }

    async fn read(
        &mut self,
        blob: Resource<BlobEntry>,
        offset: u64,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, Error>> {
        let entry = self.table.get(&blob)?;
        Ok(entry
            .read(offset, len.min(MAX_READ))
            .map_err(|e| Error::Unavailable(format!("cannot read the blob: {e}"))))
    }

    async fn drop(&mut self, blob: Resource<BlobEntry>) -> wasmtime::Result<()> {
        self.table.delete(blob)?;
        Ok(())
    }
}

impl Host for ItemState {}

/// The `runner` interface only holds types.
impl crate::bindings::pont::robot::runner::Host for ItemState {}
