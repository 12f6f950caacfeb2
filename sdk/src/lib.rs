//! # pont-sdk: write Pont robots in Rust
//!
//! A Pont robot is a WebAssembly component that the `pont` host runs in a
//! sandbox. The host hands it dossiers one at a time and offers capabilities
//! (the DS API, files, spreadsheets, browser sessions, HTTP, a log and a
//! key-value state store) through the policy gate: the robot can use only what
//! its manifest (`pont.toml`) requests and its operator granted.
//!
//! A robot is a type implementing [`Robot`], exported with [`export!`]:
//!
//! ```no_run
//! use pont_sdk::{Failure, Item, Outcome, Robot, Settings, log, state};
//!
//! #[derive(Default)]
//! struct Greeter {
//!     greeting: String,
//! }
//!
//! impl Robot for Greeter {
//!     fn init(settings: Settings) -> Result<Self, String> {
//!         Ok(Self { greeting: settings.get_or("greeting", "Bonjour").to_string() })
//!     }
//!
//!     fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
//!         let seen = state::increment("greeted").map_err(pont_sdk::system("state"))?;
//!         log::info(&format!("{} dossier {}", self.greeting, item.number));
//!         Ok(Outcome::Done(format!("greeted ({seen} so far)")))
//!     }
//! }
//!
//! pont_sdk::export!(Greeter);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` in a crate of
//! type `cdylib`, write its `pont.toml`, and run it with `pont run`.
//!
//! ## What to know
//! - **One instance per item.** Each dossier runs in a fresh instance: `init`
//!   runs, then `process`. Memory does not carry over between items; use
//!   [`state`] for what must (counters, cursors, caches).
//! - **Denial is a value.** A call the gate refuses returns an error
//!   (`Error::Denied`, `DsError::Denied`); it never traps. Decide what to do:
//!   usually a [`Failure::Business`] or [`Outcome::NeedsReview`].
//! - **Failures.** [`Failure::Business`] means the dossier itself is the
//!   problem (not retried). [`Failure::System`] means an application failed
//!   (retried with backoff, then sent to review). A panic is a system failure.
//!   [`ds_failure`] and [`system`] turn an error into either, in a `map_err`.
//! - **Secrets** are never given to the robot: name them (`fill-secret`,
//!   secret headers) and the host uses them.
//! - **Reading dossiers.** [`Item::load_dossier`] gives the item's dossier;
//!   `Dossier::champ_labelled` / `annotation_labelled` find champs by the
//!   label the form shows, `annotation_input` builds what
//!   `ds::modifier_annotations` takes, and `ChampValue::as_text`,
//!   `as_number` and `files` read values without a `match`. [`today`] dates
//!   reports.
//! - **Already so is done.** `Dossier::ensure_en_instruction`,
//!   [`ds::ensure_label`] and [`ds::ensure_no_label`] succeed when DS is
//!   already as asked.
//! - **Waiting is not failing.** [`wait_for`] ends the item with
//!   [`Outcome::Waiting`]: the host feeds it again later, and no attempt is
//!   used.
//! - **Not twice.** The host keeps DS mutations from repeating on retries;
//!   a robot that submits to a third-party application should store what
//!   the application answered (a reference) in [`state`] at once, and check
//!   it first on the next attempt (see `plugins/chorus-paiement`).

#![deny(missing_docs)]

/// The raw bindings generated from the `pont:robot` WIT package. Prefer the
/// re-exports and helpers at the crate root.
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "pont:robot/robot",
        pub_export_macro: true,
        export_macro_name: "__export_robot_world",
        default_bindings_module: "pont_sdk::bindings",
    });
}

mod approval;
mod dossier;
mod ensure;
mod failure;
mod robot;
mod settings;
mod wait;

pub use approval::{Decided, decided};
pub use bindings::pont::robot::runner::{Failure, Item, Outcome, RunSummary, Wait};
pub use bindings::pont::robot::types::{Blob, BlobInfo, Error, Provenance};
pub use dossier::{now, today};
pub use failure::{ds_failure, system};
pub use robot::Robot;
pub use settings::Settings;
pub use wait::{wait_for, wait_until_ms};

/// The DS capability: démarches, dossiers, state changes, messages,
/// annotations, labels and attachments. See the WIT `ds` interface. Beside
/// the raw calls, [`ensure_label`](ds::ensure_label) and
/// [`ensure_no_label`](ds::ensure_no_label) treat "already so" as done.
pub mod ds {
    pub use crate::bindings::pont::robot::ds::*;
    pub use crate::ensure::{ensure_label, ensure_no_label};
}

pub mod browser;
pub mod files;
pub mod http;
pub mod log;
pub mod sheets;
pub mod state;

#[doc(hidden)]
pub mod __private {
    pub use crate::robot::{finish, init, process};
}
