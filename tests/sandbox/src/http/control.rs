//! `/__sandbox/` control endpoints (JSON): reset, seeding, faults, rate limit, URL lifetime,
//! tokens, and the mutation log and request counts that tests assert on.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::App;
use crate::attachments::AttachmentSpec;
use crate::model::FileLie;
use crate::seed::{ALL, Scenario, StateMix};
use crate::world::{Faults, TokenSpec};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/__sandbox/info", get(info))
        .route("/__sandbox/reset", post(reset))
        .route("/__sandbox/seed", post(seed))
        .route("/__sandbox/faults", get(get_faults).post(set_faults))
        .route(
            "/__sandbox/faults/virus-scan",
            post(crate::scan::http_finish),
        )
        .route("/__sandbox/rate-limit", get(get_rate).post(set_rate))
        .route("/__sandbox/url-ttl", post(set_ttl))
        .route("/__sandbox/tokens", post(add_token))
        .route("/__sandbox/attachments", post(add_attachment))
        .route("/__sandbox/mutations", get(mutations))
        .route("/__sandbox/requests", get(requests))
        .route("/__sandbox/dossiers/{number}", get(dossier))
        .route(
            "/__sandbox/dossiers/{number}/applicant",
            post(crate::applicant::http_edit),
        )
}

fn bad(msg: impl ToString) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": msg.to_string() })),
    )
        .into_response()
}

