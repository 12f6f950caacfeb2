//! The guide's two measuring tools, as a pure library for the `pont` CLI and
//! for embedders.
//!
//! The DS-Interop guide recommends evaluating a use case before building a
//! robot (an opportunity grid scored out of 37) and measuring the benefits
//! once it runs (a KPI table per robot). [`assess`] implements the first,
//! [`kpi`] the second. Neither touches wasmtime or the journal: the host
//! reads its journal and hands plain values to [`kpi`], which keeps both easy
//! to test and to reuse.

pub mod approvals;
pub mod assess;
pub mod kpi;
