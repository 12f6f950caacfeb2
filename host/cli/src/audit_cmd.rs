//! `pont audit verify`: the audit file's chain and its seals, checked
//! against the journal's copy when the config or the head names it.

use std::path::PathBuf;

use pont_policy::{Break, Intact, RobotConfig, verify_audit_with};
use pont_runtime::journal::JournalSealBook;

use crate::exit::{Exit, Failure};

/// Verify `file` (or the config's audit file) against the config's journal,
/// the `journal` given, or else the one its head names.
pub(crate) fn verify(
    file: Option<PathBuf>,
    config: Option<PathBuf>,
    journal: Option<PathBuf>,
) -> Result<Exit, Failure> {
    let (file, journal) = targets(file, config, journal)?;
    if let Some(j) = journal.as_deref().filter(|j| !j.is_file()) {
        return Err(Failure::new(
            Exit::Fatal,
            format!("no journal at {}", j.display()),
        ));
    }
    match verify_audit_with(&file, journal.as_deref(), Some(&JournalSealBook)) {
        Ok(intact) => {
            println!("{}: {}", file.display(), summary(&intact));
            Ok(Exit::Ok)
        }
        Err(Break::Unreadable(e)) => Err(Failure::new(Exit::Fatal, e)),
        Err(b) => Err(Failure::new(
            Exit::AuditBroken,
            format!("{}: {b}", file.display()),
        )),
    }
}

/// The audit file and the journal to check, from the arguments.
fn targets(
    file: Option<PathBuf>,
    config: Option<PathBuf>,
    journal: Option<PathBuf>,
) -> Result<(PathBuf, Option<PathBuf>), Failure> {
    let Some(config) = config else {
        let file = file.ok_or_else(|| Failure::new(Exit::Usage, "no audit file given"))?;
        return Ok((file, journal));
    };
    let cfg = RobotConfig::load(&config).map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let file = file.unwrap_or_else(|| cfg.paths.audit.clone());
    Ok((file, Some(cfg.paths.journal.clone())))
}

/// `intact (N records, sealed), …`: the first part is what scripts match.
fn summary(intact: &Intact) -> String {
    let seal = if intact.sealed {
        "sealed".to_string()
    } else {
        format!("{} records after the last seal", intact.unsealed_tail)
    };
    let witness = match &intact.journal {
        Some(j) => format!("the seal matches the journal {}", j.display()),
        None => "checked against its head only (no journal named)".to_string(),
    };
    format!("intact ({} records, {seal}), {witness}", intact.records)
}
