//! What the console's tests share: a robot config of the scripted test
//! robot against the DS sandbox and a real run of it, accounts, the console
//! served on loopback, and a small HTTP client that keeps its own cookie.

#![allow(dead_code)]

pub mod tab;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pont_console::accounts::Accounts;
use pont_console::{ConsoleState, Options, RobotEntry, ServiceView};
use pont_runtime::journal::Journal;
use pont_sandbox::Sandbox;
use pont_test_artifacts::{fixture_manifest, wasm};

pub const DEMARCHE: i64 = 101;
/// The DS token the config names (in a file): it must never reach a page.
pub const DS_TOKEN: &str = "sandbox-rw-all";
pub const AGENT: &str = "agent.dupont";
pub const PASSWORD: &str = "un mot de passe assez long";

/// A robot config of the scripted robot on démarche 101, with a real run
/// made: the first two dossiers go to review, the others are accepted in DS.
pub struct World {
    pub sb: Sandbox,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub numbers: Vec<i64>,
}

impl World {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn journal(&self) -> PathBuf {
        self.path("journal.sqlite")
    }
    pub fn audit(&self) -> PathBuf {
        self.path("audit.jsonl")
    }
    pub fn accounts(&self) -> PathBuf {
        self.path("users.toml")
    }
}

/// What a world's robot config says beyond the common parts.
struct Robot<'a> {
    /// The fixture robot (`tests/fixtures/<name>`).
    fixture: &'a str,
    actions: &'a str,
    states: &'a str,
    /// Sections after `[budgets]`, each ending with a newline.
    extra: &'a str,
    settings: &'a str,
}

fn config_text(sb: &Sandbox, r: &Robot<'_>) -> String {
    let instructeur = pont_sandbox::seed::robot_instructeur_email(DEMARCHE).unwrap();
    format!(
        "[plugin]\npath = {wasm:?}\nmanifest = {manifest:?}\n\n\
         [ds]\nendpoint = \"{url}\"\ntoken = {{ file = \"ds-token\" }}\ninstructeur = \"{instructeur}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [{actions}]\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [{states}]\nretry-backoff-ms = 10\n\n\
         [budgets]\nds = 1000000\n\n{extra}\
         [paths]\njournal = \"journal.sqlite\"\naudit = \"audit.jsonl\"\ncache = \"cache\"\n\n\
         [settings]\n{settings}",
        wasm = wasm(r.fixture).display().to_string(),
        manifest = fixture_manifest(r.fixture).display().to_string(),
        url = sb.ds_url(),
        actions = r.actions,
        states = r.states,
        extra = r.extra,
        settings = r.settings,
    )
}

/// The sandbox on démarche [`DEMARCHE`] with `dossiers` in `state`.
async fn sandbox(dossiers: usize, state: pont_sandbox::model::State) -> (Sandbox, Vec<i64>) {
    let sb = Sandbox::seeded(DEMARCHE, dossiers, 19, state)
        .await
        .unwrap();
    let numbers: Vec<i64> = sb.world().lock().dossiers.keys().copied().collect();
    (sb, numbers)
}

fn world_of(sb: Sandbox, numbers: Vec<i64>, robot: &Robot<'_>) -> World {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ds-token"), DS_TOKEN).unwrap();
    let config = dir.path().join("robot.toml");
    std::fs::write(&config, config_text(&sb, robot)).unwrap();
    World {
        sb,
        dir,
        config,
        numbers,
    }
}

/// The sandbox with `dossiers` en construction, the config, and one run.
pub async fn world(dossiers: usize) -> World {
    let (sb, numbers) = sandbox(dossiers, pont_sandbox::model::State::EnConstruction).await;
    let review = format!("{},{}", numbers[0], numbers[1]);
    let settings = format!("ds = \"true\"\nreview = \"{review}\"\n");
    let robot = Robot {
        fixture: "scripted",
        actions: "\"read\", \"passer-en-instruction\", \"accepter\"",
        states: "\"en_construction\"",
        extra: "",
        settings: &settings,
    };
    let world = world_of(sb, numbers, &robot);
    let report = run(&world).await;
    assert_eq!(report.needs_review, 2, "{report:?}");
    world
}

/// The DS instructeur an agent's account maps to in the approval tests: a
/// person of the dossiers' groupe (the robot has its own account).
pub const AGENT_INSTRUCTEUR: &str = "agent1.g1.chorus-subvention@sandbox.gouv.fr";
/// The motivation the `refuser` robot gives when it refuses dossier `n`.
pub fn robot_motivation(n: i64) -> String {
    format!("Pièce justificative manquante (dossier {n})")
}

