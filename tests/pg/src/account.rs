//! Which account the server runs as.
//!
//! `initdb` and `pg_ctl` refuse to run as root, and tests run as root here and in CI. As root
//! we run them as the `postgres` system account that Debian's `postgresql` package creates for
//! exactly this (no account to add in `scripts/setup`, and `nobody` should own no files), with
//! `nobody` as the fallback for a PostgreSQL installed some other way. The drop is std's
//! `CommandExt::uid`/`gid`: as root and with no groups given, std also clears the
//! supplementary groups before `setuid`, which is what `setpriv --reuid --regid
//! --clear-groups` would do, without a tool or `unsafe`. Not root: we run as ourselves.

use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Accounts tried, in order, when we are root.
const CANDIDATES: [&str; 2] = ["postgres", "nobody"];

#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// `None`: the current (unprivileged) user.
    ids: Option<(String, u32, u32)>,
}

impl Account {
    pub(crate) fn for_server() -> Result<Account, String> {
        if !rustix::process::geteuid().is_root() {
            return Ok(Account { ids: None });
        }
        for name in CANDIDATES {
            if let Some((uid, gid)) = lookup(name)? {
                return Ok(Account {
                    ids: Some((name.to_owned(), uid, gid)),
                });
            }
        }
        Err(
            "running as root, and neither a `postgres` nor a `nobody` account exists to run \
             PostgreSQL as: install Debian's `postgresql` package (it creates `postgres`)"
                .to_owned(),
        )
    }

    /// A command for `program`, run as this account from `cwd` (a directory it can enter:
    /// the server resolves paths against it).
    pub(crate) fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd);
        if let Some((_, uid, gid)) = &self.ids {
            cmd.gid(*gid).uid(*uid);
        }
        cmd
    }

    /// Makes `dir` this account's, so the server can create its data directory inside.
    pub(crate) fn give(&self, dir: &Path) -> Result<(), String> {
        let Some((name, uid, gid)) = &self.ids else {
            return Ok(());
        };
        std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
            .map_err(|e| format!("cannot give {} to {name}: {e}", dir.display()))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ids {
            Some((name, ..)) => write!(f, "the `{name}` account"),
            None => f.write_str("the current user"),
        }
    }
}

/// The uid and gid of account `name` (through NSS, as `getent` sees it), `None` if it has none.
fn lookup(name: &str) -> Result<Option<(u32, u32)>, String> {
    let out = Command::new("getent")
        .args(["passwd", name])
        .output()
        .map_err(|e| format!("cannot run getent to look up the `{name}` account: {e}"))?;
    if !out.status.success() {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = line.trim_end().split(':').collect();
    let id = |i: usize| fields.get(i).and_then(|f| f.parse::<u32>().ok());
    match (id(2), id(3)) {
        (Some(uid), Some(gid)) => Ok(Some((uid, gid))),
        _ => Err(format!(
            "getent passwd {name} gave an unreadable line: {}",
            line.trim_end()
        )),
    }
}
