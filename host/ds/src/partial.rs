//! Pages of dossiers read the way DS really answers: `data` may come with
//! `errors` (API-NOTES §3, §10).
//!
//! - A dossier DS could not compute (`invalid_null`: the node comes back
//!   null with an error under its index) becomes an [`UnreadDossier`] naming
//!   the error; the rest of the page is kept. When the node is null its
//!   number is learnt from a light re-read of the same page (numbers only).
//! - A `timeout` (DS stops a query after 30 s) is not retried as it was:
//!   the page is asked again at half the size, down to 1, and the size grows
//!   back after a few pages read in time ([`PageSize`]).
//! - Any other error outside a dossier (`not_found`, `unauthorized`, …)
//!   fails the page, as before.

use std::sync::atomic::{AtomicU32, Ordering};

use graphql_client::GraphQLQuery;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::client::DsClient;
use crate::error::{DsError, classify_top_level};
use crate::model::{Dossier, Page};
use crate::ops::{self, dossier_numbers, dossiers_page};
use crate::queries::MAX_PAGE_SIZE;
use crate::transport::Attempt;
use crate::values::UnreadDossier;

/// Pages read in time before the page size doubles again after a timeout.
const GROW_AFTER: u32 = 3;

/// The page size DS currently answers in time, shared by a client's clones.
#[derive(Debug)]
pub(crate) struct PageSize {
    limit: AtomicU32,
    streak: AtomicU32,
}

impl Default for PageSize {
    fn default() -> Self {
        Self {
            limit: AtomicU32::new(MAX_PAGE_SIZE),
            streak: AtomicU32::new(0),
        }
    }
}

impl PageSize {
    /// The size to ask for when the caller wants `wanted`.
    fn size(&self, wanted: u32) -> u32 {
        wanted.min(self.limit.load(Ordering::Relaxed)).max(1)
    }

    /// A page of `size` timed out: half of it next time.
    fn timed_out(&self, size: u32) {
        self.limit.store((size / 2).max(1), Ordering::Relaxed);
        self.streak.store(0, Ordering::Relaxed);
    }

    /// A page came back in time: after [`GROW_AFTER`] of them, double.
    fn succeeded(&self) {
        let streak = self.streak.fetch_add(1, Ordering::Relaxed) + 1;
        let limit = self.limit.load(Ordering::Relaxed);
        if streak >= GROW_AFTER && limit < MAX_PAGE_SIZE {
            let grown = limit.saturating_mul(2).min(MAX_PAGE_SIZE);
            self.limit.store(grown, Ordering::Relaxed);
            self.streak.store(0, Ordering::Relaxed);
        }
    }
}

/// One GraphQL error as DS sends it, with its path.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PathError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    path: Vec<Value>,
    #[serde(default)]
    extensions: Option<Value>,
}

impl PathError {
    fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.get("code")?.as_str()
    }

    /// The index of the dossier it is about, when it is under
    /// `demarche.dossiers.nodes[i]`.
    fn node(&self) -> Option<usize> {
        let p = &self.path;
        let at = |i: usize, name: &str| p.get(i).and_then(Value::as_str) == Some(name);
        if at(0, "demarche") && at(1, "dossiers") && at(2, "nodes") {
            return p.get(3)?.as_u64().and_then(|i| usize::try_from(i).ok());
        }
        None
    }

    /// One line: code, field and message, bounded.
    fn describe(&self) -> String {
        let field: Vec<String> = self
            .path
            .iter()
            .skip(4)
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let message: String = self.message.chars().take(200).collect();
        format!(
            "DS error {} on {}: {message}",
            self.code().unwrap_or("unknown"),
            if field.is_empty() {
                "the dossier".to_string()
            } else {
                field.join(".")
            }
        )
    }
}

/// DS's answer kept whole: `data` and `errors` side by side.
#[derive(Debug, Deserialize)]
pub(crate) struct Partial {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<PathError>,
}