/// The `refuser` robot (A's four-eyes fixture, configured as
/// host/cli/tests/approval_kit does), refusing every dossier en instruction under `[approval]
/// required = ["refuser"]`, `on-reject` as given, and one run made: every
/// dossier has a pending proposal and nothing reached DS. The dossiers are
/// all in the first groupe, where [`AGENT_INSTRUCTEUR`] instructs.
pub async fn approval_world(dossiers: usize, on_reject: &str) -> World {
    let (sb, numbers) = sandbox(dossiers, pont_sandbox::model::State::EnInstruction).await;
    for d in sb.world().lock().dossiers.values_mut() {
        Arc::make_mut(d).groupe = DEMARCHE * 10 + 1;
    }
    let extra = format!("[approval]\nrequired = [\"refuser\"]\non-reject = \"{on_reject}\"\n\n");
    let robot = Robot {
        fixture: "refuser",
        actions: "\"read\", \"passer-en-instruction\", \"refuser\", \"message\"",
        states: "\"en_instruction\"",
        extra: &extra,
        settings: "",
    };
    let world = world_of(sb, numbers, &robot);
    let report = run(&world).await;
    assert_eq!(report.waiting as usize, dossiers, "{report:?}");
    assert!(
        world.sb.world().mutation_log().is_empty(),
        "nothing reaches DS"
    );
    world
}

/// The pending proposals of the world's robot, oldest first.
pub fn pending(world: &World) -> Vec<pont_runtime::approval::Proposal> {
    let journal = Journal::open(&world.journal()).unwrap();
    journal
        .proposals(
            "refuser",
            Some(pont_runtime::approval::ProposalStatus::Pending),
            true,
            1000,
        )
        .unwrap()
}

/// The agent's account, mapped to [`AGENT_INSTRUCTEUR`].
pub fn add_agent_instructeur(accounts: &Path) {
    Accounts::new(accounts)
        .add_with(AGENT, PASSWORD, false, Some(AGENT_INSTRUCTEUR))
        .unwrap();
}

/// A real run of the world's robot, in this process.
pub async fn run(world: &World) -> pont_runtime::RunReport {
    let mut opts = pont_runtime::RunOptions::new(world.config.clone());
    opts.allow_unsigned = true;
    pont_runtime::run(&opts).await.unwrap()
}

/// A service that reports a fixed next run and counts the runs asked for.
#[derive(Default)]
pub struct FakeService {
    pub requested: Mutex<Vec<String>>,
}

pub const NEXT_RUN: &str = "2031-05-04T03:02:01Z";

impl ServiceView for FakeService {
    fn next_run(&self, _robot: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::parse_from_rfc3339(NEXT_RUN)
            .ok()
            .map(|t| t.to_utc())
    }
    fn is_running(&self, _robot: &str) -> bool {
        false
    }
    fn request_run(&self, robot: &str) -> bool {
        self.requested.lock().unwrap().push(robot.to_string());
        true
    }
}

pub fn add_agent(accounts: &Path) {
    Accounts::new(accounts).add(AGENT, PASSWORD, false).unwrap();
}

/// The console over `robots`, with the agent's account, and its options.
pub fn state_with(
    accounts: &Path,
    robots: Vec<RobotEntry>,
    service: Arc<dyn ServiceView>,
    options: Options,
) -> ConsoleState {
    if Accounts::new(accounts).find(AGENT).unwrap().is_none() {
        add_agent(accounts);
    }
    ConsoleState::with_options(accounts, robots, service, options).unwrap()
}

/// Serve the console on a loopback port; it stops with the test's runtime.
pub async fn serve(state: ConsoleState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = pont_console::router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// An HTTP client that follows no redirect and keeps one session cookie by
/// hand, so the tests see (and can forge) exactly what is sent.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
}

pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Vec<String>,
    pub body: String,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", format!("pont_console={c}")),
            None => req,
        };
        let r = req.send().await.unwrap();
        let header = |name: &str| -> Vec<String> {
            r.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect()
        };
        let set_cookie = header("set-cookie");
        let location = header("location").into_iter().next();
        for c in &set_cookie {
            let value = c
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("pont_console=");
            self.cookie = (!value.is_empty()).then(|| value.to_string());
        }
        let status = r.status().as_u16();
        Answer {
            status,
            location,
            set_cookie,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(form).unwrap();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Open the login form and log in; returns the session's CSRF token.
    pub async fn login(&mut self, name: &str, password: &str) -> Answer {
        let form = self.get("/console/connexion").await;
        let csrf = csrf_of(&form.body);
        self.post(
            "/console/connexion",
            &[("csrf", &csrf), ("nom", name), ("mot_de_passe", password)],
        )
        .await
    }

    /// The CSRF token of the logged-in session, read from the dashboard.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/console/").await;
        assert_eq!(page.status, 200, "{}", page.body);
        csrf_of(&page.body)
    }
}

/// The value of the first `csrf` hidden input of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// The records of an audit file, as JSON.
pub fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `pont audit verify --config`'s check of the world's audit file.
pub fn verify(world: &World) -> pont_policy::Intact {
    pont_policy::verify_audit_with(
        &world.audit(),
        Some(&world.journal()),
        Some(&pont_runtime::journal::JournalSealBook),
    )
    .unwrap_or_else(|b| panic!("audit log broken: {b}"))
}
