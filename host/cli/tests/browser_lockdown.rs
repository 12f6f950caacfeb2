//! The browser's network lock-down and its processes, end to end through `pont run` (issue
//! "Trust by construction"): a granted host *name* that resolves to loopback is refused by the
//! browser proxy (a literal grant still works), a page request past its origin's byte budget
//! is refused, each refusal audited with the run going on; and no Chromium or chromedriver of
//! a run outlives its SIGKILL. The robot is `browser-robot` in `lockdown` mode.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Env, Ran};
use pont_ds::DossierFilter;
use pont_sandbox::Sandbox;
use pont_sandbox::model::State;
use pont_test_artifacts::{fixture_manifest, wasm};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const CPS_VAR: &str = "PONT_TEST_CPS_PASSWORD";
const DEMARCHE: i64 = 101;
/// The page origin's budget: its page loads fit, the page's 20 kB post does not.
const PAGE_BUDGET: u64 = 12_000;
const POST_BYTES: usize = 20_000;

/// Request lines the page server received.
type Seen = Arc<Mutex<Vec<String>>>;

/// Serves `/budget`, a page whose own script posts [`POST_BYTES`] to `/sink`, and a plain
/// page for any other path; both end up showing `#done`. Records every request line.
async fn page_server() -> (String, Seen, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let wait = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf));
                let n = wait.await.ok().and_then(Result::ok).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let line = head.lines().next().unwrap_or_default().to_string();
                let html = page(&line);
                log.lock().unwrap().push(line);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = conn.write_all(resp.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, seen, task)
}

fn page(request_line: &str) -> String {
    if !request_line.starts_with("GET /budget") {
        return "<!doctype html><p id=\"done\">ready</p>".into();
    }
    format!(
        "<!doctype html><p>posting</p><script>\
         fetch('/sink',{{method:'POST',body:'x'.repeat({POST_BYTES})}})\
         .then(function(r){{return 'status '+r.status;}},function(){{return 'blocked';}})\
         .then(function(t){{var p=document.createElement('p');p.id='done';\
         p.textContent=t;document.body.appendChild(p);}});</script>"
    )
}

async fn sandbox() -> Sandbox {
    common::seeded_sandbox(DEMARCHE, 3, 1, State::EnConstruction).await
}

/// `count` dossier numbers of the démarche.
async fn dossiers(sb: &Sandbox, count: usize) -> Vec<i64> {
    let client = pont_ds::DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap();
    let listing = common::ds_permits::listing(DEMARCHE);
    let page = client
        .dossiers(&listing, DEMARCHE, &DossierFilter::default(), None)
        .await
        .unwrap();
    let numbers: Vec<i64> = page.items.iter().map(|d| d.number).take(count).collect();
    assert_eq!(numbers.len(), count, "seeded dossiers");
    numbers
}

/// A config for `browser-robot` in `lockdown` mode: `page` granted literally, `named` by
/// name, one case per dossier, and `budgets` (a `[budgets]` table, or nothing).
fn config(env: &Env, sb: &Sandbox, page: &str, named: &str, cases: &[(i64, &str)]) -> PathBuf {
    let budgets = format!("[budgets]\n\"{page}\" = {PAGE_BUDGET}\n\n");
    let queue: Vec<String> = cases.iter().map(|(n, _)| n.to_string()).collect();
    let mut settings = format!(
        "mode = \"lockdown\"\npage = \"{page}/\"\nbudget = \"{page}/budget\"\nnamed = \"{named}/named\"\n"
    );
    for (n, case) in cases {
        settings.push_str(&format!("\"{n}\" = \"{case}\"\n"));
    }
    let extra = format!(
        "[ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\n\n\
         [grant]\nlog = true\n\n[grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\"]\n\n\
         [grant.browser.page]\norigin = \"{page}\"\n\n\
         [grant.browser.named]\norigin = \"{named}\"\n\n\
         [grant.browser.chorus]\norigin = \"http://127.0.0.1:9\"\n\n\
         [grant.browser.cps]\norigin = \"http://127.0.0.1:10\"\n\n\
         [grant.browser.actes]\norigin = \"http://127.0.0.1:11\"\n\n\
         [grant.secrets.cps-password]\nenv = \"{CPS_VAR}\"\napps = [\"cps\"]\n\n\
         {budgets}[limits]\nitem-timeout-secs = 60\n\n\
         [queue]\ndossiers = [{queue}]\n\n[settings]\n{settings}",
        ds = sb.ds_url(),
        instructeur = pont_sandbox::seed::robot_instructeur_email(DEMARCHE).unwrap(),
        queue = queue.join(", "),
    );
    env.config(
        &wasm("browser-robot"),
        &fixture_manifest("browser-robot"),
        &extra,
    )
}

fn pont(cfg: &std::path::Path, json: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pont"));
    cmd.arg("run").arg("--allow-unsigned");
    if json {
        cmd.arg("--json");
    }
    cmd.arg(cfg)
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env(CPS_VAR, "unused")
        .env("NO_COLOR", "1");
    cmd
}