async fn info(State(app): State<App>) -> Json<serde_json::Value> {
    let st = app.world.lock();
    let demarches: Vec<_> = st
        .demarches
        .values()
        .map(|d| {
            let count = st.dossiers.range(d.number * 100_000..(d.number + 1) * 100_000).count();
            json!({
                "number": d.number, "slug": d.slug, "title": d.title, "dossiers": count,
                "groupes": d.groupes.iter().map(|g| json!({
                    "number": g.number, "label": g.label,
                    "instructeurs": g.instructeurs.iter().filter_map(|i| st.instructeurs.get(i)).map(|i| json!({
                        "id": crate::util::global_id("Instructeur", i.id), "email": i.email })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let tokens: Vec<_> = st.tokens.values().cloned().collect();
    Json(
        json!({ "demarches": demarches, "tokens": tokens, "rate_limit": st.config.rate_limit,
        "rate_window_secs": st.config.rate_window_secs, "url_ttl_secs": st.config.url_ttl_secs }),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    seed: Option<u64>,
    dossiers_per_demarche: Option<usize>,
}

async fn reset(State(app): State<App>, body: Option<Json<ResetBody>>) -> Response {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let mut config = app.world.lock().config.clone();
    if let Some(s) = b.seed {
        config.seed = s;
    }
    if let Some(n) = b.dossiers_per_demarche {
        config.dossiers_per_demarche = n.min(crate::world::MAX_DOSSIERS);
    }
    match app.world.reset(config) {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(e) => bad(e),
    }
}

/// `demarche` is a number or a robot slug; `state` puts every dossier in one state,
/// otherwise `states` gives weights.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBody {
    pub demarche: serde_json::Value,
    pub dossiers: usize,
    pub seed: Option<u64>,
    pub state: Option<String>,
    pub states: Option<StateMix>,
    #[serde(default)]
    pub deleted: usize,
    #[serde(default)]
    pub pending_deleted: usize,
}

fn demarche_number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s
            .parse()
            .ok()
            .or_else(|| ALL.iter().find(|r| r.1 == s).map(|r| r.0)),
        _ => None,
    }
}

async fn seed(State(app): State<App>, Json(b): Json<SeedBody>) -> Response {
    let Some(demarche) = demarche_number(&b.demarche) else {
        return bad("unknown démarche");
    };
    let states = match (b.state.as_deref(), b.states) {
        (Some(s), _) => match crate::model::State::parse(s) {
            Some(st) => StateMix::only(st),
            None => return bad(format!("unknown state {s}")),
        },
        (None, Some(m)) => m,
        (None, None) => StateMix::default(),
    };
    let seed = b.seed.unwrap_or_else(|| app.world.lock().config.seed);
    let sc = Scenario {
        demarche,
        dossiers: b.dossiers,
        seed,
        states,
        deleted: b.deleted.min(10_000),
        pending_deleted: b.pending_deleted,
    };
    match app.world.seed_scenario(&sc) {
        Ok(n) => Json(json!({ "demarche": demarche, "dossiers": n })).into_response(),
        Err(e) => bad(e),
    }
}

async fn get_faults(State(app): State<App>) -> Json<Faults> {
    Json(app.world.lock().faults.clone())
}

async fn set_faults(State(app): State<App>, Json(f): Json<Faults>) -> Json<Faults> {
    app.world.set_faults(f.clone());
    Json(f)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateBody {
    limit: u32,
    window_secs: Option<u64>,
}

async fn get_rate(State(app): State<App>) -> Json<serde_json::Value> {
    let st = app.world.lock();
    Json(json!({ "limit": st.config.rate_limit, "window_secs": st.config.rate_window_secs }))
}

async fn set_rate(State(app): State<App>, Json(b): Json<RateBody>) -> Json<serde_json::Value> {
    app.world
        .set_rate_limit(b.limit, b.window_secs.unwrap_or(60));
    get_rate(State(app)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TtlBody {
    secs: u64,
}

async fn set_ttl(State(app): State<App>, Json(b): Json<TtlBody>) -> Json<serde_json::Value> {
    app.world.set_url_ttl(b.secs);
    Json(json!({ "url_ttl_secs": b.secs }))
}

async fn add_token(State(app): State<App>, Json(t): Json<TokenSpec>) -> Json<TokenSpec> {
    app.world.upsert_token(t.clone());
    Json(t)
}

/// `{dossier, size?, corrupt?, filename?, declared_size?, hide_length?}`; `size` defaults to
/// 200 MiB. The last two misdescribe the file ([`FileLie`]), for hostile-DS tests.
async fn add_attachment(State(app): State<App>, Json(body): Json<serde_json::Value>) -> Response {
    let (spec, lie) = match split_lie(body) {
        Ok(parts) => parts,
        Err(e) => return bad(e),
    };
    match app.world.attach_lying(&spec, lie) {
        Ok(id) => Json(json!({ "file_id": id })).into_response(),
        Err(e) => bad(e),
    }
}

/// Takes the [`FileLie`] keys out of an attachment body, so [`AttachmentSpec`] keeps its
/// shape (and its strict field check) for the rest.
fn split_lie(mut body: serde_json::Value) -> serde_json::Result<(AttachmentSpec, FileLie)> {
    let mut lie = serde_json::Map::new();
    if let Some(obj) = body.as_object_mut() {
        for key in ["declared_size", "hide_length"] {
            if let Some(v) = obj.remove(key) {
                lie.insert(key.to_owned(), v);
            }
        }
    }
    let lie = serde_json::from_value(serde_json::Value::Object(lie))?;
    Ok((serde_json::from_value(body)?, lie))
}

async fn mutations(State(app): State<App>) -> Json<serde_json::Value> {
    Json(json!({ "mutations": app.world.mutation_log() }))
}

async fn requests(State(app): State<App>) -> Json<serde_json::Value> {
    Json(json!({ "requests": app.world.request_counts() }))
}

async fn dossier(State(app): State<App>, Path(number): Path<i64>) -> Response {
    match app.world.dossier(number) {
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": "unknown dossier" }))).into_response(),
        Some(d) => Json(json!({
            "number": d.number, "demarche": d.demarche, "state": d.state.as_str(), "archived": d.archived,
            "labels": d.labels, "messages": d.messages.len(), "motivation": d.motivation,
            "justificatif": d.justificatif.as_ref().map(|f| f.filename.clone()),
            "hidden": d.hidden_at.is_some(), "groupe": d.groupe,
        }))
        .into_response(),
    }
}
