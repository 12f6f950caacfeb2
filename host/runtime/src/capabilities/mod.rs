//! The capability glue: each WIT interface implemented on the item's Store
//! data, each call asking the gate first.

pub(crate) mod ds;
mod log;
mod state;
mod types;
pub(crate) mod unsupported;