/// Reads an answer without failing on its errors (they are looked at per
/// dossier); statuses are read as [`crate::transport`] reads them.
pub(crate) fn read_partial(status: StatusCode, bytes: &[u8]) -> Attempt<Partial> {
    let message = || crate::transport::first_message(bytes);
    match status {
        StatusCode::UNAUTHORIZED => return Attempt::Fatal(DsError::TokenExpired(message())),
        StatusCode::FORBIDDEN => return Attempt::Fatal(DsError::Forbidden(message())),
        _ => {}
    }
    match serde_json::from_slice::<Partial>(bytes) {
        Ok(p) => Attempt::Done(p),
        Err(e) if status.is_success() => Attempt::Fatal(DsError::Decode(e.to_string())),
        Err(_) => Attempt::Fatal(DsError::Graphql {
            code: status.as_u16().to_string(),
            message: message(),
        }),
    }
}

/// What a page's nodes came to before null nodes are named.
struct Sorted {
    items: Vec<(usize, Dossier)>,
    unread: Vec<UnreadDossier>,
    /// Null nodes: their index and why.
    nameless: Vec<(usize, String)>,
}

impl DsClient {
    /// One page of dossiers, kept when some of its dossiers carry errors, and
    /// asked again smaller when DS times out (see the module docs).
    pub(crate) async fn dossier_page(
        &self,
        mut vars: dossiers_page::Variables,
        wanted: u32,
    ) -> Result<Page<Dossier>, DsError> {
        let sizes = &self.inner.page_size;
        loop {
            let size = sizes.size(wanted);
            vars.first = Some(i64::from(size));
            let body = ops::DossiersPage::build_query(vars.clone());
            let answer = self.query_with(body, read_partial).await?;
            if answer.errors.iter().any(|e| e.code() == Some("timeout")) {
                if size == 1 {
                    return Err(DsError::Unavailable(
                        "dossiers: DS timed out even on a page of one dossier".into(),
                    ));
                }
                tracing::warn!(size, "DS timed out on a page of dossiers; asking for half");
                sizes.timed_out(size);
                continue;
            }
            sizes.succeeded();
            return self.keep_partial(answer, &vars).await;
        }
    }

    /// Splits a page into its dossiers and those DS sent with an error.
    async fn keep_partial(
        &self,
        answer: Partial,
        vars: &dossiers_page::Variables,
    ) -> Result<Page<Dossier>, DsError> {
        if let Some(e) = answer.errors.iter().find(|e| e.node().is_none()) {
            return Err(classify_top_level(e.code(), &e.message));
        }
        let conn = answer
            .data
            .as_ref()
            .and_then(|d| d.get("demarche"))
            .and_then(|d| d.get("dossiers"))
            .ok_or_else(|| DsError::Decode("dossiers: answer without data".into()))?;
        let info = conn.get("pageInfo").unwrap_or(&Value::Null);
        let nodes = conn.get("nodes").and_then(Value::as_array);
        let sorted = sort(nodes.map_or(&[][..], Vec::as_slice), &answer.errors)?;
        let mut page = Page {
            items: Vec::new(),
            end_cursor: info
                .get("endCursor")
                .and_then(Value::as_str)
                .map(str::to_string),
            has_next_page: info
                .get("hasNextPage")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            unread: sorted.unread,
        };
        if !sorted.nameless.is_empty() {
            let named = self
                .name_nodes(vars, &sorted.items, sorted.nameless)
                .await?;
            page.unread.extend(named);
        }
        page.items = sorted.items.into_iter().map(|(_, d)| d).collect();
        Ok(page)
    }

