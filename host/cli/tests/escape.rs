//! The escape suite (issue "Trust"): a hostile robot (`tests/fixtures/escape`) tries, one
//! dossier at a time, to get past the gate — paths out of a mount, a write to a read-only mount,
//! HTTP to ungranted places (directly, by redirect, by name, through `wasi:http`), an ungranted
//! démarche and DS action, secrets, oversized values, and runaway code. Every attempt must be
//! denied or stopped, leave its audit record, and the run must go on to the next dossier.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Env, Ran};
use pont_sandbox::Sandbox;
use pont_sandbox::apps::App;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_test_artifacts::{fixture_manifest, wasm};

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const SECRET_VAR: &str = "PONT_TEST_ESCAPE_SECRET";
const SECRET: &str = "escape-suite-secret-4f1c9b";
const DEMARCHE: i64 = 101;

/// Attacks that end in a refusal the robot sees, with the audit record's capability.
const REFUSED: [(&str, &str); 15] = [
    ("dotdot", "files"),
    ("absolute", "files"),
    ("symlink", "files"),
    ("readonly-write", "files"),
    ("http-ungranted", "http"),
    ("http-redirect", "http"),
    ("http-link-local", "http"),
    ("http-loopback", "http"),
    ("http-name-to-loopback", "http"),
    ("wasi-http-ungranted", "http"),
    ("ds-demarche", "ds"),
    ("ds-action", "ds"),
    ("secret-ungranted", "secret"),
    ("oversized-state", "state"),
    ("oversized-body", "http"),
];
/// Attacks the host stops by trapping the instance, with a word of the reason.
const STOPPED: [(&str, &str); 3] = [
    ("loop", "deadline"),
    ("memory", "memory"),
    ("recursion", "robot trapped"),
];

/// A tiny HTTP/1.1 server on loopback: `/redirect` sends to `target`, anything else echoes the
/// request head back. Counts the connections it accepts.
fn serve(redirect_to: Option<String>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200).flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            answer(stream, redirect_to.as_deref());
        }
    });
    (url, hits)
}

fn answer(mut stream: TcpStream, redirect_to: Option<&str>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    for _ in 0..200 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0u8; length];
    let _ = std::io::Read::read_exact(&mut reader, &mut body);
    let reply = match redirect_to {
        Some(target) if head.starts_with("GET /redirect") => format!(
            "HTTP/1.1 302 Found\r\nLocation: {target}/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        _ => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
            head.len()
        ),
    };
    let _ = stream.write_all(reply.as_bytes());
}

