//! Relay connections as DS serves them (`app/graphql/connections/cursor_connection.rb` on
//! graphql-ruby's `Pagination::Connection`): page size capped at 100 (default 100), cursors
//! URL-safe base64 without padding of `"<UTC timestamp, 9 fraction digits>Z;<id>"`, and DS's
//! page flags, quirks included: `hasPreviousPage` is true whenever `after` is sent,
//! `hasNextPage` whenever `before` is, `first` with `before` gives the items just before it,
//! and a `first`/`last` over 100 or below 0 is clamped (to 100, to 0) without an error.

use std::sync::Arc;

use async_graphql::{Result, SimpleObject};
use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::ds_error;
use super::enums::Order;
use super::objects::{DeletedDossier, Dossier};
use crate::model::{DeletedRecord, DemarcheRecord, DossierRecord};
use crate::util;
use crate::world::CursorFault;

const MAX_PAGE: usize = 100;

/// A cursor as DS reads it. A timestamp Ruby cannot parse becomes SQL `NULL`, which no row
/// compares with: the page is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Key(DateTime<Utc>, i64),
    Null,
}

/// Validated pagination arguments (DS's `ensure_valid_params`, in its order).
#[derive(Debug, Clone)]
pub struct PageArgs {
    /// graphql-ruby's clamped `first`: 100 when neither `first` nor `last` is sent.
    first: Option<usize>,
    last: Option<usize>,
    after: Option<String>,
    before: Option<String>,
    after_key: Option<Cursor>,
    before_key: Option<Cursor>,
    /// The deprecated `order: DESC`: newest first, `after` walking back in time.
    desc: bool,
}

/// graphql-ruby's `limit_pagination_argument`: below 0 is 0, above the cap is the cap.
fn clamp(n: Option<i32>) -> Option<usize> {
    n.map(|n| n.clamp(0, MAX_PAGE as i32) as usize)
}

/// Rails' `present?` for a cursor: an empty or blank string counts as absent.
fn present(c: Option<String>) -> Option<String> {
    c.filter(|c| !c.trim().is_empty())
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        last: Option<i32>,
        after: Option<String>,
        before: Option<String>,
    ) -> Result<Self> {
        if first.is_some() && last.is_some() {
            return Err(ds_error(
                "Arguments \"first\" and \"last\" are exclusive",
                "bad_request",
            ));
        }
        let (after, before) = (present(after), present(before));
        if after.is_some() && before.is_some() {
            return Err(ds_error(
                "Arguments \"before\" and \"after\" are exclusive",
                "bad_request",
            ));
        }
        let last = clamp(last);
        let first = clamp(first).or(last.is_none().then_some(MAX_PAGE));
        Ok(PageArgs {
            first,
            last,
            after,
            before,
            after_key: None,
            before_key: None,
            desc: false,
        })
    }

    /// Applies the deprecated `order:` argument (DS refuses `last` with `DESC`), then reads
    /// the cursor, as DS does only once its arguments passed.
    pub fn ordered(mut self, order: Order) -> Result<Self> {
        if order == Order::Desc && self.last.is_some() {
            return Err(ds_error(
                "Argument \"last\" is not supported with order \"desc\"",
                "bad_request",
            ));
        }
        self.desc = order == Order::Desc;
        self.after_key = self.after.as_deref().map(decode).transpose()?;
        self.before_key = self.before.as_deref().map(decode).transpose()?;
        Ok(self)
    }
}

/// DS's cursor decoding: Ruby's `urlsafe_decode64` (either alphabet, padding optional),
/// whose failure is graphql-ruby's `Invalid input: "<cursor>"` (no `extensions`); then
/// `"<timestamp>;<id>"`, the id read like Ruby's `to_i`.
fn decode(cursor: &str) -> Result<Cursor> {
    let mut text = cursor.replace('-', "+").replace('_', "/");
    if !cursor.ends_with('=') && !cursor.len().is_multiple_of(4) {
        while !text.len().is_multiple_of(4) {
            text.push('=');
        }
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|_| {
            async_graphql::Error::new(format!("Invalid input: {}", util::ruby_inspect(cursor)))
        })?;
    let raw = String::from_utf8_lossy(&raw);
    let mut parts = raw.split(';');
    let timestamp = parts.next().unwrap_or_default();
    let id = util::ruby_to_i(parts.next().unwrap_or_default());
    Ok(match util::parse_datetime(timestamp) {
        Some(t) => Cursor::Key(t, id),
        None => Cursor::Null,
    })
}

#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// The window of a sorted list that a page shows.
struct Window<T> {
    items: Vec<(String, T)>,
    info: PageInfo,
}

/// Bends a page's cursors the way `fault` says (a hostile DS, for client tests).
fn misreport(info: &mut PageInfo, args: &PageArgs, fault: CursorFault) {
    match fault {
        CursorFault::Off => {}
        CursorFault::Repeat => {
            info.has_next_page = true;
            if let Some(Cursor::Key(t, id)) = args.after_key {
                info.end_cursor = Some(util::encode_cursor(t, id));
            }
        }
        CursorFault::Missing => {
            info.has_next_page = true;
            info.end_cursor = None;
        }
        CursorFault::Cycle if !info.has_next_page => {
            info.has_next_page = true;
            info.end_cursor = Some(util::encode_cursor(DateTime::<Utc>::default(), 0));
        }
        CursorFault::Cycle => {}
    }
}

