//! Egress counted at the wire, budgets enforced before sending (issue "Trust by construction").
//!
//! The escape suite's hostile robot (`tests/fixtures/escape`) tries to get bytes out past a
//! budget: a 1 MB header and a long URL to an HTTP origin (through `pont:robot/http` and
//! `wasi:http`), a justificatif past the DS budget, a sheet past its mount's. Each is refused
//! before anything leaves, audited, and the run goes on; the `--json` ledger equals what the
//! receiving servers saw (a loopback server counting raw request bytes, the DS simulator
//! counting request bodies and uploads).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Env, Ran};
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_test_artifacts::wasm;

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const DEMARCHE: i64 = 101;
/// The HTTP origin's budget: the control request fits, the attacks do not.
const HTTP_BUDGET: u64 = 1_000;
/// DS's budget: the direct-upload request fits, 64 KiB of justificatif does not.
const DS_BUDGET: u64 = 10_000;
/// The `out` mount's budget: smaller than any saved workbook.
const MOUNT_BUDGET: u64 = 1_000;

/// The control case first (it is charged), then each attack, with its audit capability.
const CONTROL: &str = "http-budgeted";
const ATTACKS: [(&str, &str); 5] = [
    ("http-header-budget", "http"),
    ("http-url-budget", "http"),
    ("wasi-http-header-budget", "http"),
    ("justificatif-budget", "ds"),
    ("sheet-budget", "files"),
];

/// What a loopback server received: raw bytes (request line, headers, body) and requests.
#[derive(Default)]
struct Seen {
    bytes: AtomicU64,
    requests: AtomicUsize,
}

/// A loopback HTTP/1.1 server answering `200 ok` to every request, one per connection,
/// counting every byte it reads.
fn counting_server() -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50).flatten() {
            let n = read_request(&stream);
            counter.bytes.fetch_add(n, Ordering::SeqCst);
            counter.requests.fetch_add(1, Ordering::SeqCst);
            let _ = (&stream)
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, seen)
}

