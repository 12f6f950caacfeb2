//! A throw-away PostgreSQL server for tests, from Debian's `postgresql` package.
//!
//! Each [`PgServer`] is its own cluster: `initdb` in a fresh temporary directory, `pg_ctl start`
//! on `127.0.0.1` and a free port, its unix socket inside that directory (so parallel tests never
//! meet), trust authentication for the `postgres` superuser (loopback only). Durability is traded
//! for speed: `fsync`, `synchronous_commit` and `full_page_writes` are off, which loses nothing a
//! test needs (a crash of the *machine* could corrupt the cluster; the cluster dies with the test
//! anyway). Dropping the server stops it (`pg_ctl stop -m immediate`) and removes the directory.
//!
//! PostgreSQL refuses to run as root, and tests here (and in CI) run as root: the server
//! commands then run as the `postgres` account that Debian's package creates (see `account.rs`).
//! A machine without PostgreSQL gets an error naming the package, never a silent skip: a test
//! that quietly does not run is a test CI believes passed.

mod account;
mod bins;

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use account::Account;
use bins::Bins;

/// The superuser `initdb` creates; tests connect as it.
pub const SUPERUSER: &str = "postgres";

/// How long `pg_ctl` may wait for the server to accept connections, in seconds.
const READY_SECS: u32 = 30;

/// Attempts at starting on a fresh free port (another process may take the port between
/// our probe and the server's bind).
const START_ATTEMPTS: usize = 3;

/// Settings appended to `postgresql.conf`: loopback only, speed over durability, small memory
/// (several servers may run at once on a 2-core CI machine). The port and the socket directory
/// are given to each start (`pg_ctl -o "-p PORT -k DIR"`).
const SETTINGS: &str = "\n# pont-test-pg\nlisten_addresses = '127.0.0.1'\n\
    fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
    shared_buffers = 16MB\nmax_connections = 50\nlog_min_messages = warning\n";

/// A running PostgreSQL cluster, stopped and deleted on drop.
#[derive(Debug)]
pub struct PgServer {
    cluster: Cluster,
    port: u16,
}

/// The parts of a cluster that outlive one start attempt.
#[derive(Debug)]
struct Cluster {
    dir: tempfile::TempDir,
    bins: Bins,
    account: Account,
}

impl PgServer {
    /// Starts a new cluster with the binaries found in `$PONT_PG_BIN` if set, else beside the
    /// `initdb` on `PATH`, else in the newest `/usr/lib/postgresql/<version>/bin` (where Debian
    /// puts them, off `PATH`).
    pub fn start() -> Result<PgServer, String> {
        Self::launch(Bins::find()?)
    }

    /// Starts a new cluster with the `initdb` and `pg_ctl` in `bin_dir`.
    pub fn start_from(bin_dir: &Path) -> Result<PgServer, String> {
        Self::launch(Bins::in_dir(bin_dir)?)
    }

    fn launch(bins: Bins) -> Result<PgServer, String> {
        let cluster = Cluster::init(bins)?;
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            match cluster.start(port) {
                Ok(()) => return Ok(PgServer { cluster, port }),
                Err(e) => last = e,
            }
            cluster.stop();
        }
        Err(format!(
            "PostgreSQL did not start in {START_ATTEMPTS} attempts: {last}"
        ))
    }

    /// The URL of the `postgres` database, as the superuser, over TCP on loopback.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of database `name` on this server.
    pub fn url_for(&self, name: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{name}", self.port)
    }

    /// The TCP port the server listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory (inside the temporary directory removed on drop).
    pub fn data_dir(&self) -> PathBuf {
        self.cluster.data_dir()
    }

    /// Creates database `name` (lower-case letters, digits and `_`, at most 63, not starting
    /// with a digit) and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        check_database_name(name)?;
        let mut cmd = Command::new(self.cluster.bins.tool("createdb"));
        cmd.args(["-h", "127.0.0.1", "-U", SUPERUSER, "-w", "-p"]);
        cmd.arg(self.port.to_string()).arg(name);
        run(&mut cmd, "createdb")?;
        Ok(self.url_for(name))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.cluster.stop();
    }
}

impl Cluster {
    /// A fresh temporary directory given to the server's account, and `initdb` in it.
    fn init(bins: Bins) -> Result<Cluster, String> {
        let account = Account::for_server()?;
        let dir = tempfile::Builder::new()
            .prefix("pont-pg-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory for PostgreSQL: {e}"))?;
        account.give(dir.path())?;
        let cluster = Cluster { dir, bins, account };
        cluster.initdb()?;
        Ok(cluster)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `initdb`: UTF-8, C locale, trust auth, no fsync, then our settings.
    fn initdb(&self) -> Result<(), String> {
        let data = self.data_dir();
        let mut cmd = self
            .account
            .command(&self.bins.tool("initdb"), self.dir.path());
        cmd.arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8"]);
        cmd.args(["--locale=C", "--no-sync", "--no-instructions"]);
        run(&mut cmd, "initdb").map_err(|e| {
            format!(
                "{e} (the directory {} must be reachable by {})",
                data.display(),
                self.account
            )
        })?;
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)
            .map_err(|e| format!("cannot read {}: {e}", conf.display()))?;
        text.push_str(SETTINGS);
        std::fs::write(&conf, text).map_err(|e| format!("cannot write {}: {e}", conf.display()))
    }

    /// `pg_ctl start` on `port`, waiting at most [`READY_SECS`], then `pg_isready` over TCP.
    fn start(&self, port: u16) -> Result<(), String> {
        let log = self.dir.path().join("server.log");
        let options = format!("-p {port} -k {}", self.dir.path().display());
        let mut cmd = self.pg_ctl("start");
        cmd.arg("-w").args(["-t", &READY_SECS.to_string()]);
        cmd.arg("-o").arg(options).arg("-l").arg(&log);
        if let Err(e) = run(&mut cmd, "pg_ctl start") {
            return Err(format!("{e}; server log: {}", tail(&log)));
        }
        let mut ready = Command::new(self.bins.tool("pg_isready"));
        ready
            .args(["-h", "127.0.0.1", "-t", "5", "-p"])
            .arg(port.to_string());
        run(&mut ready, "pg_isready").map(drop)
    }

    /// `pg_ctl stop -m immediate`: best effort, since a server that never came up answers
    /// "no server running", and a drop has nobody to report to.
    fn stop(&self) {
        let mut cmd = self.pg_ctl("stop");
        cmd.args(["-m", "immediate", "-w", "-t", "10"]);
        let _ = cmd.output();
    }

    /// A `pg_ctl ACTION -D data -s` command, run as the server's account.
    fn pg_ctl(&self, action: &str) -> Command {
        let mut cmd = self
            .account
            .command(&self.bins.tool("pg_ctl"), self.dir.path());
        cmd.arg(action).arg("-D").arg(self.data_dir()).arg("-s");
        cmd
    }
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no local address: {e}"))
}

fn check_database_name(name: &str) -> Result<(), String> {
    let first_ok = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && name.len() <= 63 {
        Ok(())
    } else {
        Err(format!(
            "bad database name {name:?}: use 1 to 63 of a-z, 0-9 and _, not starting with a digit"
        ))
    }
}

/// Runs `cmd`; a failure to spawn or a non-zero exit is an error with the tail of its output.
fn run(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(out);
    }
    let text = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
    Err(format!(
        "{what} failed ({}): {}",
        out.status,
        last_lines(&text)
    ))
}

/// The end of the server log, for a start that failed.
fn tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => last_lines(&text),
        Err(e) => format!("(unreadable: {e})"),
    }
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
