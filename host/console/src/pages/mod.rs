//! Rendering: the templates (minijinja, every value HTML-escaped whatever
//! its source: a journal, a robot, DS), the French labels of statuses, the
//! error pages and the headers every response carries.

pub(crate) mod approval;
pub(crate) mod audit;
pub(crate) mod dashboard;
pub(crate) mod dossier;
pub(crate) mod review;
pub(crate) mod run;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, Value, context};

use pont_runtime::journal::Journal;

use crate::auth::Agent;
use crate::state::{ConsoleState, RobotEntry, human_duration};

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("run.html", include_str!("../../templates/run.html")),
    ("dossier.html", include_str!("../../templates/dossier.html")),
    ("review.html", include_str!("../../templates/review.html")),
    (
        "approval.html",
        include_str!("../../templates/approval.html"),
    ),
    ("audit.html", include_str!("../../templates/audit.html")),
    ("error.html", include_str!("../../templates/error.html")),
];

const STYLESHEET: &str = include_str!("../../templates/style.css");

/// The templates, with autoescaping forced on for all of them.
pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary: a broken one is a bug
            // the tests catch, and the page then says so.
            tracing::error!("template {name}: {e}");
        }
    }
    env.add_filter("statut", |s: String| status_label(&s).to_string());
    env.add_filter("duree", human_duration);
    env.add_filter("octets", bytes_label);
    env.add_filter("heure", |t: String| time_label(&t));
    env.add_filter("proposition", |s: String| {
        approval::status_fr(&s).to_string()
    });
    env.add_filter("verdict", |s: Option<String>| verdict_label(s.as_deref()));
    env.add_filter("etat_ds", |s: String| ds_state_label(&s).to_string());
    env.add_filter("action", |s: String| action_label(&s).to_string());
    env
}

/// French for the statuses of runs, items and queue rows.
pub(crate) fn status_label(s: &str) -> &str {
    match s {
        "done" => "traité",
        "skipped" => "ignoré",
        "needs-review" | "review" => "à revoir",
        "failed" => "échec",
        "business" => "échec métier",
        "system" => "échec système",
        "waiting" => "en attente",
        "pending" => "à traiter",
        "retry" => "à réessayer",
        "running" => "en cours",
        "dismissed" => "écarté",
        "finished" => "terminée",
        "interrupted" => "interrompue",
        "stopped" => "arrêtée",
        "intent" => "envoi en cours ou inconnu",
        "applied" => "appliquée",
        other => other,
    }
}

/// French for an agent's verdict on a proposal.
fn verdict_label(v: Option<&str>) -> String {
    match v {
        Some("approve") => "approuvée",
        Some("reject") => "rejetée",
        Some("modify") => "approuvée avec la motivation de l’agent",
        Some(other) => other,
        None => "–",
    }
    .to_string()
}

/// French for a DS decision a robot proposed (the config's spelling).
fn action_label(s: &str) -> &str {
    match s {
        "classer-sans-suite" => "classer sans suite",
        "message" => "message à l’usager",
        other => other,
    }
}

/// French for a DS dossier state, as DS's pages say it.
fn ds_state_label(s: &str) -> &str {
    match s {
        "en_construction" => "en construction",
        "en_instruction" => "en instruction",
        "accepte" => "accepté",
        "refuse" => "refusé",
        "sans_suite" => "classé sans suite",
        other => other,
    }
}

fn bytes_label(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} o"),
        n if n < 1024 * 1024 => format!("{:.1} Kio", n as f64 / 1024.0),
        n if n < 1024 * 1024 * 1024 => format!("{:.1} Mio", n as f64 / 1048576.0),
        n => format!("{:.1} Gio", n as f64 / 1073741824.0),
    }
}

/// `2026-12-01T18:49:06.123Z` → `01/12/2026 18:49:06 UTC`; anything else as is.
fn time_label(t: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(t) => t.to_utc().format("%d/%m/%Y %H:%M:%S UTC").to_string(),
        Err(_) => t.to_string(),
    }
}

/// Who a page is rendered for: the header's account name and logout form.
pub(crate) struct Page<'a> {
    agent: Option<&'a str>,
    csrf: &'a str,
}

impl<'a> Page<'a> {
    pub fn for_agent(agent: &'a Agent) -> Self {
        Self {
            agent: Some(&agent.name),
            csrf: &agent.session.csrf,
        }
    }

    pub fn anonymous(csrf: &'a str) -> Self {
        Self { agent: None, csrf }
    }

    pub fn render(&self, state: &ConsoleState, template: &str, ctx: Value) -> Response {
        let ctx = context! { agent => self.agent, csrf => self.csrf, ..ctx };
        let rendered = state
            .inner
            .templates
            .get_template(template)
            .and_then(|t| t.render(ctx));
        match rendered {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!("template {template}: {e:#}");
                plain_error(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

fn plain_error(status: StatusCode) -> Response {
    (status, "Erreur interne de la console.").into_response()
}

/// An error page.
pub(crate) fn error(state: &ConsoleState, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Page introuvable",
        StatusCode::FORBIDDEN => "Requête refusée",
        StatusCode::BAD_REQUEST => "Requête invalide",
        StatusCode::SERVICE_UNAVAILABLE => "Console occupée",
        _ => "Erreur",
    };
    let ctx = context! { title => title, message => message };
    let mut r = Page::anonymous("").render(state, "error.html", ctx);
    *r.status_mut() = status;
    r
}

pub(crate) fn forbidden(state: &ConsoleState) -> Response {
    error(
        state,
        StatusCode::FORBIDDEN,
        "Cette requête ne porte pas le jeton de formulaire de votre session, ou votre session a expiré. Rechargez la page et recommencez.",
    )
}

pub(crate) fn not_found(state: &ConsoleState) -> Response {
    error(state, StatusCode::NOT_FOUND, "Cette page n’existe pas.")
}

pub(crate) fn busy(state: &ConsoleState) -> Response {
    error(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Trop de sessions sont ouvertes ; réessayez dans quelques minutes.",
    )
}

/// A failure reading a journal or an audit file: logged, and a page that
/// says so without the details.
pub(crate) fn internal(state: &ConsoleState, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!("{what}: {e}");
    error(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Les données de ce robot ne peuvent pas être lues ; le journal du service en dit plus.",
    )
}

/// Run blocking journal work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &ConsoleState,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(state, "journal", e)),
        Err(e) => Err(internal(state, "journal task", e)),
    }
}

/// Read the robot's journal off the async threads: `Ok(None)` when the
/// robot never ran (the console never creates a journal), a page saying
/// the data cannot be read when it fails.
pub(crate) async fn with_journal<T: Send + 'static>(
    state: &ConsoleState,
    robot: RobotEntry,
    f: impl FnOnce(&Journal, &RobotEntry) -> rusqlite::Result<T> + Send + 'static,
) -> Result<Option<T>, Response> {
    let s = state.clone();
    blocking(state, move || {
        let journal = s.journal(&robot).map_err(|e| e.to_string())?;
        journal
            .map(|j| f(&j, &robot))
            .transpose()
            .map_err(|e| e.to_string())
    })
    .await
}

/// Headers on every console response: no caching of pages holding
/// dossier data, no framing, no scripts at all, no referrer.
pub(crate) async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

pub(crate) async fn stylesheet() -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
        (header::CACHE_CONTROL, "max-age=3600"),
    ];
    (headers, STYLESHEET).into_response()
}
