//! Browser sessions on a locked-down Chromium (DESIGN §4 `browser`, §5.6).
//!
//! The host, not the robot, starts the browser: [`Browser::launch`] runs chromedriver, and
//! [`Browser::open_session`] a headless Chromium with a fresh profile, no background
//! networking, downloads into a host spool, and every request, loopback included, sent through
//! a filtering [`Proxy`] that asks the host's [`OriginPolicy`] about each origin. So even a
//! page's own JavaScript cannot reach an origin the operator did not grant, and the host gets
//! per-origin byte counts ([`ProxyEvent`]) for its egress ledger.
//!
//! Robots drive pages through strict [`Locator`]s (one match or an error) and a few
//! [`Element`] actions; they cannot run scripts.
//!
//! This crate knows nothing of wasmtime: the host adapts it to the WIT interface and plugs its
//! gate in as the [`OriginPolicy`]. Every session operation takes the gate's
//! [`pont_policy::Permit`] for it (see the `permit` module's doc tests), so driving a page
//! without a decision of the gate does not compile.

mod browser;
mod download;
mod driver;
mod element;
mod error;
mod locator;
mod origin;
mod permit;
mod procs;
mod proxy;
mod sandbox;
mod session;

pub use browser::{Browser, BrowserConfig, SessionOptions};
pub use element::{Element, TableData};
pub use error::{BrowserError, Result};
pub use locator::Locator;
pub use origin::{AllowList, Decision, Origin, OriginPolicy};
pub use proxy::{Proxy, ProxyEvent, ProxyEventSink, Stopped, Traffic};
pub use session::Session;
