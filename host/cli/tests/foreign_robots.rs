//! Robots as ordinary toolchains make them, run by the real `pont` binary:
//! a hostile Python robot (componentize-py) that reaches for sockets, name
//! lookups, host files, the environment and subprocesses; the Rust sockets
//! fixture; and the JavaScript hello robot (componentize-js). CPython imports
//! `wasi:sockets/*` and every toolchain imports `wasi:filesystem`: the host
//! links them and refuses every call, auditing each refusal, and nothing
//! reaches the loopback listener the attacks aim at.

mod common;

use std::collections::BTreeMap;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Env, Ran};
use pont_test_artifacts::{fixture_manifest, foreign_cache, foreign_wasm, wasm};

/// A variable of the `pont` process the robots must never see.
const SECRET_VAR: &str = "PONT_TEST_FOREIGN_SECRET";
const SECRET: &str = "foreign-robot-secret-8d2e";

/// The Python attacks, with the audited WASI interface each must hit
/// (`None`: refused inside the guest, where there is nothing to reach).
const PYTHON_ATTACKS: [(&str, Option<&str>); 8] = [
    ("tcp-connect", Some("wasi:sockets/")),
    ("udp-send", Some("wasi:sockets/")),
    ("tcp-listen", Some("wasi:sockets/")),
    ("name-lookup", Some("wasi:sockets/ip-name-lookup")),
    ("open-passwd", Some("wasi:filesystem/types")),
    ("environment", None),
    ("subprocess", None),
    ("os-system", None),
];

/// A loopback TCP listener and UDP socket that count what reaches them.
struct Target {
    address: String,
    hits: Arc<AtomicUsize>,
    udp: UdpSocket,
}

fn target() -> Target {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let udp = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    udp.set_nonblocking(true).unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for _ in listener.incoming().take(100) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    Target {
        address: format!("127.0.0.1:{port}"),
        hits,
        udp,
    }
}

/// A robot config for `wasm` sharing the foreign robots' compiled cache.
fn config(env: &Env, wasm: &Path, manifest: &Path, extra: &str) -> std::path::PathBuf {
    let cfg = env.config(wasm, manifest, extra);
    let shared = format!("cache = {:?}", foreign_cache().display().to_string());
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("cache = \"cache\"", &shared)).unwrap();
    cfg
}

fn pont(cfg: &Path) -> Ran {
    let vars = [(SECRET_VAR, SECRET), ("PONT_LOG", "info")];
    let ran = common::run_pont(
        &["run", "--json", "--allow-unsigned", cfg.to_str().unwrap()],
        &vars,
    );
    ran.assert_no_panic();
    assert!(
        !ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET),
        "a host variable leaked"
    );
    ran
}

/// Item reasons by dossier number.
fn reasons(ran: &Ran) -> BTreeMap<i64, (String, String)> {
    let summary = ran.json();
    summary["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {summary}"))
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            (i["number"].as_i64().unwrap(), (s("status"), s("reason")))
        })
        .collect()
}

#[test]
fn python_escape_attempts_are_each_refused_audited_and_the_host_is_fine() {
    let env = Env::new();
    let t = target();
    let mut settings: String = PYTHON_ATTACKS
        .iter()
        .enumerate()
        .map(|(i, (a, _))| format!("\"{}\" = \"{a}\"\n", i + 1))
        .collect();
    settings.push_str(&format!("target = \"{}\"\n", t.address));
    let extra = format!(
        "[grant]\nlog = true\n\n[limits]\nitem-timeout-secs = 20\n\n\
         [queue]\ndossiers = [1, 2, 3, 4, 5, 6, 7, 8]\nmax-attempts = 1\n\n[settings]\n{settings}"
    );
    let cfg = config(
        &env,
        &foreign_wasm("escape-py"),
        &fixture_manifest("escape-py"),
        &extra,
    );
    let ran = pont(&cfg);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let reasons = reasons(&ran);
    assert_eq!(reasons.len(), PYTHON_ATTACKS.len(), "{reasons:?}");
    let audit = env.audit();
    for (i, (attack, interface)) in PYTHON_ATTACKS.iter().enumerate() {
        let n = i as i64 + 1;
        let (status, reason) = &reasons[&n];
        assert_eq!(status, "done", "{attack}: {reason}");
        assert!(
            reason.starts_with("stopped: "),
            "{attack} was not refused: {reason}"
        );
        if let Some(interface) = interface {
            let denied = audit.iter().any(|r| {
                r["item"] == n
                    && r["decision"] == "deny"
                    && r["action"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with(interface)
            });
            assert!(
                denied,
                "{attack}: no deny record for {interface}: {audit:?}"
            );
        }
    }
    assert!(reasons[&6].1.contains("none of the host's"), "{reasons:?}");
    assert_eq!(
        t.hits.load(Ordering::SeqCst),
        0,
        "a connection reached the listener"
    );
    let mut buf = [0u8; 16];
    assert!(
        t.udp.recv(&mut buf).is_err(),
        "a datagram reached the socket"
    );
    let verify = common::run_pont(
        &["audit", "verify", env.path("audit.jsonl").to_str().unwrap()],
        &[],
    );
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}

/// The Rust fixture's `TcpStream::connect` now links and is refused (audited);
/// nothing reaches the port it aims at.
#[test]
fn a_rust_robot_importing_sockets_runs_and_its_connect_is_denied_and_audited() {
    let env = Env::new();
    let cfg = env.config(
        &wasm("sockets"),
        &fixture_manifest("sockets"),
        "[grant]\nlog = true\n\n[queue]\ndossiers = [1]\nmax-attempts = 1\n",
    );
    let ran = pont(&cfg);
    let reasons = reasons(&ran);
    let (_, reason) = &reasons[&1];
    assert!(
        reason.contains("denied") || reason.contains("ermission"),
        "{reason}"
    );
    let denied = env.audit().iter().any(|r| {
        r["decision"] == "deny"
            && r["action"]
                .as_str()
                .unwrap_or_default()
                .starts_with("wasi:sockets/")
    });
    assert!(denied, "no deny record for the socket");
}

#[test]
fn the_javascript_hello_robot_greets_three_dossiers() {
    let env = Env::new();
    let extra = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [11, 12, 13]\n\n\
                 [settings]\ngreeting = \"Salut\"\n";
    let cfg = config(
        &env,
        &foreign_wasm("hello-js"),
        &fixture_manifest("hello-js"),
        extra,
    );
    let ran = pont(&cfg);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["done"], 3, "{summary}");
    let reasons = reasons(&ran);
    for (i, n) in [11, 12, 13].into_iter().enumerate() {
        let want = format!("greeted dossier {n} ({} so far)", i + 1);
        assert_eq!(reasons[&n], ("done".to_string(), want));
    }
    let allowed = env
        .audit()
        .iter()
        .filter(|r| r["capability"] == "state" && r["decision"] == "allow")
        .count();
    assert!(allowed >= 9, "state calls went through the gate: {allowed}");
}
