//! Where the PostgreSQL server binaries are.
//!
//! Debian installs them under `/usr/lib/postgresql/<major>/bin`, off `PATH` (only the client
//! wrappers such as `psql` land in `/usr/bin`), so `PATH` alone would miss a plain
//! `apt-get install postgresql`. Order: `$PONT_PG_BIN`, then the directory of the `initdb` on
//! `PATH` (symlinks resolved, so its siblings `pg_ctl`, `createdb` and `pg_isready` are found
//! too), then the newest Debian major version.

use std::path::{Path, PathBuf};

/// Overrides the search: a directory holding `initdb` and `pg_ctl`.
pub(crate) const ENV: &str = "PONT_PG_BIN";

const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

const MISSING: &str = "PostgreSQL not found: no initdb and pg_ctl on PATH nor under \
    /usr/lib/postgresql/<version>/bin; install Debian's `postgresql` package (scripts/setup \
    does) or set PONT_PG_BIN to the directory holding initdb";

#[derive(Debug, Clone)]
pub(crate) struct Bins {
    dir: PathBuf,
}

impl Bins {
    pub(crate) fn find() -> Result<Bins, String> {
        if let Some(dir) = std::env::var_os(ENV).filter(|d| !d.is_empty()) {
            return Bins::in_dir(Path::new(&dir)).map_err(|e| format!("{ENV}: {e}"));
        }
        on_path()
            .or_else(newest_debian)
            .map(|dir| Bins { dir })
            .ok_or_else(|| MISSING.to_owned())
    }

    pub(crate) fn in_dir(dir: &Path) -> Result<Bins, String> {
        if has_server(dir) {
            Ok(Bins {
                dir: dir.to_path_buf(),
            })
        } else {
            Err(format!(
                "no initdb and pg_ctl in {}: install Debian's `postgresql` package \
                 (scripts/setup does)",
                dir.display()
            ))
        }
    }

    pub(crate) fn tool(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

/// The real directory of the first `initdb` on `PATH`, if `pg_ctl` is beside it.
fn on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| has_server(d))
}

/// `/usr/lib/postgresql/<N>/bin` for the highest numeric `N` that has the server binaries.
fn newest_debian() -> Option<PathBuf> {
    let entries = std::fs::read_dir(DEBIAN_ROOT).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .parse::<u32>()
                .ok()
                .map(|v| (v, e.path()))
        })
        .map(|(v, p)| (v, p.join("bin")))
        .filter(|(_, bin)| has_server(bin))
        .max_by_key(|(v, _)| *v)
        .map(|(_, bin)| bin)
}
