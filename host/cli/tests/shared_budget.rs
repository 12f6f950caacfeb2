//! One DS budget per token across processes: two `pont run` at once on the
//! same token draw from one budget (a locked file in the cache directory),
//! so together they stay within DS's limit and DS never answers 429.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Ran;
use pont_sandbox::Sandbox;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_test_artifacts::{fixture_manifest, wasm};

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const TOKEN: &str = "sandbox-rw-all";
const DEMARCHE: i64 = 101;
/// The sandbox's limit, and each run's own budget: 20 requests per 2 s.
const LIMIT: u32 = 20;
const WINDOW_SECS: u64 = 2;
const PER_RUN: i64 = 10;

/// A robot config working `dossiers` in DS (en instruction, then accepted),
/// with its own journal and audit log but the cache directory `cache`.
fn config(dir: &Path, name: &str, sb: &Sandbox, dossiers: &[i64]) -> PathBuf {
    let text = format!(
        "[plugin]\npath = {plugin:?}\nmanifest = {manifest:?}\n\n\
         [paths]\njournal = \"{name}.sqlite\"\naudit = \"{name}.jsonl\"\ncache = \"cache\"\n\n\
         [ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\n\
         requests-per-minute = {LIMIT}\nrate-window-secs = {WINDOW_SECS}\n\n\
         [grant]\nlog = true\n\n[grant.ds]\ndemarches = [{DEMARCHE}]\n\
         actions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n\
         [queue]\ndossiers = {dossiers:?}\n\n[settings]\nds = \"true\"\n",
        plugin = wasm("scripted").display().to_string(),
        manifest = fixture_manifest("scripted").display().to_string(),
        ds = sb.ds_url(),
        instructeur = robot_instructeur_email(DEMARCHE).unwrap(),
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn spawn(cfg: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", "--json", "--parallel", "3"])
        .arg(cfg)
        .env(TOKEN_VAR, TOKEN)
        .env("PONT_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: std::process::Child) -> Ran {
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_on_one_token_share_its_budget_and_draw_no_429() {
    let sb =
        common::seeded_sandbox(DEMARCHE, 2 * PER_RUN as usize, 17, State::EnConstruction).await;
    sb.world().set_rate_limit(LIMIT, WINDOW_SECS);
    let dir = tempfile::tempdir().unwrap();
    let first: Vec<i64> = (1..=PER_RUN).map(|i| DEMARCHE * 100_000 + i).collect();
    let second: Vec<i64> = (PER_RUN + 1..=2 * PER_RUN)
        .map(|i| DEMARCHE * 100_000 + i)
        .collect();
    let (a, b) = (
        config(dir.path(), "a", &sb, &first),
        config(dir.path(), "b", &sb, &second),
    );
    let runs = [spawn(&a), spawn(&b)];
    let ran = tokio::task::spawn_blocking(move || runs.map(finish))
        .await
        .unwrap();
    for r in &ran {
        r.assert_no_panic();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stderr.contains("429"), "a run met a 429:\n{}", r.stderr);
        assert_eq!(
            r.json()["items"].as_array().unwrap().len(),
            PER_RUN as usize
        );
    }
    for n in first.iter().chain(&second) {
        assert_eq!(sb.world().dossier(*n).unwrap().state, State::Accepte, "{n}");
    }
    let counts: Vec<_> = sb
        .world()
        .request_counts()
        .into_iter()
        .filter(|c| c.token == TOKEN)
        .collect();
    for c in &counts {
        assert!(c.allowed <= LIMIT, "window {}: {c:?}", c.window_start);
        assert_eq!(c.throttled, 0, "window {}: {c:?}", c.window_start);
    }
    // The two runs needed several windows together: the budget was contended.
    let total: u32 = counts.iter().map(|c| c.allowed).sum();
    assert!(
        total > 2 * LIMIT,
        "only {total} requests: nothing was shown"
    );
    // The budget file is named by a hash of the token and never holds it.
    let files: Vec<_> = std::fs::read_dir(dir.path().join("cache/ds-budget"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !name.contains(TOKEN) && !text.contains(TOKEN),
        "{name}: {text}"
    );
}
