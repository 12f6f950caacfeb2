//! Relay connections as DS serves them: page size capped at 100 (default 100), cursors
//! base64 of `"<timestamp ISO µs>;<id>"`, `first`/`last` and `after`/`before` exclusive.

use std::sync::Arc;

use async_graphql::{Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ds_error;
use super::enums::Order;
use super::objects::{DeletedDossier, Dossier};
use crate::model::{DeletedRecord, DemarcheRecord, DossierRecord};
use crate::util;
use crate::world::CursorFault;

const MAX_PAGE: usize = 100;

/// Validated pagination arguments.
#[derive(Debug, Clone)]
pub struct PageArgs {
    first: Option<usize>,
    last: Option<usize>,
    after: Option<(DateTime<Utc>, i64)>,
    before: Option<(DateTime<Utc>, i64)>,
    /// The deprecated `order: DESC`: newest first, `after` walking back in time.
    desc: bool,
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
                "Arguments `first` and `last` cannot be used together",
                "bad_request",
            ));
        }
        if after.is_some() && before.is_some() {
            return Err(ds_error(
                "Arguments `after` and `before` cannot be used together",
                "bad_request",
            ));
        }
        let count = |n: Option<i32>, name: &str| -> Result<Option<usize>> {
            match n {
                Some(n) if n < 0 => Err(ds_error(
                    format!("Argument `{name}` must be positive"),
                    "bad_request",
                )),
                Some(n) => Ok(Some((n as usize).min(MAX_PAGE))),
                None => Ok(None),
            }
        };
        let cursor = |c: Option<String>| -> Result<Option<(DateTime<Utc>, i64)>> {
            match c {
                Some(c) => util::decode_cursor(&c)
                    .map(Some)
                    .ok_or_else(|| ds_error("Invalid cursor", "bad_request")),
                None => Ok(None),
            }
        };
        Ok(PageArgs {
            first: count(first, "first")?,
            last: count(last, "last")?,
            after: cursor(after)?,
            before: cursor(before)?,
            desc: false,
        })
    }

    /// Applies the deprecated `order:` argument; DS refuses `last` with `DESC`.
    pub fn ordered(mut self, order: Order) -> Result<Self> {
        if order == Order::Desc && self.last.is_some() {
            return Err(ds_error(
                "Argument \"last\" is not supported with order \"desc\"",
                "bad_request",
            ));
        }
        self.desc = order == Order::Desc;
        Ok(self)
    }
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
            if let Some((t, id)) = args.after {
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

/// DS's deprecated `DESC` order: newest first; `after` gives older items, `before` newer
/// ones (the newest of them), a full page says there is a next one.
fn window_desc<T>(mut all: Vec<(DateTime<Utc>, i64, T)>, args: &PageArgs) -> Window<T> {
    all.sort_by_key(|a| std::cmp::Reverse((a.0, a.1)));
    let n = args.first.unwrap_or(MAX_PAGE);
    let kept: Vec<_> = all
        .into_iter()
        .filter(|x| args.after.is_none_or(|a| (x.0, x.1) < a))
        .filter(|x| args.before.is_none_or(|b| (x.0, x.1) > b))
        .collect();
    let full = kept.len() > n;
    let items: Vec<(String, T)> = kept
        .into_iter()
        .take(n)
        .map(|(t, id, x)| (util::encode_cursor(t, id), x))
        .collect();
    let info = PageInfo {
        has_next_page: args.before.is_some() || full,
        has_previous_page: args.after.is_some(),
        start_cursor: items.first().map(|i| i.0.clone()),
        end_cursor: items.last().map(|i| i.0.clone()),
    };
    Window { items, info }
}

fn window<T>(
    mut all: Vec<(DateTime<Utc>, i64, T)>,
    args: &PageArgs,
    fault: CursorFault,
) -> Window<T> {
    if args.desc {
        let mut w = window_desc(all, args);
        misreport(&mut w.info, args, fault);
        return w;
    }
    all.sort_by_key(|a| (a.0, a.1));
    let total = all.len();
    let lo = args
        .after
        .map(|a| all.partition_point(|x| (x.0, x.1) <= a))
        .unwrap_or(0);
    let hi = args
        .before
        .map(|b| all.partition_point(|x| (x.0, x.1) < b))
        .unwrap_or(total)
        .max(lo);
    let (start, end) = match args.last {
        Some(n) => (hi.saturating_sub(n).max(lo), hi),
        None => (lo, (lo + args.first.unwrap_or(MAX_PAGE)).min(hi)),
    };
    let has_next_page = if args.last.is_some() {
        hi < total
    } else {
        end < hi
    };
    let has_previous_page = if args.last.is_some() {
        start > lo
    } else {
        lo > 0
    };
    let items: Vec<(String, T)> = all
        .into_iter()
        .skip(start)
        .take(end - start)
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