    /// Learns the numbers of the dossiers DS sent as null, from the same page
    /// read again with numbers only. The dossiers read the first time must
    /// sit at the same places, or the page moved in between and the names
    /// cannot be trusted.
    async fn name_nodes(
        &self,
        vars: &dossiers_page::Variables,
        items: &[(usize, Dossier)],
        nameless: Vec<(usize, String)>,
    ) -> Result<Vec<UnreadDossier>, DsError> {
        let light = dossier_numbers::Variables {
            demarche: vars.demarche,
            state: vars.state.clone(),
            archived: vars.archived,
            created_since: vars.created_since.clone(),
            updated_since: vars.updated_since.clone(),
            revision: vars.revision.clone(),
            first: vars.first,
            after: vars.after.clone(),
        };
        let data = self.query::<ops::DossierNumbers>(light).await?;
        let numbers: Vec<Option<i64>> = data
            .demarche
            .dossiers
            .nodes
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.map(|n| n.number))
            .collect();
        let moved = items
            .iter()
            .any(|(i, d)| numbers.get(*i).copied().flatten() != Some(d.number));
        let named: Option<Vec<UnreadDossier>> = nameless
            .into_iter()
            .map(|(i, reason)| {
                let number = numbers.get(i).copied().flatten()?;
                Some(UnreadDossier { number, reason })
            })
            .collect();
        match named {
            Some(list) if !moved => Ok(list),
            _ => Err(DsError::Decode(
                "dossiers: DS sent a dossier as null and the page changed before it could be named"
                    .into(),
            )),
        }
    }
}

/// Sorts a page's nodes: decoded dossiers, dossiers with errors (named by
/// their number), and null nodes still to be named.
fn sort(nodes: &[Value], errors: &[PathError]) -> Result<Sorted, DsError> {
    let mut out = Sorted {
        items: Vec::new(),
        unread: Vec::new(),
        nameless: Vec::new(),
    };
    for (i, node) in nodes.iter().enumerate() {
        let reasons: Vec<String> = errors
            .iter()
            .filter(|e| e.node() == Some(i))
            .take(3)
            .map(PathError::describe)
            .collect();
        let number = node.get("number").and_then(Value::as_i64);
        let decoded = (!node.is_null())
            .then(|| serde_json::from_value::<dossiers_page::DossierFields>(node.clone()));
        match (number, decoded, reasons.is_empty()) {
            (_, Some(Ok(d)), true) => out.items.push((i, Dossier::from(d))),
            (None, None, false) => out.nameless.push((i, reasons.join("; "))),
            (Some(number), Some(Ok(_)), false) => out.unread.push(UnreadDossier {
                number,
                reason: reasons.join("; "),
            }),
            (Some(number), Some(Err(e)), _) => out.unread.push(UnreadDossier {
                number,
                reason: format!("unexpected answer from DS: {}", clip(&e.to_string())),
            }),
            (None, None, true) => {}
            (None, Some(_), _) | (Some(_), None, _) => {
                return Err(DsError::Decode(format!(
                    "dossiers: node {i} cannot be read and has no number"
                )));
            }
        }
    }
    Ok(out)
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_size_halves_to_one_and_grows_back() {
        let s = PageSize::default();
        assert_eq!(s.size(100), 100);
        for expected in [50, 25, 12, 6, 3, 1, 1] {
            s.timed_out(s.size(100));
            assert_eq!(s.size(100), expected);
        }
        // A caller asking for less is never given more.
        assert_eq!(s.size(1), 1);
        for _ in 0..GROW_AFTER {
            s.succeeded();
        }
        assert_eq!(s.size(100), 2);
        for _ in 0..(GROW_AFTER * 10) {
            s.succeeded();
        }
        assert_eq!(s.size(100), 100);
        assert_eq!(s.size(30), 30);
    }

    #[test]
    fn errors_are_placed_on_their_dossier() {
        let e: PathError = serde_json::from_value(serde_json::json!({
            "message": "Cannot return null for non-nullable field Dossier.usager",
            "path": ["demarche", "dossiers", "nodes", 3, "usager"],
            "extensions": { "code": "invalid_null" }
        }))
        .unwrap();
        assert_eq!(e.node(), Some(3));
        assert_eq!(
            e.describe(),
            "DS error invalid_null on usager: Cannot return null for non-nullable field Dossier.usager"
        );
        let nodes = vec![Value::Null; 4];
        let sorted = sort(&nodes, std::slice::from_ref(&e)).unwrap();
        assert_eq!(sorted.nameless.len(), 1);
        assert_eq!(sorted.nameless[0].0, 3);
        assert!(sorted.items.is_empty() && sorted.unread.is_empty());
        let top: PathError =
            serde_json::from_value(serde_json::json!({ "message": "x", "path": ["demarche"] }))
                .unwrap();
        assert_eq!(top.node(), None);
    }
}
