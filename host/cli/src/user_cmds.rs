//! `pont user`: the web console's local accounts (`pont_console::accounts`).
//! The password is asked twice on a terminal, or read as one line from
//! standard input otherwise (scripts, tests); it is never an argument,
//! where `ps` and shell histories would show it.

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use pont_console::accounts::{AccountError, Accounts};

use crate::exit::{Exit, Failure};

fn failure(e: AccountError) -> Failure {
    let code = match e {
        AccountError::File { .. } | AccountError::Hash(_) => Exit::Fatal,
        _ => Exit::Usage,
    };
    Failure::new(code, e.to_string())
}

/// The password: prompted (twice) on a terminal, else stdin's first line.
fn read_password(name: &str) -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        return dialoguer::Password::new()
            .with_prompt(format!("Password for {name}"))
            .with_confirmation("Again", "the two passwords differ")
            .interact()
            .map_err(|e| Failure::new(Exit::Fatal, format!("cannot read the password: {e}")));
    }
    let mut line = String::new();
    // Bounded: one line of at most the largest password, plus its newline.
    let limit = pont_console::accounts::MAX_PASSWORD_BYTES as u64 + 2;
    std::io::stdin()
        .lock()
        .take(limit)
        .read_line(&mut line)
        .map_err(|e| {
            Failure::new(
                Exit::Fatal,
                format!("cannot read the password from stdin: {e}"),
            )
        })?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(password.to_string())
}

pub(crate) fn add(
    accounts: &Path,
    name: &str,
    replace: bool,
    instructeur: Option<&str>,
) -> Result<Exit, Failure> {
    if !pont_console::accounts::valid_name(name) {
        return Err(failure(AccountError::BadName(name.to_string())));
    }
    // Checked before the password is asked for, as the name is.
    if let Some(id) = instructeur.filter(|id| !pont_console::accounts::valid_instructeur(id)) {
        return Err(failure(AccountError::BadInstructeur(id.to_string())));
    }
    let password = read_password(name)?;
    Accounts::new(accounts)
        .add_with(name, &password, replace, instructeur)
        .map_err(failure)?;
    println!("account {name}: saved in {}", accounts.display());
    Ok(Exit::Ok)
}

pub(crate) fn remove(accounts: &Path, name: &str) -> Result<Exit, Failure> {
    Accounts::new(accounts).remove(name).map_err(failure)?;
    println!("account {name}: removed");
    Ok(Exit::Ok)
}

pub(crate) fn list(accounts: &Path) -> Result<Exit, Failure> {
    for a in Accounts::new(accounts).load().map_err(failure)? {
        match &a.instructeur {
            Some(id) => println!("{}  (since {}, instructeur {id})", a.name, a.created),
            None => println!("{}  (since {})", a.name, a.created),
        }
    }
    Ok(Exit::Ok)
}
