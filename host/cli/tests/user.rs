//! `pont user`: the console's accounts, from the command line as an
//! operator (or a script, password on stdin) would make them.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use pont_console::accounts::{Accounts, verify_password};

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn pont(args: &[&str], stdin: &str) -> Ran {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn accounts_are_added_hashed_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.toml");
    let f = file.to_str().unwrap();
    let ran = pont(
        &["user", "add", "--accounts", f, "agent.dupont"],
        "un mot de passe assez long\n",
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("un mot de passe assez long"), "{text}");
    let account = Accounts::new(&file).find("agent.dupont").unwrap().unwrap();
    assert!(account.hash.starts_with("$argon2id$"));
    assert!(verify_password(&account.hash, "un mot de passe assez long"));

    // Refusals: one line, a non-zero exit, nothing changed.
    for (args, stdin, says) in [
        (
            vec!["agent.dupont"],
            "un autre mot de passe long\n",
            "already exists",
        ),
        (vec!["bob"], "court\n", "at least 12 characters"),
        (
            vec!["Bob<script>"],
            "un mot de passe assez long\n",
            "account name",
        ),
    ] {
        let mut all = vec!["user", "add", "--accounts", f];
        all.extend(args);
        let ran = pont(&all, stdin);
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        assert!(ran.stderr.contains(says), "{}", ran.stderr);
    }
    let ran = pont(
        &["user", "add", "--accounts", f, "--replace", "agent.dupont"],
        "un autre mot de passe long\n",
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let account = Accounts::new(&file).find("agent.dupont").unwrap().unwrap();
    assert!(verify_password(&account.hash, "un autre mot de passe long"));

    let ran = pont(&["user", "list", "--accounts", f], "");
    assert!(ran.stdout.starts_with("agent.dupont "), "{}", ran.stdout);
    assert_eq!(
        pont(&["user", "remove", "--accounts", f, "agent.dupont"], "").code,
        0
    );
    assert_eq!(
        pont(&["user", "remove", "--accounts", f, "agent.dupont"], "").code,
        2
    );
    assert_eq!(pont(&["user", "list", "--accounts", f], "").stdout, "");

    // A file others can read is refused, with what to do.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let ran = pont(&["user", "list", "--accounts", f], "");
    assert_eq!(ran.code, 1);
    assert!(ran.stderr.contains("chmod 600"), "{}", ran.stderr);
}

/// `--instructeur`: the agent's DS instructeur, kept with the account and
/// shown by `list`; a malformed id is refused before the password is read.
#[test]
fn an_account_names_its_ds_instructeur() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.toml");
    let f = file.to_str().unwrap();
    let id = "claire.martin@exemple.gouv.fr";
    let ran = pont(
        &[
            "user",
            "add",
            "--accounts",
            f,
            "agent.martin",
            "--instructeur",
            id,
        ],
        "un mot de passe assez long\n",
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let account = Accounts::new(&file).find("agent.martin").unwrap().unwrap();
    assert_eq!(account.instructeur.as_deref(), Some(id));
    let ran = pont(&["user", "list", "--accounts", f], "");
    assert!(
        ran.stdout.contains(&format!("instructeur {id}")),
        "{}",
        ran.stdout
    );
    let ran = pont(
        &[
            "user",
            "add",
            "--accounts",
            f,
            "agent.durand",
            "--instructeur",
            "x y<@z",
        ],
        "un mot de passe assez long\n",
    );
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("instructeur `x y<@z`"),
        "{}",
        ran.stderr
    );
    assert!(Accounts::new(&file).find("agent.durand").unwrap().is_none());
}
