//! The web console of `pont serve` (DESIGN §7): pages in French for the
//! operators and agents who supervise robots, served as plain HTML that
//! works without JavaScript.
//!
//! - the dashboard: each robot's last run and its result, its next run,
//!   whether one is going, its waiting dossiers, its review queue and its
//!   budget use in the last run;
//! - a run: its items and outcomes, its egress ledger, its log lines;
//! - a dossier's history: its episodes, attempts, DS mutations and evidence;
//! - the review queue, where an agent retries a dossier or dismisses it with
//!   a reason (the same decisions as `pont review`, from
//!   [`pont_runtime::review`], audited in the robot's audit file with the
//!   agent's name);
//! - a robot's proposals (`[approval] required`): the DS decisions it may
//!   only propose, which an agent approves, rejects with a reason, or
//!   approves with their own motivation ([`pont_runtime::approval`], as
//!   `pont review approve|reject`, audited with the agent's name); what is
//!   approved is sent at once, as the agent's DS instructeur when their
//!   account names one ([`accounts`]);
//! - the verification status of every audit file (`pont audit verify`'s).
//!
//! Agents log in with local accounts ([`accounts`], `pont user add`).
//! Sessions live in a server-side table ([`session`]) behind an HttpOnly,
//! SameSite=Strict cookie, `Secure` unless the service listens on loopback;
//! every form carries a CSRF token, and a POST without the right one is
//! refused with 403 before anything else is read. Logins, refused ones
//! included, are audited in the console's own audit file.
//!
//! [`router`] is independent of the service: it takes a [`ConsoleState`]
//! built from the accounts file, the robots, and a [`ServiceView`] for what
//! only the service knows. Every address is under [`PREFIX`], so the
//! service merges it beside its own routes.
//!
//! Decisions taken here: all accounts are equal (no roles yet); a retry
//! puts the dossier back in the queue with fresh attempts and asks the
//! service for a run ([`ServiceView::request_run`]), where `pont review
//! retry` runs it at once; evidence files are listed (name, size, SHA-256),
//! not served; times are shown in UTC. A proposal shows what the journal
//! has of its dossier (number, démarche, state and last change as the robot
//! read them), not the applicant's name, which would take a DS call; an
//! approval is sent at once from the console, with the robot's config.

pub mod accounts;
mod audit;
mod auth;
mod pages;
pub mod session;
mod state;

use axum::Router;
use axum::routing::{get, post};

pub use state::{ConsoleError, ConsoleState, NoService, Options, RobotEntry, ServiceView};

/// Where the console's pages live.
pub const PREFIX: &str = "/console";

/// The console's routes, all under [`PREFIX`]. It has no fallback, so the
/// service can merge it with its own router (axum refuses two fallbacks).
pub fn router(state: ConsoleState) -> Router {
    let at = |path: &str| format!("{PREFIX}{path}");
    Router::new()
        .route(PREFIX, get(pages::dashboard::page))
        .route(&at("/"), get(pages::dashboard::page))
        .route(&at("/connexion"), get(auth::login_form).post(auth::login))
        .route(&at("/deconnexion"), post(auth::logout))
        .route(&at("/style.css"), get(pages::stylesheet))
        .route(&at("/audit"), get(pages::audit::page))
        .route(
            &at("/robots/{robot}/executions/{run}"),
            get(pages::run::page),
        )
        .route(
            &at("/robots/{robot}/dossiers/{number}"),
            get(pages::dossier::page),
        )
        .route(&at("/robots/{robot}/revue"), get(pages::review::page))
        .route(
            &at("/robots/{robot}/revue/{number}/relancer"),
            post(pages::review::retry),
        )
        .route(
            &at("/robots/{robot}/revue/{number}/ecarter"),
            post(pages::review::dismiss),
        )
        .route(
            &at("/robots/{robot}/propositions"),
            get(pages::approval::page),
        )
        .route(
            &at("/robots/{robot}/propositions/{id}/approuver"),
            post(pages::approval::approve),
        )
        .route(
            &at("/robots/{robot}/propositions/{id}/rejeter"),
            post(pages::approval::reject),
        )
        .route(
            &at("/robots/{robot}/propositions/{id}/modifier"),
            post(pages::approval::modify),
        )
        .layer(axum::middleware::map_response(pages::security_headers))
        .with_state(state)
}
