//! Running the three contenders as child processes: `pont run` on a robot
//! config written here, the native job and the Python job. Each run is timed
//! from just before the spawn to its exit; its CPU time (user + system) is
//! the kernel's count for the reaped child, and its peak resident memory is
//! sampled from `/proc` while it runs.

use std::fmt::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::sandbox::TOKEN;

/// The variable the robot configs name for the DS token.
const TOKEN_VAR: &str = "PONT_BENCH_DS_TOKEN";
/// An instructeur of démarche 101's first groupe (mutations only; unused by reads).
const INSTRUCTEUR: &str = "agent1.g1.chorus-subvention@sandbox.gouv.fr";
/// How often the child's memory is sampled.
const SAMPLE: Duration = Duration::from_millis(10);
/// No benchmark run may last longer than this.
const MAX_RUN: Duration = Duration::from_secs(900);

/// What one child process did.
#[derive(Debug)]
pub struct Finished {
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// Unix time of the spawn, in nanoseconds.
    pub spawned_ns: u128,
    /// Peak resident set (VmHWM), in KiB, as last seen before the exit.
    pub peak_kib: u64,
    /// CPU time of the child, user plus system (`wait4`'s rusage).
    pub cpu: Duration,
    /// Its standard output, parsed as JSON.
    pub out: Value,
}

/// The paths a run needs.
#[derive(Debug, Clone)]
pub struct Tools {
    pub pont: PathBuf,
    pub native: PathBuf,
    pub robot: PathBuf,
    pub manifest: PathBuf,
    /// The same robot in Python (`tests/fixtures/bench-py`, `check` mode only).
    pub robot_py: PathBuf,
    pub manifest_py: PathBuf,
    pub python_job: PathBuf,
    /// The interpreter itself, not a version manager's shim (pyenv's runs
    /// bash and itself before Python, which would be counted as Python's).
    pub python_exe: PathBuf,
    pub graphql: PathBuf,
    pub work: PathBuf,
    pub cache: PathBuf,
}

pub fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// What the kernel counted for a child once reaped (`wait4(2)`): exact, where
/// sampling `/proc` would miss the CPU of a short run. (Its `ru_maxrss` is
/// not used: Linux counts in it the resident set the child had before
/// `exec`, a copy of this harness's.)
struct Reaped {
    status: ExitStatus,
    user: Duration,
    sys: Duration,
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// Block until the child `pid` exits and reap it with its resource usage.
#[allow(unsafe_code)]
fn wait4(pid: i32) -> std::io::Result<Reaped> {
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, for which all zeroes is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both out-pointers point to locals that outlive the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(Reaped {
        status: ExitStatus::from_raw(status),
        user: timeval(ru.ru_utime),
        sys: timeval(ru.ru_stime),
    })
}

fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run `cmd` to its end, its stdout going to `out` (a pipe could fill up and
/// stall a child that prints a large JSON summary). The wall time runs from
/// just before the spawn to the moment `wait4` returns, on a thread of its
/// own; CPU (user + system) is the kernel's count for the reaped child; the
/// peak resident set is sampled from `/proc` meanwhile.
fn finish(mut cmd: Command, out: &Path, codes: &[i32]) -> anyhow::Result<Finished> {
    let stdout = std::fs::File::create(out)?;
    let stderr = std::fs::File::create(out.with_extension("stderr"))?;
    cmd.stdout(stdout).stderr(stderr).stdin(Stdio::null());
    let spawned_ns = unix_ns();
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("spawning {cmd:?}"))?;
    let pid = i32::try_from(child.id())?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send((wait4(pid), Instant::now()));
    });
    let mut peak = 0;
    let (reaped, ended) = loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        match rx.recv_timeout(SAMPLE) {
            Ok((reaped, ended)) => break (reaped?, ended),
            Err(_) if started.elapsed() > MAX_RUN => {
                let _ = child.kill();
                bail!("{cmd:?} ran longer than {MAX_RUN:?}");
            }
            Err(_) => {}
        }
    };
    let status = reaped.status;
    let wall = ended.duration_since(started);
    if !status.code().is_some_and(|c| codes.contains(&c)) {
        let err = std::fs::read_to_string(out.with_extension("stderr")).unwrap_or_default();
        let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        bail!("{cmd:?} exited with {status}: {tail}");
    }
    let text = std::fs::read_to_string(out)?;
    let out: Value = serde_json::from_str(text.trim())
        .with_context(|| format!("parsing the output of {cmd:?}"))?;
    Ok(Finished {
        wall,
        spawned_ns,
        peak_kib: peak,
        cpu: reaped.user + reaped.sys,
        out,
    })
}

/// The job as a native program on `pont-ds`.
pub fn native(t: &Tools, endpoint: &str, demarche: i64) -> anyhow::Result<Finished> {
    let mut cmd = Command::new(&t.native);
    cmd.args([endpoint, TOKEN, &demarche.to_string()]);
    finish(cmd, &t.work.join("native.json"), &[0])
}

/// The job as a Python script with `requests`.
pub fn python(t: &Tools, endpoint: &str, demarche: i64) -> anyhow::Result<Finished> {
    let mut cmd = Command::new(&t.python_exe);
    cmd.arg(&t.python_job)
        .args([endpoint, TOKEN, &demarche.to_string()])
        .arg(&t.graphql);
    finish(cmd, &t.work.join("python.json"), &[0])
}

/// Where the robot's items come from.
#[derive(Debug, Clone)]
pub enum Queue {
    Demarche(i64),
    Dossiers(Vec<i64>),
}

