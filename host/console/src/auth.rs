//! The door: the session cookie, the extractors that say who is asking
//! ([`Visit`], [`Agent`]) and check a form's CSRF token ([`CsrfForm`]), and
//! the login and logout handlers.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::PREFIX;
use crate::accounts::{self, MAX_NAME_CHARS};
use crate::audit::Door;
use crate::pages::{self, Page};
use crate::session::Current;
use crate::state::ConsoleState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "pont_console";
/// The largest form body read: an agent's motivation is the longest field
/// (10 000 bytes, up to three times that once URL-encoded).
const FORM_LIMIT: usize = 64 * 1024;

/// The session a request comes with, if it names a live one.
pub(crate) struct Visit(pub Option<Current>);

impl FromRequestParts<ConsoleState> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let sessions = &state.inner.sessions;
        let found = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == COOKIE)
            .find_map(|c| sessions.get(c.value()));
        Ok(Self(found))
    }
}

/// A logged-in agent. Without one, a page asks to log in (303 to the
/// login form) and any other request is refused (403).
pub(crate) struct Agent {
    pub name: String,
    pub session: Current,
}

impl FromRequestParts<ConsoleState> for Agent {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(Visit(session)) = Visit::from_request_parts(parts, state).await;
        match session {
            Some(s) if s.user.is_some() => Ok(Self {
                name: s.user.clone().unwrap_or_default(),
                session: s,
            }),
            _ if parts.method == Method::GET || parts.method == Method::HEAD => {
                Err(Redirect::to(&format!("{PREFIX}/connexion")).into_response())
            }
            _ => Err(pages::forbidden(state)),
        }
    }
}

/// A form whose CSRF token (`csrf`) is its session's. The token is checked
/// on the raw body before the form is parsed, so a request without it or
/// with a wrong one is a 403 whatever else it holds or lacks.
pub(crate) struct CsrfForm<T> {
    pub session: Current,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<ConsoleState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &ConsoleState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Ok(Visit(session)) = Visit::from_request_parts(&mut parts, state).await;
        let Some(session) = session else {
            return Err(pages::forbidden(state));
        };
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return Err(pages::error(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Formulaire trop long (64 Kio au plus) : raccourcissez le motif ou la motivation.",
            ));
        };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        if !session.csrf_matches(token.unwrap_or("")) {
            return Err(pages::forbidden(state));
        }
        match serde_urlencoded::from_bytes(&bytes) {
            Ok(form) => Ok(Self { session, form }),
            Err(_) => Err(pages::error(
                state,
                StatusCode::BAD_REQUEST,
                "Formulaire illisible.",
            )),
        }
    }
}

/// The `Set-Cookie` value for session `id` (an empty id clears it).
fn cookie(state: &ConsoleState, id: &str) -> HeaderValue {
    let mut c = Cookie::build((COOKIE, id.to_string()))
        .path(PREFIX)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.inner.secure_cookies)
        .build();
    if id.is_empty() {
        c.make_removal();
    }
    HeaderValue::from_str(&c.to_string()).unwrap_or(HeaderValue::from_static(""))
}

fn with_cookie(mut response: Response, value: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, value);
    response
}

fn dashboard() -> Response {
    Redirect::to(&format!("{PREFIX}/")).into_response()
}

/// The login form, with an anonymous session for its CSRF token.
pub(crate) async fn login_form(
    state: axum::extract::State<ConsoleState>,
    visit: Visit,
) -> Response {
    let state = state.0;
    match visit.0 {
        Some(s) if s.user.is_some() => dashboard(),
        Some(s) => login_page(&state, &s.csrf, None, StatusCode::OK),
        None => {
            let Some((id, s)) = state.inner.sessions.create(None) else {
                return pages::busy(&state);
            };
            let page = login_page(&state, &s.csrf, None, StatusCode::OK);
            with_cookie(page, cookie(&state, &id))
        }
    }
}

