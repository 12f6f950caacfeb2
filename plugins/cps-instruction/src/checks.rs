//! The two verifications of a CPS request: the health professional
//! directory (an HTTP API whose bearer token is a secret the host adds) and
//! the agency's internal list of oppositions (a sheet on a read-only mount).

use pont_sdk::http::{self, Request};
use pont_sdk::sheets::{Cell, Workbook};
use pont_sdk::{Failure, system};

/// The secret holding the referential's bearer token.
pub const REFERENTIEL_SECRET: &str = "referentiel-token";
/// The `Authorization` header as a template: the host puts the secret in.
const AUTHORIZATION: &str = "Bearer {{secret:referentiel-token}}";
/// The mount holding the internal list.
pub const LIST_MOUNT: &str = "interne";
/// The sheet of the internal list, with columns `RPPS` and `Motif`.
const LIST_SHEET: &str = "Oppositions";

/// What the directory says of an RPPS number.
#[derive(Debug, PartialEq, Eq)]
pub enum Directory {
    /// Registered and active.
    Active,
    /// Registered, but no longer active.
    Inactive,
    /// Not in the directory.
    Unknown,
}

/// Asks the directory about `rpps` (11 digits, checked by the caller).
pub fn directory(base: &str, rpps: &str) -> Result<Directory, Failure> {
    let request = Request {
        method: "GET".into(),
        url: format!("{base}/api/professionnels/{rpps}"),
        headers: vec![("accept".into(), "application/json".into())],
        secret_headers: vec![("authorization".into(), AUTHORIZATION.into())],
        body: None,
    };
    let response = http::send(&request).map_err(system("référentiel"))?;
    match response.status {
        200 => match json_bool(&response.body, "actif") {
            Some(true) => Ok(Directory::Active),
            Some(false) => Ok(Directory::Inactive),
            None => Err(Failure::System(
                "référentiel: answer without `actif`".into(),
            )),
        },
        404 => Ok(Directory::Unknown),
        401 | 403 => Err(Failure::System(format!(
            "référentiel: access refused ({}); check the `{REFERENTIEL_SECRET}` secret",
            response.status
        ))),
        other => Err(Failure::System(format!("référentiel: HTTP {other}"))),
    }
}

/// The boolean value of a top-level `"key": true|false` of a small JSON
/// object (the directory's answers are flat), without a JSON library.
fn json_bool(body: &[u8], key: &str) -> Option<bool> {
    let text = std::str::from_utf8(body).ok()?;
    let needle = format!("\"{key}\"");
    let after = &text[text.find(&needle)? + needle.len()..];
    let value = after.trim_start().strip_prefix(':')?.trim_start();
    if value.starts_with("true") {
        Some(true)
    } else if value.starts_with("false") {
        Some(false)
    } else {
        None
    }
}

/// The reason of an opposition recorded for `rpps` in the internal list,
/// if there is one.
pub fn opposition(list: &str, rpps: &str) -> Result<Option<String>, Failure> {
    let wb = Workbook::open(LIST_MOUNT, list).map_err(system("liste interne"))?;
    let table = wb.table(LIST_SHEET, 1).map_err(system("liste interne"))?;
    let (Some(col), motif) = (table.column("RPPS"), table.column("Motif")) else {
        return Err(Failure::System(format!(
            "liste interne: no `RPPS` column in sheet `{LIST_SHEET}`"
        )));
    };
    let found = table
        .rows
        .iter()
        .find(|row| row.get(col).is_some_and(|c| c.to_text().trim() == rpps));
    Ok(found.map(|row| {
        motif
            .and_then(|m| row.get(m))
            .map(Cell::to_text)
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| "motif non précisé".into())
    }))
}
