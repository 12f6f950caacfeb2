//! `pont review proposals|approve|reject|modify`: the four-eyes decisions
//! from the command line, through the same desk as the web console. An
//! approval is sent at once when no run of the config holds its journal
//! (otherwise by that run, at its next start).

use std::io::Write;
use std::path::Path;

use pont_policy::RobotConfig;
use pont_runtime::approval::{ApprovalError, Person, Proposal, ProposalDesk, Verdict};

use crate::exit::{Exit, Failure};
use crate::output;
use crate::queue_cmds::{Opened, open, person_name};

fn failure(e: ApprovalError) -> Failure {
    let code = match e {
        ApprovalError::Invalid(_) => Exit::Usage,
        ApprovalError::Config(_) => Exit::Config,
        _ => Exit::Fatal,
    };
    Failure::new(code, e.to_string())
}

fn desk(config: &Path) -> Result<(Opened, ProposalDesk), Failure> {
    let o = open(config)?;
    let on_reject = RobotConfig::load(config)
        .map_err(|e| Failure::new(Exit::Config, e.to_string()))?
        .approval
        .on_reject;
    let desk = ProposalDesk::new(o.journal.clone(), &o.journal_path, &o.audit_path, &o.robot)
        .with_on_reject(on_reject);
    Ok((o, desk))
}

/// The proposals of the robot, newest first (pending ones unless `all`).
pub(crate) fn list(config: &Path, all: bool, json: bool) -> Result<Exit, Failure> {
    let (o, desk) = desk(config)?;
    let list = if all {
        desk.list(None, 1000)
    } else {
        desk.pending(1000)
    }
    .map_err(failure)?;
    if json {
        output::print_json(&list)?;
        return Ok(Exit::Ok);
    }
    let mut out = std::io::stdout().lock();
    if list.is_empty() {
        let _ = writeln!(out, "no proposal of {} waits for a decision", o.robot);
    }
    for p in &list {
        let _ = writeln!(out, "{}", line(p));
    }
    Ok(Exit::Ok)
}

fn line(p: &Proposal) -> String {
    let motivation = p.agent_motivation.as_ref().or(p.motivation.as_ref());
    format!(
        "proposal {:>5}  dossier {:>8}  {:<18} {:<9} {}",
        p.id,
        p.number,
        p.action,
        p.status.as_str(),
        motivation.map_or("", String::as_str)
    )
}

/// Decide each proposal, then send what was approved.
pub(crate) fn decide(
    config: &Path,
    ids: &[i64],
    verdict: &Verdict,
    instructeur: Option<&str>,
) -> Result<Exit, Failure> {
    let (_o, desk) = desk(config)?;
    let name = person_name();
    let who = Person {
        name: &name,
        interface: "cli",
        instructeur,
    };
    for id in ids {
        let p = desk.decide(*id, verdict.clone(), who).map_err(failure)?;
        println!("proposal {id}: {} by {name}", p.status.as_str());
    }
    if matches!(verdict, Verdict::Reject { .. }) {
        return Ok(Exit::Ok);
    }
    execute(config)
}

fn execute(config: &Path) -> Result<Exit, Failure> {
    let done = crate::runtime()?
        .block_on(pont_runtime::approval::execute_approved(config))
        .map_err(failure)?;
    if done.deferred {
        println!("a run of this robot holds its journal: it sends the approved decisions");
        return Ok(Exit::Ok);
    }
    println!(
        "sent {}, stale {} (the dossier changed: back to the robot), not sent {}",
        done.sent, done.stale, done.failed
    );
    Ok(Exit::Ok)
}
