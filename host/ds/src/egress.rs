//! Counting what the client sends, before it sends it.
//!
//! A caller that owes someone an account of its egress (Pont's budgets and
//! ledger) hands the client an [`EgressMeter`] with [`DsClient::metered`].
//! Every GraphQL request body (each attempt, retries included) and every
//! uploaded file is then shown to the meter with its exact size just before
//! it leaves; a meter that refuses stops the request, and nothing of it is
//! sent. Request lines and headers (the bearer token) are not counted: the
//! robot does not choose them.

use std::fmt;
use std::sync::Arc;

use crate::client::DsClient;
use crate::error::DsError;

/// Sees each request body before it leaves.
pub trait EgressMeter: Send + Sync {
    /// `bytes` are about to be sent for `operation` (a GraphQL operation
    /// name, or `upload` for a file's bytes). `Err(reason)` refuses them.
    fn sending(&self, operation: &str, bytes: u64) -> Result<(), String>;
}

/// The meter of one client handle, if any.
#[derive(Clone, Default)]
pub(crate) struct Metering(Option<Arc<dyn EgressMeter>>);

impl fmt::Debug for Metering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "metered"
        } else {
            "unmetered"
        })
    }
}

impl Metering {
    /// Ask the meter; a refusal is [`DsError::Denied`].
    pub(crate) fn check(&self, operation: &str, bytes: u64) -> Result<(), DsError> {
        match &self.0 {
            Some(m) => m.sending(operation, bytes).map_err(DsError::Denied),
            None => Ok(()),
        }
    }
}

impl DsClient {
    /// This client (same connection pool and rate limiter) with every
    /// request body and upload counted by `meter` before it is sent.
    pub fn metered(&self, meter: Arc<dyn EgressMeter>) -> DsClient {
        DsClient {
            inner: self.inner.clone(),
            metering: Metering(Some(meter)),
        }
    }
}
