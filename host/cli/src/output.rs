//! What `pont` prints: logs on stderr, results on stdout.

use std::io::{IsTerminal, Write};

use pont_runtime::{Inspection, RunReport};
use tracing_subscriber::EnvFilter;

use crate::exit::{Exit, Failure};

pub(crate) fn init_logging(json: bool, verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        // The WebDriver client logs request bodies (what robots type) at
        // debug level: it never goes below info.
        (false, 0) => "info,wasmtime=warn,cranelift=warn",
        (false, 1) => "debug,wasmtime=info,cranelift=info,thirtyfour=info",
        _ => "trace,thirtyfour=info",
    };
    let filter = EnvFilter::try_from_env("PONT_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_wanted());
    if json {
        builder.json().init();
    } else {
        builder.with_target(false).init();
    }
}

/// Colours only for a person at a terminal: a log file or a pipe would keep the escape codes
/// as noise, and a non-empty `NO_COLOR` (no-color.org) turns them off everywhere.
fn colour_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(Exit::Fatal, e.to_string()))?;
    println!("{text}");
    Ok(())
}

pub(crate) fn print_run(r: &RunReport) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "robot {}  run {}  plugin sha256 {}",
        r.robot, r.run_id, r.plugin_sha256
    );
    for item in &r.items {
        let until = item
            .wake_at
            .as_deref()
            .map(|t| format!(" until {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  dossier {:>8}  {:<12} {:<8} {}{until} ({} ms)",
            item.number, item.status, item.outcome, item.reason, item.duration_ms
        );
    }
    let _ = writeln!(
        out,
        "outcomes: {} done, {} skipped, {} needs review, {} waiting, {} failed  ({} items, {} ms)",
        r.done,
        r.skipped,
        r.needs_review,
        r.waiting,
        r.failed,
        r.items.len(),
        r.duration_ms
    );
    if r.stopped() {
        let _ = writeln!(
            out,
            "stopped: a signal ended the run early; the dossiers it ran are settled, the next run continues with the rest"
        );
    }
    for (n, status) in &r.abandoned {
        let _ = writeln!(
            out,
            "dossier {n} was still running when the grace period ended: now {}",
            status.as_str()
        );
    }
    if r.waiting_later > 0 {
        let _ = writeln!(
            out,
            "{} dossier(s) still waiting past this run, fed by a later one (`pont runs` lists them)",
            r.waiting_later
        );
    }
    if r.to_review > 0 {
        let _ = writeln!(
            out,
            "review queue: {} dossier(s) now wait for a person (`pont review list`)",
            r.to_review
        );
    }
    if r.already_handled > 0 {
        let _ = writeln!(
            out,
            "{} dossier(s) already handled by earlier runs, not run again",
            r.already_handled
        );
    }
    for (n, status) in &r.recovered {
        let _ = writeln!(
            out,
            "dossier {n} was interrupted by an earlier run: now {}",
            status.as_str()
        );
    }
    let _ = writeln!(out, "ledger:");
    if r.ledger.is_empty() {
        let _ = writeln!(out, "  nothing left the host");
    }
    for l in &r.ledger {
        let _ = writeln!(
            out,
            "  {} -> {}: {} item(s), {} bytes",
            l.source, l.destination, l.items, l.bytes
        );
    }
    let _ = writeln!(out, "plugin:  {}", r.signature);
    let _ = writeln!(out, "journal: {}", r.journal.display());
    let _ = writeln!(out, "audit:   {}", r.audit.display());
}

pub(crate) fn print_inspection(i: &Inspection) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "plugin:   {}", i.path.display());
    let _ = writeln!(out, "sha256:   {}", i.sha256);
    let _ = writeln!(out, "size:     {} bytes", i.size);
    match (&i.manifest_path, &i.manifest) {
        (Some(p), Some(m)) => {
            let idem = if m.idempotent { ", idempotent" } else { "" };
            let _ = writeln!(
                out,
                "manifest: {} ({} {} by {}{idem})",
                p.display(),
                m.name,
                m.version,
                m.publisher
            );
            let _ = writeln!(out, "requests: {}", m.requests.join(", "));
        }
        _ => {
            let _ = writeln!(out, "manifest: none found");
        }
    }
    let _ = writeln!(out, "imports:");
    for imp in &i.imports {
        let flag = if imp.provided == Some(false) {
            "  ** NOT PROVIDED by this host **"
        } else if imp.always_denied {
            "  (linked, always denied)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {} ({}){flag}", imp.name, imp.kind);
        if !imp.items.is_empty() {
            let _ = writeln!(out, "      {}", imp.items.join(", "));
        }
    }
    let _ = writeln!(out, "exports:");
    for exp in &i.exports {
        let _ = writeln!(out, "  {} ({})", exp.name, exp.kind);
        if !exp.items.is_empty() {
            let _ = writeln!(out, "      {}", exp.items.join(", "));
        }
    }
}
