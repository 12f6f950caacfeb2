//! Who chromedriver and Chromium run as, and with what environment (DESIGN §5.6).
//!
//! A page is hostile input rendered by a very large program, so Chromium gets as little of
//! the host as possible:
//! - when the host is root, chromedriver (and so Chromium) runs as an unprivileged account
//!   (`nobody` by default) through util-linux `setpriv`: own uid and gid, no supplementary
//!   groups, no capabilities, `no_new_privs`;
//! - Chromium's own sandbox stays on (it needs unprivileged user namespaces, which the account
//!   has on Debian); `--no-sandbox` is only the operator's documented fallback for a kernel
//!   without them ([`crate::BrowserConfig::chromium_sandbox`]);
//! - the environment is cleared: `PATH`, `HOME` and the XDG directories (all inside the
//!   browser's private directory) and nothing else, so no secret, DS token or `PONT_*`
//!   setting of the host reaches the browser;
//! - both chromedriver and Chromium get a parent-death signal (`setpriv --pdeathsig KILL`):
//!   if the host is SIGKILLed, chromedriver dies with it, and Chromium with chromedriver.
//!   Chromedriver starts Chromium through a small wrapper script for that, as Chromium would
//!   otherwise outlive it. The signal follows the *thread* that started the child: the host
//!   starts chromedriver from a runtime thread that lives as long as the browser.
//!
//! The directories Chromium writes (profiles, downloads, its XDG and temp directories) are
//! given to the account; the host, being root, still reads and removes them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::process::Command;

use crate::error::{BrowserError, Result};

/// `PATH` of the browser processes: the system's binaries, nothing from the host's setup.
const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// An unprivileged account, from `/etc/passwd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// How the browser's processes are started.
#[derive(Debug, Clone)]
pub(crate) struct Confinement {
    /// The account to switch to; `None` when the host is not root (it runs as itself).
    account: Option<Account>,
    /// util-linux `setpriv`, when present.
    setpriv: Option<PathBuf>,
}

impl Confinement {
    /// The confinement for this host: as `user` when root (refused if that cannot be done).
    pub(crate) fn for_host(user: &str, setpriv: &Path) -> Result<Confinement> {
        let setpriv = setpriv.is_file().then(|| setpriv.to_owned());
        if !rustix::process::geteuid().is_root() {
            return Ok(Confinement {
                account: None,
                setpriv,
            });
        }
        if setpriv.is_none() {
            return Err(BrowserError::Launch(format!(
                "the host runs as root and {} is missing: Chromium is never run as root",
                setpriv_name()
            )));
        }
        let passwd = std::fs::read_to_string("/etc/passwd")?;
        let account = lookup(&passwd, user)?;
        Ok(Confinement {
            account: Some(account),
            setpriv,
        })
    }

    /// The account the browser runs as, when not the host's own.
    pub(crate) fn account(&self) -> Option<Account> {
        self.account
    }

    /// `program` as a confined child: switched to the account, parent-death signal set,
    /// environment cleared but for `PATH`, `HOME` and the XDG directories under `home`.
    pub(crate) fn command(&self, program: &Path, home: &Path) -> Command {
        let mut cmd = match &self.setpriv {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.args(self.setpriv_args()).arg("--").arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.env_clear().env("PATH", PATH).env("HOME", home);
        for (var, dir) in xdg_dirs(home) {
            cmd.env(var, dir);
        }
        cmd
    }

    fn setpriv_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(a) = self.account {
            args.push(format!("--reuid={}", a.uid).into());
            args.push(format!("--regid={}", a.gid).into());
            for fixed in [
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
            ] {
                args.push(fixed.into());
            }
        }
        args.push("--pdeathsig=KILL".into());
        args
    }

    /// Creates the private directories of the browser (`home`'s XDG and temp directories)
    /// and gives `home` and them to the account.
    pub(crate) fn prepare_home(&self, home: &Path) -> Result<()> {
        self.give(home)?;
        for (_, dir) in xdg_dirs(home) {
            std::fs::create_dir_all(&dir)?;
            self.give(&dir)?;
        }
        Ok(())
    }

    /// Makes `path` the account's (a directory Chromium writes into); nothing when the
    /// browser runs as the host's own user.
    pub(crate) fn give(&self, path: &Path) -> Result<()> {
        if let Some(a) = self.account {
            std::os::unix::fs::chown(path, Some(a.uid), Some(a.gid))?;
        }
        Ok(())
    }

    /// Writes the script chromedriver starts instead of Chromium: it sets Chromium's own
    /// parent-death signal, so Chromium dies with chromedriver. Without `setpriv` (a non-root
    /// host lacking util-linux) Chromium is started directly.
    pub(crate) fn chromium_launcher(&self, dir: &Path, chromium: &Path) -> Result<PathBuf> {
        let Some(setpriv) = &self.setpriv else {
            return Ok(chromium.to_owned());
        };
        let script = format!(
            "#!/bin/sh\nexec {} --pdeathsig=KILL -- {} \"$@\"\n",
            sh_quote(&setpriv.to_string_lossy()),
            sh_quote(&chromium.to_string_lossy()),
        );
        let path = dir.join("chromium-launcher");
        std::fs::write(&path, script)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(path)
    }
}

