//! Interfaces declared in the WIT package whose host side is not built yet
//! (today: `http`; `browser` lives in `capabilities::browser`).
//! They answer `unsupported` (a value, never a trap), and the gate audits each
//! call as denied, so a robot written against them today fails cleanly.

use pont_policy::Action;
use wasmtime::component::Resource;

use crate::bindings::pont::robot::http::{self, Request, Response};
use crate::bindings::pont::robot::types::Error;
use crate::blob::BlobEntry;
use crate::store::ItemState;

type Res<T> = wasmtime::Result<Result<T, Error>>;

impl ItemState {
    /// Audit the call as refused and say why.
    fn unsupported_reason(&self, capability: &str, operation: &str) -> String {
        match self.authorize(&Action::Unsupported {
            capability,
            operation,
        }) {
            Ok(_) => format!("`{capability}.{operation}` is not supported by this host"),
            Err(denied) => denied.reason,
        }
    }

    fn unsupported<T>(&self, capability: &str, operation: &str) -> Res<T> {
        Ok(Err(Error::Unsupported(
            self.unsupported_reason(capability, operation),
        )))
    }
}

impl http::Host for ItemState {
    async fn send(&mut self, _: Request) -> Res<Response> {
        self.unsupported("http", "send")
    }
    async fn send_to_blob(&mut self, _: Request) -> Res<(u16, Resource<BlobEntry>)> {
        self.unsupported("http", "send-to-blob")
    }
}
