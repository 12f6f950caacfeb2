//! What DS really sends that a well-behaved simulator would not, as fault
//! controls (`/__sandbox/faults`), so clients can be tested against it:
//!
//! - **timeout with partial data** ([`Faults::slow_dossier_ms`]): each dossier a query
//!   resolves costs that long; once the cost passes [`Faults::timeout_ms`] (DS: 30 s), the
//!   remaining dossiers' fields answer `{"message": "Timeout on Dossier.<field>",
//!   "extensions": {"code": "timeout"}}` and those dossiers come back null, as graphql-ruby's
//!   `Timeout` does. The answer is delayed by the cost (at most the timeout), so a page of
//!   100 can time out where one of 25 does not.
//! - **`invalid_null`** ([`Faults::invalid_null`]): a chosen dossier's `usager` resolves to
//!   null (see [`invalid_null`]); the dossier is null in its page, the others are served.
//! - **expired file URLs** ([`Faults::expired_urls`]): the next downloads answer 401.
//! - **values added after this schema** ([`Faults::new_values`]): one dossier's `state`
//!   and the `__typename` of its first champ are rewritten in the answer.
//!
//! [`Faults::slow_dossier_ms`]: crate::world::Faults::slow_dossier_ms
//! [`Faults::timeout_ms`]: crate::world::Faults::timeout_ms
//! [`Faults::invalid_null`]: crate::world::Faults::invalid_null
//! [`Faults::expired_urls`]: crate::world::Faults::expired_urls
//! [`Faults::new_values`]: crate::world::Faults::new_values

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{
    ErrorExtensions, Name, PathSegment, Response, ServerError, ServerResult, Value,
};
use serde::{Deserialize, Serialize};

use crate::world::World;

/// DS's query timeout.
const DS_TIMEOUT_MS: u64 = 30_000;

/// Enum values DS may add after this schema, sent for one dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewValues {
    /// The dossier whose answer carries them.
    pub dossier: i64,
    /// Sent as its `state` (e.g. `"en_attente"`).
    pub state: Option<String>,
    /// Sent as the `__typename` of its first champ (e.g. `"NouveauChamp"`).
    pub champ_type: Option<String>,
}

/// The `invalid_null` error for `field` of dossier `number` when the fault names it.
pub fn invalid_null(world: &World, number: i64, field: &str) -> async_graphql::Result<()> {
    if !world.lock().faults.invalid_null.contains(&number) {
        return Ok(());
    }
    let code = "invalid_null";
    Err(
        async_graphql::Error::new(format!("Cannot return null for non-nullable field {field}"))
            .extend_with(move |_, e| e.set("code", code)),
    )
}

impl World {
    /// Whether this download is to answer 401 as expired (counts [`expired_urls`] down).
    ///
    /// [`expired_urls`]: crate::world::Faults::expired_urls
    pub fn take_expired_url(&self) -> bool {
        let mut st = self.lock();
        let left = &mut st.faults.expired_urls;
        let expire = *left > 0;
        *left = left.saturating_sub(1);
        expire
    }
}

/// The per-request faults of a GraphQL answer: timeout and new values.
#[derive(Debug, Default)]
pub struct Fidelity;

impl ExtensionFactory for Fidelity {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Request::default())
    }
}

/// The faults in force for one request, read once when it starts.
#[derive(Debug, Default)]
struct Settings {
    slow_ms: u64,
    timeout_ms: u64,
    new_values: Option<NewValues>,
}

/// One request: the simulated cost so far and the dossiers it was charged for.
#[derive(Debug, Default)]
struct Request {
    settings: OnceLock<Settings>,
    /// The cost so far, and for each dossier charged whether it fit in the timeout.
    cost: Mutex<(u64, HashMap<String, bool>)>,
}

impl Request {
    fn settings(&self) -> &Settings {
        self.settings.get_or_init(Settings::default)
    }

    /// Charges the dossier at `path` once; whether it came past the timeout (a dossier
    /// resolved in time stays whole).
    fn charge(&self, path: String) -> bool {
        let s = self.settings();
        let mut cost = self.cost.lock().unwrap_or_else(|e| e.into_inner());
        let (spent, seen) = &mut *cost;
        *seen.entry(path).or_insert_with(|| {
            *spent = spent.saturating_add(s.slow_ms);
            *spent > s.timeout_ms
        })
    }