/// The rows DS's `resolve_nodes` asks for: strictly before `below` if sent, else strictly
/// after `above`; a `NULL` cursor matches nothing.
fn bounded<T>(
    all: Vec<(DateTime<Utc>, i64, T)>,
    below: Option<Cursor>,
    above: Option<Cursor>,
) -> Vec<(DateTime<Utc>, i64, T)> {
    match (below, above) {
        (Some(Cursor::Null), _) | (None, Some(Cursor::Null)) => Vec::new(),
        (Some(Cursor::Key(t, id)), _) => all.into_iter().filter(|x| (x.0, x.1) < (t, id)).collect(),
        (None, Some(Cursor::Key(t, id))) => {
            all.into_iter().filter(|x| (x.0, x.1) > (t, id)).collect()
        }
        (None, None) => all,
    }
}

/// One page, computed as DS's `load_nodes` (and `load_nodes_deprecated_order`) does: fetch
/// one row more than the page, in reverse when `last` or `before` is sent, and derive the
/// flags from the cursors sent and from whether that extra row came.
fn window<T>(
    mut all: Vec<(DateTime<Utc>, i64, T)>,
    args: &PageArgs,
    fault: CursorFault,
) -> Window<T> {
    all.sort_by_key(|a| (a.0, a.1));
    let limit = args
        .first
        .into_iter()
        .chain(args.last)
        .min()
        .unwrap_or(MAX_PAGE)
        + 1;
    let mut inverted = args.last.is_some() || args.before.is_some();
    let (below, above) = if args.desc {
        if args.before.is_none() {
            inverted = !inverted;
        }
        (args.after_key, args.before_key)
    } else {
        (args.before_key, args.after_key)
    };
    let kept = bounded(all, below, above);
    let mut rows: Vec<_> = if inverted {
        kept.into_iter().rev().take(limit).collect()
    } else {
        kept.into_iter().take(limit).collect()
    };
    let full = rows.len() == limit;
    let (has_previous_page, has_next_page) = if args.desc {
        let prev = args.after.is_some() || (full && !inverted);
        (prev, args.before.is_some() || (full && inverted))
    } else {
        let prev = args.after.is_some() || (full && inverted);
        (prev, args.before.is_some() || (full && !inverted))
    };
    rows.truncate(limit - 1);
    if inverted && !args.desc {
        rows.reverse();
    }
    let items: Vec<(String, T)> = rows
        .into_iter()
        .map(|(t, id, x)| (util::encode_cursor(t, id), x))
        .collect();
    let mut info = PageInfo {
        has_next_page,
        has_previous_page,
        start_cursor: items.first().map(|i| i.0.clone()),
        end_cursor: items.last().map(|i| i.0.clone()),
    };
    misreport(&mut info, args, fault);
    Window { items, info }
}

#[derive(SimpleObject)]
pub struct DossierEdge {
    pub cursor: String,
    pub node: Option<Dossier>,
}

#[derive(SimpleObject)]
pub struct DossierConnection {
    pub edges: Option<Vec<Option<DossierEdge>>>,
    pub nodes: Option<Vec<Option<Dossier>>>,
    pub page_info: PageInfo,
}

/// Builds a `DossierConnection` page from (sort key, id, dossier) triples.
pub fn dossiers(
    items: Vec<(DateTime<Utc>, i64, Arc<DossierRecord>)>,
    args: &PageArgs,
    dem: &Arc<DemarcheRecord>,
    fault: CursorFault,
) -> Result<DossierConnection> {
    let w = window(items, args, fault);
    let mk = |d: &Arc<DossierRecord>| Dossier {
        rec: d.clone(),
        dem: dem.clone(),
    };
    Ok(DossierConnection {
        nodes: Some(w.items.iter().map(|(_, d)| Some(mk(d))).collect()),
        edges: Some(
            w.items
                .iter()
                .map(|(c, d)| {
                    Some(DossierEdge {
                        cursor: c.clone(),
                        node: Some(mk(d)),
                    })
                })
                .collect(),
        ),
        page_info: w.info,
    })
}

#[derive(SimpleObject)]
pub struct DeletedDossierEdge {
    pub cursor: String,
    pub node: Option<DeletedDossier>,
}

#[derive(SimpleObject)]
pub struct DeletedDossierConnection {
    pub edges: Option<Vec<Option<DeletedDossierEdge>>>,
    pub nodes: Option<Vec<Option<DeletedDossier>>>,
    pub page_info: PageInfo,
}

/// Builds a `DeletedDossierConnection` page.
pub fn deleted(
    items: Vec<(DateTime<Utc>, i64, DeletedRecord)>,
    args: &PageArgs,
    fault: CursorFault,
) -> Result<DeletedDossierConnection> {
    let w = window(items, args, fault);
    Ok(DeletedDossierConnection {
        nodes: Some(
            w.items
                .iter()
                .map(|(_, d)| Some(DeletedDossier(d.clone())))
                .collect(),
        ),
        edges: Some(
            w.items
                .iter()
                .map(|(c, d)| {
                    Some(DeletedDossierEdge {
                        cursor: c.clone(),
                        node: Some(DeletedDossier(d.clone())),
                    })
                })
                .collect(),
        ),
        page_info: w.info,
    })
}
