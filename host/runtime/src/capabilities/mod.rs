//! The capability glue: each WIT interface implemented on the item's Store
//! data, each call asking the gate first.

pub(crate) mod browser;
pub(crate) mod ds;
pub(crate) mod files;
pub(crate) mod handles;
pub(crate) mod http;
mod log;
pub(crate) mod sheets;
mod state;
mod types;
