//! The escape suite's secrets cases (issue "Trust by construction"): a robot
//! (`tests/fixtures/secret-robot`) tries, one dossier at a time, to send its secrets where
//! `[grant.secrets.NAME]` does not bind them (another granted HTTP origin, another granted
//! browser application), to get them back compressed or escaped from an echo server, and to
//! read back or screenshot a field that received one. Each attempt must be denied, redacted or
//! masked, leave its audit record, and the run must go on; the values appear in no output or
//! file of the run.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Env, Ran};
use pont_test_artifacts::{fixture_manifest, wasm};

const CPS_VAR: &str = "PONT_TEST_SECRETS_CPS";
const TOKEN_VAR: &str = "PONT_TEST_SECRETS_TOKEN";
/// Typed by `fill-secret`; the decoys have its length, so masked screenshots match.
const CPS_SECRET: &str = "Pw-browser-7d2e9";
const DECOY: &str = "Xx-decoyxx-0000q";
const DECOY2: &str = "Zz-decoyzz-1111r";
/// Sent in a header; its quote, backslash, slash, plus and space change when escaped.
const TOKEN: &str = "tok\"en\\/7b1e+9 x";
const ATTEMPTS: [&str; 8] = [
    "http-unbound",
    "http-wrong-secret",
    "gzip-echo",
    "gzip-forced",
    "json-echo",
    "browser-unbound",
    "read-back",
    "screenshot",
];

/// Request heads a server received.
type Seen = Arc<Mutex<Vec<String>>>;
/// A server's answer to a request head: its headers and body.
type Reply = fn(&str) -> (Vec<(String, String)>, Vec<u8>);

/// A loopback HTTP/1.1 server, one thread per connection, answering with `reply(head)`.
fn serve(reply: Reply) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(500).flatten() {
            let log = log.clone();
            std::thread::spawn(move || answer(stream, reply, &log));
        }
    });
    (url, seen)
}