    fn spent(&self) -> u64 {
        self.cost.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

/// The path of a field, as an error's `path`.
fn path_of(info: &ResolveInfo<'_>) -> Vec<PathSegment> {
    let mut path = Vec::new();
    let mut node = Some(info.path_node);
    while let Some(n) = node {
        path.push(match n.segment {
            async_graphql::QueryPathSegment::Name(name) => PathSegment::Field(name.to_string()),
            async_graphql::QueryPathSegment::Index(i) => PathSegment::Index(i),
        });
        node = n.parent;
    }
    path.reverse();
    path
}

fn timeout_error(info: &ResolveInfo<'_>) -> ServerError {
    let mut e = ServerError::new(format!("Timeout on Dossier.{}", info.name), None);
    e.path = path_of(info);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "timeout");
    e.extensions = Some(ext);
    e
}

#[async_graphql::async_trait::async_trait]
impl Extension for Request {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(world) = ctx.data_opt::<Arc<World>>() {
            let f = world.lock().faults.clone();
            let timeout_ms = if f.timeout_ms == 0 {
                DS_TIMEOUT_MS
            } else {
                f.timeout_ms
            };
            let _ = self.settings.set(Settings {
                slow_ms: f.slow_dossier_ms,
                timeout_ms,
                new_values: f.new_values,
            });
        }
        let mut response = next.run(ctx, operation_name).await;
        let s = self.settings();
        let delay = self.spent().min(s.timeout_ms).min(120_000);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        propagate_nulls(&mut response);
        if let Some(nv) = &s.new_values {
            rewrite(&mut response.data, nv, 0);
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "Dossier" && self.settings().slow_ms > 0 {
            let dossier = info
                .path_node
                .parent
                .map(|p| p.to_string())
                .unwrap_or_default();
            if self.charge(dossier) {
                return Err(timeout_error(&info));
            }
        }
        next.run(ctx, info).await
    }
}

/// graphql-ruby's null propagation for the faults' errors, which async-graphql does not do
/// (it drops the failing field): a non-null field of a dossier that fails makes the dossier
/// null where it is nullable (an item of `nodes`, an edge's `node`), else the whole `data`.
fn propagate_nulls(response: &mut Response) {
    let paths: Vec<Vec<PathSegment>> = response
        .errors
        .iter()
        .filter(|e| {
            let code = e.extensions.as_ref().and_then(|x| x.get("code"));
            matches!(code, Some(Value::String(c)) if c == "timeout" || c == "invalid_null")
        })
        .map(|e| e.path.clone())
        .collect();
    for path in paths {
        // The failing field is the last segment; its dossier is the nearest nullable parent.
        let parent = &path[..path.len().saturating_sub(1)];
        let nullable = parent.iter().rposition(|s| {
            matches!(s, PathSegment::Index(_)) || matches!(s, PathSegment::Field(f) if f == "node")
        });
        match nullable {
            Some(at) => {
                if let Some(slot) = slot_at(&mut response.data, &parent[..=at]) {
                    *slot = Value::Null;
                }
            }
            None => response.data = Value::Null,
        }
    }
}

/// The value at `path` in `data`, if it is there.
fn slot_at<'a>(data: &'a mut Value, path: &[PathSegment]) -> Option<&'a mut Value> {
    let mut here = data;
    for segment in path {
        here = match (segment, here) {
            (PathSegment::Field(f), Value::Object(map)) => map.get_mut(f.as_str())?,
            (PathSegment::Index(i), Value::List(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

/// Puts [`NewValues`] into the answer: every object whose `number` is the dossier's gets the
/// new `state`, and the first champ of its `champs` the new `__typename`.
fn rewrite(v: &mut Value, nv: &NewValues, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(map) => {
            let is_it = matches!(map.get("number"), Some(Value::Number(n)) if n.as_i64() == Some(nv.dossier));
            if is_it {
                if let (Some(state), Some(slot)) = (&nv.state, map.get_mut("state")) {
                    *slot = Value::String(state.clone());
                }
                if let (Some(t), Some(Value::List(champs))) =
                    (&nv.champ_type, map.get_mut("champs"))
                    && let Some(Value::Object(first)) = champs.first_mut()
                {
                    first.insert(Name::new("__typename"), Value::String(t.clone()));
                }
            }
            for child in map.values_mut() {
                rewrite(child, nv, depth + 1);
            }
        }
        Value::List(items) => {
            for child in items {
                rewrite(child, nv, depth + 1);
            }
        }
        _ => {}
    }
}
