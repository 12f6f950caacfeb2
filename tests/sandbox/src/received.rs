//! Request bodies as the simulator received them, so a test can hold a
//! client's egress ledger against what the server really saw: each GraphQL
//! POST (by its `operationName`) and each storage upload (`upload`).

use std::sync::Mutex;

/// Most bodies kept: a runaway client cannot grow the log without bound.
const MAX_KEPT: usize = 100_000;

/// One request body received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedBody {
    /// The GraphQL `operationName` (empty when missing), or `upload`.
    pub operation: String,
    /// Bytes of the body.
    pub bytes: u64,
}

/// The log of bodies received, in order.
#[derive(Debug, Default)]
pub struct Received(Mutex<Vec<ReceivedBody>>);

impl Received {
    pub(crate) fn note(&self, operation: &str, bytes: usize) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() < MAX_KEPT {
            log.push(ReceivedBody {
                operation: operation.to_owned(),
                bytes: bytes as u64,
            });
        }
    }

    /// Every body received so far.
    pub fn all(&self) -> Vec<ReceivedBody> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The `operationName` of a GraphQL body, if it has one.
pub(crate) fn operation_name(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(rename = "operationName")]
        operation_name: Option<String>,
    }
    serde_json::from_slice::<Named>(body)
        .ok()
        .and_then(|n| n.operation_name)
        .unwrap_or_default()
}
