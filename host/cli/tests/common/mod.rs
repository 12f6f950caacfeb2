//! Helpers for running the real `pont` binary against robot configs written
//! into a temporary directory.

#![allow(dead_code)]

/// Permits from a real gate for the tests' own DS reads (pont-ds takes one per call).
#[path = "../../../ds/tests/permits/mod.rs"]
pub mod ds_permits;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The single error line `pont` prints on failure.
    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| l.starts_with("pont: error: "))
            .unwrap_or_else(|| panic!("no error line in stderr:\n{}", self.stderr))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked"),
            "the host panicked:\n{}",
            self.stderr
        );
    }
}

impl Default for Env {
    fn default() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Env {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write a robot config running `wasm` with `manifest`, with extra TOML
    /// (grants, limits, queue) appended.
    pub fn config(&self, wasm: &Path, manifest: &Path, extra: &str) -> PathBuf {
        let text = format!(
            "[plugin]\npath = {:?}\nmanifest = {:?}\n\n[paths]\njournal = \"journal.sqlite\"\naudit = \"audit.jsonl\"\ncache = \"cache\"\n\n{extra}\n",
            wasm.display().to_string(),
            manifest.display().to_string()
        );
        let path = self.path("robot.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn pont(&self, args: &[&str]) -> Ran {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(args)
            .env("PONT_LOG", "info")
            .env("NO_COLOR", "1")
            .output()
            .expect("running pont");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.path("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Run the real `pont` binary with `args` and the extra environment `vars`.
pub fn run_pont(args: &[&str], vars: &[(&str, &str)]) -> Ran {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(args)
        .envs(vars.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .expect("running pont");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The request bodies the simulator received that a robot's DS egress is made
/// of: mutations, direct-upload requests and uploaded files (the host's own
/// reads, and the robot's reads, are not egress).
pub fn robot_ds_bodies(sb: &pont_sandbox::Sandbox) -> Vec<pont_sandbox::received::ReceivedBody> {
    const READS: [&str; 3] = ["DossierStatus", "DossierMessages", "DossiersPage"];
    sb.world()
        .received
        .all()
        .into_iter()
        .filter(|b| {
            let op = b.operation.as_str();
            (op.starts_with("Dossier") && !READS.contains(&op))
                || op == "CreateDirectUpload"
                || op == "upload"
        })
        .collect()
}

/// A sandbox whose `demarche` holds `dossiers` in `state`, generated from
/// `seed` (the other démarches are empty), with DS's rate limit out of the
/// way (the limiter has its own tests).
pub async fn seeded_sandbox(
    demarche: i64,
    dossiers: usize,
    seed: u64,
    state: pont_sandbox::model::State,
) -> pont_sandbox::Sandbox {
    pont_sandbox::Sandbox::seeded(demarche, dossiers, seed, state)
        .await
        .unwrap()
}
