//! Log colours: escape codes only for a person at a terminal, never in a
//! pipe or a file, and no colours when `NO_COLOR` is set.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Env;
use pont_test_artifacts::{plugin_manifest, wasm};

const HELLO_GRANTS: &str = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [11, 12]\n";

/// The start of an ANSI escape sequence (CSI).
const ESCAPE: &[u8] = b"\x1b[";

fn has_escape(bytes: &[u8]) -> bool {
    bytes.windows(ESCAPE.len()).any(|w| w == ESCAPE)
}

/// A colour or style sequence (SGR: `ESC [ digits;… m`). On a terminal the
/// progress line may also clear itself (`ESC [ 2K`): that is not a colour.
fn has_colour(bytes: &[u8]) -> bool {
    bytes.windows(ESCAPE.len()).enumerate().any(|(i, w)| {
        w == ESCAPE && {
            let rest = &bytes[i + ESCAPE.len()..];
            let params = rest
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';');
            rest.get(params.count()) == Some(&b'm')
        }
    })
}

fn hello_config(env: &Env) -> std::path::PathBuf {
    env.config(&wasm("hello"), &plugin_manifest("hello"), HELLO_GRANTS)
}

/// `pont run` of the hello robot with stdout and stderr piped and no `NO_COLOR`.
fn run_piped(cfg: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", cfg.to_str().unwrap()])
        .env("PONT_LOG", "info")
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .output()
        .expect("running pont")
}

/// Quote for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The same run, in a fresh directory, under a pseudo-terminal (util-linux
/// `script`), so stderr is a terminal; `None` when `script` is not installed.
fn run_in_terminal(no_color: Option<&str>) -> Option<Output> {
    let env = Env::new();
    let cfg = hello_config(&env);
    let line = format!(
        "{} run --allow-unsigned {}",
        sh_quote(env!("CARGO_BIN_EXE_pont")),
        sh_quote(cfg.to_str().unwrap())
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env("PONT_LOG", "info")
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    cmd.output().ok()
}

#[test]
fn logs_to_a_pipe_carry_no_escape_codes() {
    let env = Env::new();
    let cfg = hello_config(&env);
    let out = run_piped(&cfg);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The host did log the items, so the check below looked at real log lines.
    assert!(stderr.contains("dossier 11"), "{stderr}");
    assert!(
        !has_escape(&out.stderr),
        "escape codes in piped logs:\n{stderr:?}"
    );
}

#[test]
fn a_terminal_gets_colours_unless_no_color_is_set() {
    let Some(coloured) = run_in_terminal(None) else {
        eprintln!("util-linux `script` is not installed: no pseudo-terminal to test with");
        return;
    };
    let text = String::from_utf8_lossy(&coloured.stdout);
    assert!(text.contains("dossier 11"), "{text}");
    assert!(
        has_colour(&coloured.stdout),
        "no colours on a terminal:\n{text:?}"
    );

    // An empty NO_COLOR does not count (no-color.org): colours stay.
    let empty = run_in_terminal(Some("")).expect("script ran once already");
    assert!(has_colour(&empty.stdout));

    let plain = run_in_terminal(Some("1")).expect("script ran once already");
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(text.contains("dossier 11"), "{text}");
    assert!(!has_colour(&plain.stdout), "NO_COLOR ignored:\n{text:?}");
}