fn pont(args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(args)
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env(SECRET_VAR, SECRET)
        .env("PONT_LOG", "debug")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

struct Setup {
    env: Env,
    config: std::path::PathBuf,
    /// Dossier number → attack.
    attacks: BTreeMap<i64, String>,
    forbidden_hits: Arc<AtomicUsize>,
}

fn setup(sb: &Sandbox, with_browser: bool) -> Setup {
    let env = Env::new();
    let (forbidden, forbidden_hits) = serve(None);
    let (echo, _) = serve(Some(forbidden.clone()));
    let echo_port = echo.rsplit(':').next().unwrap().to_string();
    let data = env.path("data");
    let outside = env.path("outside");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(env.path("out")).unwrap();
    std::fs::write(outside.join("outside.txt"), "not for robots").unwrap();
    std::os::unix::fs::symlink(&outside, data.join("link")).unwrap();
    let mut names: Vec<&str> = REFUSED.iter().map(|(a, _)| *a).collect();
    names.extend(["secret-echo", "wasi-http-granted", "oversized-blob"]);
    if with_browser {
        names.push("browser-ungranted");
    }
    names.extend(STOPPED.iter().map(|(a, _)| *a));
    let first = DEMARCHE * 100_000 + 1;
    let attacks: BTreeMap<i64, String> = names
        .iter()
        .enumerate()
        .map(|(i, a)| (first + i as i64, a.to_string()))
        .collect();
    let queue: Vec<String> = attacks.keys().map(i64::to_string).collect();
    let mut settings: String = attacks
        .iter()
        .map(|(n, a)| format!("\"{n}\" = \"{a}\"\n"))
        .collect();
    settings.push_str(&format!(
        "ungranted = \"{}\"\nredirect = \"{echo}/redirect\"\necho = \"{echo}/echo\"\nby-name = \"http://localhost:{echo_port}/\"\n",
        if with_browser {
            sb.app_url(App::Casier)
        } else {
            forbidden.clone()
        }
    ));
    let extra = format!(
        "[ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\"]\n\n\
         [grant.http.echo]\norigin = \"{echo}\"\n\n\
         [grant.http.by-name]\norigin = \"http://localhost:{echo_port}\"\n\n\
         [grant.browser.chorus]\norigin = \"{chorus}\"\n\n\
         [grant.secrets.token]\nenv = \"{SECRET_VAR}\"\norigins = [\"{echo}\"]\n\n\
         [grant.mounts.data]\npath = \"data\"\naccess = \"read-only\"\n\n\
         [grant.mounts.out]\npath = \"out\"\naccess = \"read-write\"\nquota-mb = 1\n\n\
         [limits]\nmemory-mb = 64\nitem-timeout-secs = 3\n\n\
         [queue]\ndossiers = [{queue}]\nmax-attempts = 1\n\n\
         [settings]\n{settings}",
        ds = sb.ds_url(),
        instructeur = robot_instructeur_email(DEMARCHE).unwrap(),
        chorus = sb.app_url(App::Chorus),
        queue = queue.join(", "),
    );
    let config = env.config(&wasm("escape"), &fixture_manifest("escape"), &extra);
    Setup {
        env,
        config,
        attacks,
        forbidden_hits,
    }
}

async fn sandbox(dossiers: usize) -> Sandbox {
    common::seeded_sandbox(DEMARCHE, dossiers, 3, State::EnConstruction).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_escape_attempt_is_denied_or_stopped_audited_and_the_run_goes_on() {
    let sb = sandbox(40).await;
    let s = setup(&sb, true);
    let config = s.config.display().to_string();
    let ran =
        tokio::task::spawn_blocking(move || pont(&["run", "--json", "--allow-unsigned", &config]))
            .await
            .unwrap();
    ran.assert_no_panic();
    let summary = ran.json();
    let items = summary["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        s.attacks.len(),
        "the run went through every attempt"
    );
    let item = |attack: &str| {
        let n = s.attacks.iter().find(|(_, a)| *a == attack).unwrap().0;
        items.iter().find(|i| i["number"] == *n).unwrap().clone()
    };
    let audit = s.env.audit();
    let denied_in = |attack: &str, capability: &str| {
        let n = *s.attacks.iter().find(|(_, a)| *a == attack).unwrap().0;
        audit
            .iter()
            .any(|r| r["item"] == n && r["decision"] == "deny" && r["capability"] == capability)
    };
    for (attack, capability) in REFUSED {
        let it = item(attack);
        let reason = it["reason"].as_str().unwrap();
        assert!(
            it["status"] == "done" && reason.starts_with("stopped:"),
            "{attack} was not refused: {it}"
        );
        assert!(
            denied_in(attack, capability),
            "{attack}: no deny record for {capability}"
        );
    }
    // The `by-name` grant names the echo server as `localhost`: refused for what the name
    // resolves to, while the literal `echo` grant of the same server is reached below.
    let n = *s
        .attacks
        .iter()
        .find(|(_, a)| *a == "http-name-to-loopback")
        .unwrap()
        .0;
    assert!(
        audit.iter().any(|r| r["item"] == n
            && r["capability"] == "http"
            && r["reason"].as_str().unwrap_or("").contains("loopback")),
        "the name-to-loopback refusal does not say why"
    );
    // The control case: the same wasi:http client reaches the granted origin.
    let reason = |attack: &str| item(attack)["reason"].as_str().unwrap().to_string();
    let r = reason("wasi-http-granted");
    assert!(r.starts_with("reached: status 200"), "{r}");
    // A quota refusal and a browser navigation refusal, both audited.
    let r = reason("oversized-blob");
    assert!(r.starts_with("stopped: Error::Limit"), "{r}");
    assert!(denied_in("oversized-blob", "files"));
    let r = reason("browser-ungranted");
    assert!(r.starts_with("stopped: Error::Denied"), "{r}");
    assert!(denied_in("browser-ungranted", "browser"));
    assert!(
        sb.app_requests(App::Casier).is_empty(),
        "Casier was never reached"
    );
    // Nothing reached the ungranted server: not directly, by redirect or by wasi:http.
    assert_eq!(s.forbidden_hits.load(Ordering::SeqCst), 0);
    // The secret went out to the granted echo server, and came back cut out.
    let echo = item("secret-echo")["reason"].as_str().unwrap().to_string();
    assert!(echo.contains("x-token: [redacted]"), "{echo}");
    for (attack, word) in STOPPED {
        let it = item(attack);
        assert_eq!(it["outcome"], "system", "{attack}: {it}");
        assert!(
            it["reason"].as_str().unwrap().contains(word),
            "{attack}: {it}"
        );
    }
    for text in [
        &ran.stdout,
        &ran.stderr,
        &std::fs::read_to_string(s.env.path("audit.jsonl")).unwrap(),
    ] {
        assert!(!text.contains(SECRET), "the secret leaked");
    }
    let journal = std::fs::read(s.env.path("journal.sqlite")).unwrap();
    assert!(!String::from_utf8_lossy(&journal).contains(SECRET));
    // The audit trail is intact.
    let verify = pont(&[
        "audit",
        "verify",
        &s.env.path("audit.jsonl").display().to_string(),
    ]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}
