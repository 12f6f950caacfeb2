//! A dossier's history: where it stands, then each episode with its
//! attempts and DS mutations, the evidence files its runs kept, and the log
//! of its last run.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use pont_runtime::journal::{ItemRow, MutationRecord};
use serde::Serialize;

use super::{Page, not_found, with_journal};
use crate::auth::Agent;
use crate::state::ConsoleState;

const ATTEMPTS_MAX: u32 = 1000;
const EVIDENCE_MAX: u32 = 500;
const MUTATIONS_MAX: usize = 1000;
const LOG_MAX: u32 = 500;

#[derive(Debug, Default, Serialize)]
struct Episode {
    number: u32,
    attempts: Vec<ItemRow>,
    mutations: Vec<MutationRecord>,
}

fn episodes(items: Vec<ItemRow>, mutations: Vec<MutationRecord>) -> Vec<Episode> {
    let mut by: BTreeMap<u32, Episode> = BTreeMap::new();
    for i in items {
        let e = by.entry(i.episode).or_default();
        e.number = i.episode;
        e.attempts.push(i);
    }
    for m in mutations.into_iter().take(MUTATIONS_MAX) {
        let e = by.entry(m.episode).or_default();
        e.number = m.episode;
        e.mutations.push(m);
    }
    by.into_values().collect()
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    agent: Agent,
    Path((robot, number)): Path<(String, String)>,
) -> Response {
    let (Some(entry), Ok(number)) = (state.robot(&robot), number.parse::<i64>()) else {
        return not_found(&state);
    };
    let data = with_journal(&state, entry, move |journal, entry| {
        let name = &entry.journal_robot;
        let queue = journal.queue_entry(name, number)?;
        let items = journal.dossier_items(name, number, ATTEMPTS_MAX)?;
        if queue.is_none() && items.is_empty() {
            return Ok(None);
        }
        let mutations = journal.mutations(name, number, None, None)?;
        let evidence = journal.dossier_evidence(name, number, EVIDENCE_MAX)?;
        let last_run = queue.as_ref().and_then(|q| q.run_id.clone());
        let logs = match &last_run {
            Some(run) => journal.log_page(run, Some(number), 0, LOG_MAX)?,
            None => Vec::new(),
        };
        let episodes = episodes(items, mutations);
        Ok(Some((queue, episodes, evidence, last_run, logs)))
    })
    .await
    .map(Option::flatten);
    match data {
        Ok(Some((queue, episodes, evidence, last_run, logs))) => {
            let ctx = context! {
                robot => robot, number => number, queue => queue, episodes => episodes,
                evidence => evidence, last_run => last_run, logs => logs,
            };
            Page::for_agent(&agent).render(&state, "dossier.html", ctx)
        }
        Ok(None) => not_found(&state),
        Err(r) => r,
    }
}