fn answer(mut stream: TcpStream, reply: Reply, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    for _ in 0..200 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    if head.is_empty() {
        return;
    }
    seen.lock().unwrap().push(head.clone());
    let (headers, body) = reply(&head);
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(&body);
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `/gzip` echoes the head gzip-compressed when the client accepts gzip, `/always-gzip`
/// whatever it accepts; `/json` quotes `x-token` JSON-escaped and percent-encoded; anything
/// else echoes the head as is.
fn echo(head: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let path = head.split(' ').nth(1).unwrap_or("/");
    let plain = vec![("Content-Type".to_string(), "text/plain".to_string())];
    let gzipped = || {
        let mut h = plain.clone();
        h.push(("Content-Encoding".into(), "gzip".into()));
        (h, gzip(head.as_bytes()))
    };
    let accepts_gzip = header(head, "accept-encoding").is_some_and(|v| v.contains("gzip"));
    match path {
        "/always-gzip" => gzipped(),
        "/gzip" if accepts_gzip => gzipped(),
        "/json" => {
            let token = header(head, "x-token").unwrap_or_default();
            let body =
                serde_json::json!({"x-token": token, "url": format!("/json?t={}", percent(token))});
            (plain, body.to_string().into_bytes())
        }
        _ => (plain, head.as_bytes().to_vec()),
    }
}

const FORM: &str = "<style>*{caret-color:transparent}input{font:32px monospace;width:640px}</style>\
    <form action=\"/echo\" method=\"get\"><label for=\"pw\">Mot de passe</label>\
    <input id=\"pw\" name=\"pw\" type=\"text\" autocomplete=\"off\">\
    <button id=\"go\" type=\"submit\">OK</button></form>";

/// `/plain`: a password form; `/echo`: the same, on a page that copies what is typed into a
/// table cell and marks a submitted form with `#done`.
fn page(head: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let path = head.split(' ').nth(1).unwrap_or("/");
    let html = if path.starts_with("/echo") {
        format!(
            "<!doctype html><html><body>{FORM}<table id=\"t\"><tr><td id=\"copy\"></td></tr></table>\
             <script>var pw=document.getElementById('pw'),c=document.getElementById('copy');\
             pw.addEventListener('input',function(){{c.textContent=pw.value;}});\
             if(location.search){{var d=document.createElement('p');d.id='done';d.textContent='ok';\
             document.body.appendChild(d);}}</script></body></html>"
        )
    } else {
        format!("<!doctype html><html><body>{FORM}</body></html>")
    };
    let h = vec![("Content-Type".into(), "text/html; charset=utf-8".into())];
    (h, html.into_bytes())
}

struct Setup {
    env: Env,
    config: std::path::PathBuf,
    attempts: BTreeMap<String, i64>,
    echo_seen: Seen,
    other_seen: Seen,
}

fn setup() -> Setup {
    let env = Env::new();
    let (echo_url, echo_seen) = serve(echo);
    let (other, other_seen) = serve(echo);
    let (cps, _) = serve(page);
    let (page_url, _) = serve(page);
    let attempts: BTreeMap<String, i64> = ATTEMPTS
        .iter()
        .enumerate()
        .map(|(i, a)| (a.to_string(), 501 + i as i64))
        .collect();
    let queue: Vec<String> = attempts.values().map(i64::to_string).collect();
    let settings: String = attempts
        .iter()
        .map(|(a, n)| format!("\"{n}\" = \"{a}\"\n"))
        .collect();
    let extra = format!(
        "[grant]\nlog = true\n\n\
         [grant.http.echo]\norigin = \"{echo_url}\"\n\n[grant.http.other]\norigin = \"{other}\"\n\n\
         [grant.browser.cps]\norigin = \"{cps}\"\n\n[grant.browser.page]\norigin = \"{page_url}\"\n\n\
         [grant.secrets.cps-password]\nenv = \"{CPS_VAR}\"\napps = [\"cps\"]\n\n\
         [grant.secrets.token]\nenv = \"{TOKEN_VAR}\"\norigins = [\"{echo_url}\"]\n\n\
         [limits]\nitem-timeout-secs = 60\n\n\
         [queue]\ndossiers = [{queue}]\nmax-attempts = 1\n\n\
         [settings]\n{settings}echo = \"{echo_url}\"\nother = \"{other}\"\ncps = \"{cps}\"\n\
         page = \"{page_url}\"\ndecoy = \"{DECOY}\"\ndecoy2 = \"{DECOY2}\"\n",
        queue = queue.join(", "),
    );
    let config = env.config(
        &wasm("secret-robot"),
        &fixture_manifest("secret-robot"),
        &extra,
    );
    Setup {
        env,
        config,
        attempts,
        echo_seen,
        other_seen,
    }
}

fn pont(config: &Path) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--json", "--allow-unsigned"])
        .arg(config)
        .env(CPS_VAR, CPS_SECRET)
        .env(TOKEN_VAR, TOKEN)
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

/// Every form of the two secrets a leak could take.
fn secret_forms() -> Vec<String> {
    let json = |s: &str| {
        serde_json::to_string(s)
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    vec![
        CPS_SECRET.into(),
        TOKEN.into(),
        json(TOKEN),
        percent(TOKEN),
        percent(TOKEN).replace("%20", "+"),
    ]
}

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `s1 <sha> | s2 <sha> | …` as a map.
fn shas(line: &str) -> BTreeMap<String, String> {
    line.split(" | ")
        .filter_map(|part| part.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// How many pixels two PNG screenshots of the same size differ in (8-bit RGB or RGBA, as
/// Chromium writes them).
fn pixels_apart(a: &[u8], b: &[u8]) -> usize {
    let (wa, bpp, pa) = png_pixels(a);
    let (wb, _, pb) = png_pixels(b);
    assert_eq!((wa, pa.len()), (wb, pb.len()), "screenshots of one size");
    pa.chunks(bpp)
        .zip(pb.chunks(bpp))
        .filter(|(x, y)| x != y)
        .count()
}

/// Width, bytes per pixel and the unfiltered pixel bytes of a non-interlaced PNG.
fn png_pixels(png: &[u8]) -> (usize, usize, Vec<u8>) {
    let (mut i, mut idat, mut dims) = (8, Vec::new(), (0, 0, 0));
    while i + 12 <= png.len() {
        let n = u32::from_be_bytes(png[i..i + 4].try_into().unwrap()) as usize;
        let (kind, data) = (&png[i + 4..i + 8], &png[i + 8..i + 8 + n]);
        if kind == b"IHDR" {
            let be = |k: usize| u32::from_be_bytes(data[k..k + 4].try_into().unwrap()) as usize;
            assert_eq!(data[8], 8, "8-bit");
            dims = (be(0), be(4), if data[9] == 6 { 4 } else { 3 });
        } else if kind == b"IDAT" {
            idat.extend_from_slice(data);
        }
        i += 12 + n;
    }
    let (w, h, bpp) = dims;
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = w * bpp;
    let mut out = vec![0u8; stride * h];
    for y in 0..h {
        let filter = raw[y * (stride + 1)];
        for x in 0..stride {
            let v = raw[y * (stride + 1) + 1 + x];
            let a = if x >= bpp {
                out[y * stride + x - bpp]
            } else {
                0
            };
            let b = if y > 0 { out[(y - 1) * stride + x] } else { 0 };
            let c = if x >= bpp && y > 0 {
                out[(y - 1) * stride + x - bpp]
            } else {
                0
            };
            out[y * stride + x] = v.wrapping_add(match filter {
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                _ => 0,
            });
        }
    }
    (w, bpp, out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[test]
fn secrets_go_only_where_bound_and_never_come_back() {
    let s = setup();
    let ran = pont(&s.config);
    ran.assert_no_panic();
    let summary = ran.json();
    let items = summary["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        ATTEMPTS.len(),
        "the run went through every attempt"
    );
    let reason = |attempt: &str| {
        let n = s.attempts[attempt];
        let it = items.iter().find(|i| i["number"] == n).unwrap();
        assert_eq!(it["status"], "done", "{attempt}: {it}");
        it["reason"].as_str().unwrap().to_string()
    };
    let audit = s.env.audit();
    let denied = |attempt: &str, capability: &str, action: &str| {
        let n = s.attempts[attempt];
        audit.iter().any(|r| {
            r["item"] == n
                && r["decision"] == "deny"
                && r["capability"] == capability
                && r["action"].as_str().is_some_and(|a| a.starts_with(action))
        })
    };

    // HTTP: a secret to a granted origin it is not bound to, or a secret bound only to an
    // application, is refused before anything is sent.
    let r = reason("http-unbound");
    assert!(
        r.starts_with("stopped: Error::Denied") && r.contains("not bound to HTTP origin"),
        "{r}"
    );
    assert!(denied("http-unbound", "secret", "use.http"));
    assert!(
        s.other_seen.lock().unwrap().is_empty(),
        "nothing reached `other`"
    );
    let r = reason("http-wrong-secret");
    assert!(
        r.starts_with("stopped: Error::Denied") && r.contains("cps-password"),
        "{r}"
    );
    assert!(denied("http-wrong-secret", "secret", "use.http"));

    // A gzip echo: the host asked for identity whatever the robot set, the echo came back
    // plain and was cut; a server that compresses anyway is withheld, audited.
    let r = reason("gzip-echo");
    assert!(r.starts_with("status 200 encoding None"), "{r}");
    assert!(
        r.contains("x-token: [redacted]") && r.contains("accept-encoding: identity"),
        "{r}"
    );
    let seen = s.echo_seen.lock().unwrap().clone();
    let gzip_head = seen.iter().find(|h| h.starts_with("GET /gzip")).unwrap();
    assert_eq!(
        header(gzip_head, "accept-encoding"),
        Some("identity"),
        "{gzip_head}"
    );
    let r = reason("gzip-forced");
    assert!(
        r.starts_with("stopped: Error::Denied") && r.contains("`gzip`-encoded"),
        "{r}"
    );
    assert!(denied("gzip-forced", "http", "GET"));

    // A JSON-escaped and a percent-encoded echo are cut too.
    let r = reason("json-echo");
    assert!(r.contains(r#""url":"/json?t=[redacted]""#), "{r}");
    assert!(r.contains(r#""x-token":"[redacted]""#), "{r}");

    // Browser: a session of the bound application navigated elsewhere, and a secret bound to
    // no application, are refused.
    let r = reason("browser-unbound");
    let (moved, token) = r.split_once(" | ").unwrap();
    assert!(
        moved.contains("stopped: Error::Denied") && moved.contains("not bound to the browser"),
        "{r}"
    );
    assert!(
        token.contains("stopped: Error::Denied") && token.contains("secret `token`"),
        "{r}"
    );
    assert!(denied("browser-unbound", "secret", "use.browser"));

    // Read back: refused on the field (also found again another way), cut everywhere else.
    let r = reason("read-back");
    for part in [
        "attr: stopped: Error::Denied",
        "refind: stopped: Error::Denied",
        "text: stopped: Error::Denied",
    ] {
        assert!(r.contains(part), "{part}: {r}");
    }
    assert!(r.contains("never read back"), "{r}");
    assert!(
        r.contains("copy: [redacted] |") && r.contains("table: [[\"[redacted]\"]]"),
        "{r}"
    );
    assert!(r.contains("/echo?pw=[redacted]"), "{r}");
    for what in ["read-back.attribute", "read-back.text"] {
        assert!(denied("read-back", "secret", what), "{what}");
    }

    // Screenshots: the filled field shows as dots (the secret and a decoy of its length look
    // the same), the control session shows the two decoys as typed, and the host's failure
    // screenshot is masked the same way.
    let r = reason("screenshot");
    assert!(r.contains("absent: stopped: Error::Limit"), "{r}");
    let mut all = Vec::new();
    files(s.env.dir.path(), &mut all);
    let shot = |name: &str| {
        let found: Vec<_> = all
            .iter()
            .filter(|p| p.to_string_lossy().ends_with(name))
            .collect();
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        std::fs::read(found[0]).unwrap()
    };
    let (s1, s2, s3, s4) = (
        shot("-s1.png"),
        shot("-s2.png"),
        shot("-s3.png"),
        shot("-s4.png"),
    );
    let sh = shas(&r);
    assert_eq!(
        sha256_hex(&s1),
        sh["s1"],
        "the evidence is the robot's screenshot"
    );
    // Anti-aliasing may move a pixel or two; typed text moves hundreds.
    let masked = pixels_apart(&s1, &s2);
    let control = pixels_apart(&s3, &s4);
    assert!(
        masked <= 8 && control >= 100,
        "masked {masked}, control {control}: {r}"
    );
    let failures: Vec<_> = all
        .iter()
        .filter(|p| p.to_string_lossy().contains("-browser-failure-"))
        .collect();
    assert_eq!(failures.len(), 1, "one failure screenshot: {failures:?}");
    let failure = std::fs::read(failures[0]).unwrap();
    assert!(
        pixels_apart(&failure, &s2) <= 8,
        "the failure screenshot is masked"
    );
    // No form of either secret in any output or file of the run.
    for form in secret_forms() {
        assert!(!ran.stdout.contains(&form), "stdout holds {form}");
        let line = ran.stderr.lines().find(|l| l.contains(&form));
        assert!(line.is_none(), "stderr holds {form}: {line:?}");
        for path in &all {
            let mut bytes = Vec::new();
            std::fs::File::open(path)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            let found = bytes.windows(form.len()).any(|w| w == form.as_bytes());
            assert!(!found, "{} holds {form}", path.display());
        }
    }
    let verify = s.env.pont(&[
        "audit",
        "verify",
        &s.env.path("audit.jsonl").display().to_string(),
    ]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}