fn ran(out: std::process::Output) -> Ran {
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_to_loopback_and_bytes_past_a_budget_are_refused_audited_and_the_run_goes_on() {
    let sb = sandbox().await;
    let (page, seen, server) = page_server().await;
    let port = page.rsplit(':').next().unwrap().to_string();
    // A name every machine resolves to loopback without a network.
    let named = format!("http://localhost:{port}");
    let n = dossiers(&sb, 3).await;
    let env = Env::new();
    let cases = [(n[0], "by-name"), (n[1], "page"), (n[2], "budget")];
    let cfg = config(&env, &sb, &page, &named, &cases);
    let out = tokio::task::spawn_blocking(move || pont(&cfg, true).output().unwrap());
    let ran = ran(out.await.unwrap());
    server.abort();
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let items = ran.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "the run went through every case: {items:?}");
    let reason = |k: usize| {
        let it = items.iter().find(|i| i["number"] == n[k]).unwrap();
        assert_eq!(it["status"], "done", "{it}");
        it["reason"].as_str().unwrap().to_string()
    };
    let audit = env.audit();
    let denials = |k: usize| -> Vec<serde_json::Value> {
        let browser = |r: &&serde_json::Value| r["capability"] == "browser";
        let ours = |r: &&serde_json::Value| r["item"] == n[k] && r["decision"] == "deny";
        audit.iter().filter(browser).filter(ours).cloned().collect()
    };
    let seen = seen.lock().unwrap().clone();

    // The name was granted, and resolves to loopback: refused at the proxy, audited.
    let refused = denials(0);
    assert!(
        refused
            .iter()
            .any(|r| r["target"] == named.as_str()
                && r["reason"].as_str().unwrap().contains("loopback")),
        "no audited refusal of {named}: {refused:?} ({})",
        reason(0)
    );
    assert!(!seen.iter().any(|l| l.contains("/named")), "{seen:?}");
    // The same server, granted by its literal address, is reached.
    assert_eq!(reason(1), "page: Ok(\"ready\")");
    assert!(denials(1).is_empty(), "{:?}", denials(1));
    // The page's post would pass its origin's budget: refused before sending, audited.
    let refused = denials(2);
    assert!(
        refused.iter().any(|r| r["target"] == page.as_str()
            && r["reason"].as_str().unwrap().contains("egress budget")),
        "no audited budget refusal: {refused:?} ({})",
        reason(2)
    );
    assert!(
        seen.iter().any(|l| l.starts_with("GET /budget")),
        "{seen:?}"
    );
    assert!(!seen.iter().any(|l| l.contains("/sink")), "{seen:?}");
    let verify = env.pont(&["audit", "verify", env.path("audit.jsonl").to_str().unwrap()]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}

/// `(pid, ppid, command line)` of every live process.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let mut after = stat.rsplit(')').next()?.split_whitespace();
            let state = after.next()?;
            let ppid = after.next()?.parse().ok()?;
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
            (state != "Z" && state != "X").then_some((pid, ppid, cmd))
        })
        .collect()
}

/// The live processes of the browser of the run `root_pid`: its descendants, and whatever
/// names the browser's private directory (Chromium's helpers that left the tree).
fn browser_processes(root_pid: u32) -> Vec<(u32, String)> {
    let all = processes();
    let mut tree = vec![root_pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(all.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    let dirs: Vec<String> = all
        .iter()
        .filter(|p| tree.contains(&p.0))
        .flat_map(|p| p.2.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter_map(|a| a.strip_prefix("--user-data-dir=").map(str::to_string))
        .filter_map(|d| Some(std::path::Path::new(&d).parent()?.display().to_string()))
        .collect();
    all.into_iter()
        .filter(|p| p.0 != root_pid)
        .filter(|p| tree.contains(&p.0) || dirs.iter().any(|d| p.2.contains(d.as_str())))
        .map(|p| (p.0, p.2))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_chromium_or_chromedriver_outlives_a_sigkilled_run() {
    let sb = sandbox().await;
    let (page, seen, server) = page_server().await;
    let n = dossiers(&sb, 1).await;
    let env = Env::new();
    let cfg = config(&env, &sb, &page, "http://127.0.0.1:12", &[(n[0], "hold")]);
    let mut child = pont(&cfg, false)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The session is open once its Chromium has fetched the page; the robot then waits.
    for _ in 0..300 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !seen.lock().unwrap().is_empty(),
        "the page was never loaded"
    );
    let before = browser_processes(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    server.abort();
    assert!(
        before.iter().any(|p| p.1.contains("chromedriver"))
            && before.iter().any(|p| p.1.contains("--user-data-dir=")),
        "chromedriver and Chromium not found: {before:?}"
    );
    let mut left = before.clone();
    for _ in 0..50 {
        let live: Vec<u32> = processes().iter().map(|p| p.0).collect();
        left.retain(|p| live.contains(&p.0));
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "left behind after SIGKILL: {left:?}");
}