/// Where a session's files to upload are copied for Chromium to read: the host's own files
/// (the run's spool) are out of the browser account's reach, and are left so.
#[derive(Debug)]
pub(crate) struct Staging {
    dir: PathBuf,
    confine: Confinement,
    seq: AtomicU64,
}

impl Staging {
    pub(crate) fn new(dir: PathBuf, confine: Confinement) -> Staging {
        Staging {
            dir,
            confine,
            seq: AtomicU64::new(0),
        }
    }

    /// A path of `src` Chromium can read: `src` itself when the browser runs as the host's
    /// user, else a copy given to the browser's account (a copy, not a link, so a compromised
    /// Chromium cannot change the host's file).
    pub(crate) async fn stage(&self, src: &Path) -> Result<PathBuf> {
        if self.confine.account().is_none() {
            return Ok(src.to_owned());
        }
        let name = src.file_name().ok_or_else(|| {
            BrowserError::Unsupported("upload of a path without a file name".into())
        })?;
        let dir = self
            .dir
            .join(self.seq.fetch_add(1, Ordering::Relaxed).to_string());
        tokio::fs::create_dir_all(&dir).await?;
        let dest = dir.join(name);
        tokio::fs::copy(src, &dest).await?;
        for path in [&self.dir, &dir, &dest] {
            self.confine.give(path)?;
        }
        Ok(dest)
    }
}

fn setpriv_name() -> &'static str {
    "util-linux `setpriv`"
}

/// The XDG directories of the browser, inside its private `home`. Chromium's crash handler
/// names only `$XDG_CONFIG_HOME/chromium/Crash Reports`, so keeping them there also lets
/// teardown find every process by that directory.
fn xdg_dirs(home: &Path) -> [(&'static str, PathBuf); 4] {
    [
        ("XDG_CONFIG_HOME", home.join("xdg-config")),
        ("XDG_CACHE_HOME", home.join("xdg-cache")),
        ("XDG_DATA_HOME", home.join("xdg-data")),
        ("TMPDIR", home.join("tmp")),
    ]
}

/// `user`'s uid and gid in `passwd` (the `/etc/passwd` format); root is refused.
fn lookup(passwd: &str, user: &str) -> Result<Account> {
    let fields = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&user))
        .ok_or_else(|| {
            BrowserError::Launch(format!(
                "the browser account `{user}` does not exist (see scripts/setup)"
            ))
        })?;
    let id = |i: usize| fields.get(i).and_then(|v| v.parse::<u32>().ok());
    match (id(2), id(3)) {
        (Some(0), _) | (_, Some(0)) => Err(BrowserError::Launch(format!(
            "the browser account `{user}` is root"
        ))),
        (Some(uid), Some(gid)) => Ok(Account { uid, gid }),
        _ => Err(BrowserError::Launch(format!(
            "the browser account `{user}` has a malformed /etc/passwd entry"
        ))),
    }
}

/// `s` single-quoted for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        toor:x:0:5::/:/bin/sh\nbroken:x:abc:1::/:/bin/sh\n";

    #[test]
    fn accounts_are_looked_up_and_root_is_refused() {
        assert_eq!(
            lookup(PASSWD, "nobody").ok(),
            Some(Account {
                uid: 65534,
                gid: 65534
            })
        );
        for refused in ["root", "toor", "broken", "absent", "nob"] {
            assert!(lookup(PASSWD, refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn the_launcher_quotes_its_paths() {
        assert_eq!(sh_quote("/usr/bin/chromium"), "'/usr/bin/chromium'");
        assert_eq!(sh_quote("/a b/it's"), "'/a b/it'\\''s'");
    }

    #[test]
    fn the_environment_is_cleared_but_for_path_home_and_xdg() {
        let c = Confinement {
            account: Some(Account { uid: 1, gid: 2 }),
            setpriv: Some("/usr/bin/setpriv".into()),
        };
        let cmd = c.command(Path::new("/usr/bin/chromedriver"), Path::new("/tmp/b"));
        let std = cmd.as_std();
        assert_eq!(std.get_program(), "/usr/bin/setpriv");
        let args: Vec<_> = std
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        for want in [
            "--reuid=1",
            "--regid=2",
            "--clear-groups",
            "--pdeathsig=KILL",
        ] {
            assert!(args.iter().any(|a| a == want), "{want} in {args:?}");
        }
        assert_eq!(
            args.last().map(String::as_str),
            Some("/usr/bin/chromedriver")
        );
        let vars: Vec<_> = std
            .get_envs()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            vars.len(),
            6,
            "PATH, HOME and four XDG/temp variables: {vars:?}"
        );
    }
}