/// Read one request (head up to the blank line, then `Content-Length` bytes of body), at most
/// 4 MiB; returns the bytes read.
fn read_request(mut stream: &TcpStream) -> u64 {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    while got.len() < 4 << 20 {
        let head_end = got.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            if got.len() >= end + 4 + length {
                break;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got.len() as u64
}

fn pont(args: &[&str]) -> Ran {
    common::run_pont(args, &[(TOKEN_VAR, "sandbox-rw-all")])
}

const MANIFEST: &str = r#"[robot]
name = "escape"
version = "0.1.0"
publisher = "Pont tests"
description = "Tries to send bytes past its budgets."

[requests]
log = true
ds = ["read", "accepter"]
http = ["budgeted"]

[requests.mounts]
out = "read-write"

[requests.limits]
memory-mb = 64
"#;

/// An xlsx with one sheet, `Sheet1`, for the sheet attack to append to.
fn write_book(path: &std::path::Path) {
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("Sheet1");
    ws.cell_mut((1, 1)).set_value_string("Dossier");
    umya_spreadsheet::writer::xlsx::write(&book, path).unwrap();
}

struct Setup {
    env: Env,
    config: std::path::PathBuf,
    attacks: BTreeMap<i64, String>,
    origin: String,
}

fn setup(sb: &pont_sandbox::Sandbox, origin: &str) -> Setup {
    let env = Env::new();
    std::fs::create_dir_all(env.path("out")).unwrap();
    write_book(&env.path("out/book.xlsx"));
    let manifest = env.path("pont.toml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let first = DEMARCHE * 100_000 + 1;
    let names = std::iter::once(CONTROL).chain(ATTACKS.iter().map(|(a, _)| *a));
    let attacks: BTreeMap<i64, String> = names
        .enumerate()
        .map(|(i, a)| (first + i as i64, a.to_string()))
        .collect();
    let queue: Vec<String> = attacks.keys().map(i64::to_string).collect();
    let settings: String = attacks
        .iter()
        .map(|(n, a)| format!("\"{n}\" = \"{a}\"\n"))
        .collect();
    let extra = format!(
        "[ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"accepter\"]\n\n\
         [grant.http.budgeted]\norigin = \"{origin}\"\n\n\
         [grant.mounts.out]\npath = \"out\"\naccess = \"read-write\"\n\n\
         [budgets]\n\"{origin}\" = {HTTP_BUDGET}\nds = {DS_BUDGET}\n\"mount.out\" = {MOUNT_BUDGET}\n\n\
         [limits]\nmemory-mb = 64\nitem-timeout-secs = 20\n\n\
         [queue]\ndossiers = [{queue}]\nmax-attempts = 1\n\n\
         [settings]\nbudgeted = \"{origin}/echo\"\n{settings}",
        ds = sb.ds_url(),
        instructeur = robot_instructeur_email(DEMARCHE).unwrap(),
        queue = queue.join(", "),
    );
    let config = env.config(&wasm("escape"), &manifest, &extra);
    Setup {
        env,
        config,
        attacks,
        origin: origin.to_string(),
    }
}

/// The `--json` ledger's line towards `destination` (bytes, items), if any.
fn ledger_line(summary: &serde_json::Value, destination: impl Fn(&str) -> bool) -> (u64, u64) {
    summary["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| destination(l["destination"].as_str().unwrap()))
        .map_or((0, 0), |l| {
            (l["bytes"].as_u64().unwrap(), l["items"].as_u64().unwrap())
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn bytes_past_a_budget_are_refused_before_sending_audited_and_the_ledger_is_the_wire() {
    let sb = common::seeded_sandbox(DEMARCHE, 10, 3, State::EnInstruction).await;
    let (server, seen) = counting_server();
    let s = setup(&sb, &server);
    let book_before = std::fs::read(s.env.path("out/book.xlsx")).unwrap();
    let config = s.config.display().to_string();
    let ran =
        tokio::task::spawn_blocking(move || pont(&["run", "--json", "--allow-unsigned", &config]))
            .await
            .unwrap();
    ran.assert_no_panic();
    let summary = ran.json();
    let items = summary["items"].as_array().unwrap();
    assert_eq!(items.len(), s.attacks.len(), "the run went on: {summary}");
    let number = |attack: &str| *s.attacks.iter().find(|(_, a)| *a == attack).unwrap().0;
    let item = |attack: &str| {
        let n = number(attack);
        items.iter().find(|i| i["number"] == n).unwrap().clone()
    };
    let control = item(CONTROL);
    assert!(
        control["reason"]
            .as_str()
            .unwrap()
            .starts_with("reached: status 200"),
        "{control}"
    );
    let audit = s.env.audit();
    for (attack, capability) in ATTACKS {
        let it = item(attack);
        let reason = it["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("stopped:"),
            "{attack} went through: {it}"
        );
        let n = number(attack);
        let denied = audit.iter().find(|r| {
            r["item"] == n
                && r["decision"] == "deny"
                && r["capability"] == capability
                && r["reason"].as_str().unwrap().contains("egress budget")
        });
        assert!(
            denied.is_some(),
            "{attack}: no budget refusal audited for {capability}"
        );
    }

    // HTTP: only the control request reached the server, and the ledger counts exactly the
    // bytes it read (request line, headers, body).
    assert_eq!(seen.requests.load(Ordering::SeqCst), 1, "an attack got out");
    let (bytes, items_sent) = ledger_line(&summary, |d| d == s.origin);
    assert_eq!(bytes, seen.bytes.load(Ordering::SeqCst), "{summary}");
    assert_eq!(items_sent, 1);

    // DS: the direct-upload request went, the 64 KiB justificatif did not; the ledger's DS line
    // is the bodies the simulator received.
    let sent = common::robot_ds_bodies(&sb);
    assert!(sent.iter().all(|b| b.operation != "upload"), "{sent:?}");
    let (bytes, items_sent) = ledger_line(&summary, |d| d.starts_with("DS "));
    assert_eq!(
        bytes,
        sent.iter().map(|b| b.bytes).sum::<u64>(),
        "{summary}"
    );
    assert_eq!(items_sent, sent.len() as u64, "{sent:?}");
    assert!(bytes < DS_BUDGET);

    // The mount: nothing was written, nothing counted.
    assert_eq!(
        std::fs::read(s.env.path("out/book.xlsx")).unwrap(),
        book_before
    );
    assert_eq!(ledger_line(&summary, |d| d == "mount.out"), (0, 0));

    let verify = pont(&[
        "audit",
        "verify",
        &s.env.path("audit.jsonl").display().to_string(),
    ]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}