/// One `pont run` of the bench robot.
#[derive(Debug, Clone)]
pub struct PontJob {
    /// The robot's `mode` setting (`check`, `read`, `noop`).
    pub mode: &'static str,
    pub queue: Queue,
    pub parallel: u16,
    /// The DS budget the host keeps to; `None` runs without DS at all.
    pub requests_per_minute: Option<u32>,
    /// Extra `[settings]` lines (`calls = "…"`).
    pub settings: Vec<(&'static str, String)>,
    /// Compiled-component cache; `None` uses the suite's warm one.
    pub cache: Option<PathBuf>,
    /// The DS token the host uses.
    pub token: &'static str,
    /// Keep the journal of an earlier run with the same tag (as an operator's
    /// scheduled runs do) instead of starting from a new one.
    pub keep_journal: bool,
    /// Run the Python port of the robot instead of the Rust one.
    pub python: bool,
    /// Run the robot as non-idempotent (its manifest says `idempotent =
    /// false`): each item's claim is then durable before `process` starts.
    pub durable_claim: bool,
    /// Items may fail (a run under injected faults): the run is not refused.
    pub allow_failed: bool,
}

impl PontJob {
    pub fn new(mode: &'static str, queue: Queue) -> Self {
        Self {
            mode,
            queue,
            parallel: 1,
            requests_per_minute: Some(1_000_000_000),
            settings: Vec::new(),
            cache: None,
            token: TOKEN,
            keep_journal: false,
            python: false,
            durable_claim: false,
            allow_failed: false,
        }
    }
}

/// The manifest for runs without DS: the robot's own one requests `ds`,
/// which a config must then grant.
fn manifest_without_ds(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("pont-no-ds.toml");
    std::fs::write(
        &path,
        "[robot]\nname = \"bench-robot\"\nversion = \"0.1.0\"\npublisher = \"Pont benchmarks\"\n\
         idempotent = true\n\n[requests]\nlog = true\nstate = true\n",
    )?;
    Ok(path)
}

/// A copy of `manifest` that declares `process` not idempotent.
fn not_idempotent(manifest: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let text = std::fs::read_to_string(manifest)?;
    if !text.contains("idempotent = true") {
        bail!("{} does not say `idempotent = true`", manifest.display());
    }
    let path = dir.join("pont-durable-claim.toml");
    std::fs::write(
        &path,
        text.replace("idempotent = true", "idempotent = false"),
    )?;
    Ok(path)
}

/// Write the robot config of `job` into a fresh directory (so its journal is
/// new and every dossier runs) and run it.
pub fn pont(t: &Tools, endpoint: &str, job: &PontJob, tag: &str) -> anyhow::Result<Finished> {
    let dir = t.work.join(tag);
    if dir.exists() && !job.keep_journal {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let (robot, manifest) = match (job.python, job.requests_per_minute) {
        (true, _) => (&t.robot_py, t.manifest_py.clone()),
        (false, Some(_)) => (&t.robot, t.manifest.clone()),
        (false, None) => (&t.robot, manifest_without_ds(&dir)?),
    };
    let manifest = match job.durable_claim {
        true => not_idempotent(&manifest, &dir)?,
        false => manifest,
    };
    let cache = job.cache.clone().unwrap_or_else(|| t.cache.clone());
    let mut toml = String::new();
    writeln!(
        toml,
        "[plugin]\npath = {:?}\nmanifest = {:?}\n\n[grant]\nlog = true\nstate = true\n",
        robot.display().to_string(),
        manifest.display().to_string()
    )?;
    if let Some(rpm) = job.requests_per_minute {
        writeln!(
            toml,
            "[grant.ds]\ndemarches = [101]\nactions = [\"read\"]\n\n[ds]\nendpoint = {endpoint:?}\n\
             token = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = {INSTRUCTEUR:?}\nrequests-per-minute = {rpm}\n"
        )?;
    }
    writeln!(
        toml,
        "[limits]\nitem-timeout-secs = 120\n\n[paths]\njournal = {:?}\naudit = {:?}\ncache = {:?}\n",
        dir.join("journal.sqlite").display().to_string(),
        dir.join("audit.jsonl").display().to_string(),
        cache.display().to_string()
    )?;
    match &job.queue {
        Queue::Demarche(d) => writeln!(toml, "[queue]\ndemarche = {d}\nincremental = false\n")?,
        Queue::Dossiers(list) => writeln!(toml, "[queue]\ndossiers = {list:?}\n")?,
    }
    writeln!(toml, "[settings]\nmode = {:?}", job.mode)?;
    for (k, v) in &job.settings {
        writeln!(toml, "{k} = {v:?}")?;
    }
    let config = dir.join("robot.toml");
    std::fs::write(&config, toml)?;
    let mut cmd = Command::new(&t.pont);
    cmd.arg("run")
        .arg(&config)
        .args(["--json", "--allow-unsigned", "--parallel"])
        .arg(job.parallel.to_string())
        .env(TOKEN_VAR, job.token);
    // Exit 3: items failed (under injected faults, some may).
    let codes: &[i32] = if job.allow_failed { &[0, 3] } else { &[0] };
    let done = finish(cmd, &dir.join("summary.json"), codes)?;
    let failed = done.out["failed"].as_u64().unwrap_or(0);
    if failed > 0 && !job.allow_failed {
        bail!("{tag}: {failed} items failed (see {})", dir.display());
    }
    Ok(done)
}

/// The `key=value` fields of an item's note.
pub fn note_fields(item: &Value) -> Vec<(String, String)> {
    item["reason"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The value of `key` in an item's note.
pub fn note(item: &Value, key: &str) -> Option<String> {
    note_fields(item)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}