fn login_page(
    state: &ConsoleState,
    csrf: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let ctx = minijinja::context! { csrf => csrf, error => error };
    let mut r = Page::anonymous(csrf).render(state, "login.html", ctx);
    *r.status_mut() = status;
    r
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginForm {
    nom: String,
    mot_de_passe: String,
}

/// How a login attempt ended.
enum Verdict {
    Ok,
    Refused(&'static str),
}

/// Check the password off the async threads, at most two at once; an
/// unknown account costs the same as a wrong password, so the time taken
/// does not tell which names exist.
async fn check(state: &ConsoleState, name: String, password: String) -> Result<Verdict, String> {
    if !accounts::valid_name(&name) {
        return Ok(Verdict::Refused("not a valid account name"));
    }
    if password.len() > accounts::MAX_PASSWORD_BYTES {
        return Ok(Verdict::Refused("password too long"));
    }
    let _permit = state
        .inner
        .logins
        .acquire()
        .await
        .map_err(|e| e.to_string())?;
    let accounts = state.inner.accounts.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        let account = accounts.find(&name).map_err(|e| e.to_string())?;
        let hash = account
            .as_ref()
            .map_or_else(|| dummy_hash().to_string(), |a| a.hash.clone());
        let matches = accounts::verify_password(&hash, &password);
        Ok::<_, String>(match (account, matches) {
            (Some(_), true) => Verdict::Ok,
            (Some(_), false) => Verdict::Refused("wrong password"),
            (None, _) => Verdict::Refused("no such account"),
        })
    });
    verdict.await.map_err(|e| e.to_string())?
}

/// A hash no password matches, for unknown accounts (made once).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        accounts::hash_password(&crate::session::random_token()).unwrap_or_default()
    })
}

/// The account name as recorded: what was typed, bounded.
fn typed_name(name: &str) -> String {
    name.chars().take(MAX_NAME_CHARS + 1).collect()
}

pub(crate) async fn login(
    state: axum::extract::State<ConsoleState>,
    CsrfForm { session, form }: CsrfForm<LoginForm>,
) -> Response {
    let state = state.0;
    if session.user.is_some() {
        return dashboard();
    }
    let name = typed_name(form.nom.trim());
    let verdict = match check(&state, name.clone(), form.mot_de_passe).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!("login: cannot check the password: {e}");
            return pages::error(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Les comptes ne peuvent pas être lus.",
            );
        }
    };
    match verdict {
        Verdict::Ok => logged_in(&state, &session, &name),
        Verdict::Refused(why) => {
            if let Err(e) = state.inner.audit.record(&name, Door::Refused(why)) {
                tracing::error!("login: {e}");
                return pages::error(
                    &state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Le journal d’audit ne peut pas être écrit.",
                );
            }
            let message = "Nom de compte ou mot de passe incorrect.";
            login_page(
                &state,
                &session.csrf,
                Some(message),
                StatusCode::UNAUTHORIZED,
            )
        }
    }
}

/// Audit the login first (an unaudited login does not happen), then
/// replace the anonymous session with a new one for the account.
fn logged_in(state: &ConsoleState, anonymous: &Current, name: &str) -> Response {
    if let Err(e) = state.inner.audit.record(name, Door::LoggedIn) {
        tracing::error!("login: {e}");
        return pages::error(
            state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Le journal d’audit ne peut pas être écrit.",
        );
    }
    state.inner.sessions.remove(anonymous);
    let Some((id, _)) = state.inner.sessions.create(Some(name.to_string())) else {
        return pages::busy(state);
    };
    with_cookie(dashboard(), cookie(state, &id))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Empty {}

pub(crate) async fn logout(
    state: axum::extract::State<ConsoleState>,
    CsrfForm { session, .. }: CsrfForm<Empty>,
) -> Response {
    let state = state.0;
    if let Some(name) = &session.user
        && let Err(e) = state.inner.audit.record(name, Door::LoggedOut)
    {
        tracing::warn!("logout: {e}");
    }
    state.inner.sessions.remove(&session);
    let to_login = Redirect::to(&format!("{PREFIX}/connexion")).into_response();
    with_cookie(to_login, cookie(&state, ""))
}
