//! Generated attachments added on demand, such as the 200 MB file of the streaming test and
//! benchmark (issue 7, DESIGN §3). They are opt-in — `SandboxConfig::attachments`, the binary's
//! `--attachment DOSSIER[:SIZE]`, or `POST /__sandbox/attachments` — so ordinary tests never pay
//! for hashing them.
//!
//! Such a file looks to a client exactly like any DS attachment (a `File` with `byteSize`,
//! `checksum`, `contentType`, `filename` and a signed, expiring `url`), but its bytes are a
//! function of (seed, position): the storage route generates them chunk by chunk while
//! streaming, and the MD5 checksum is computed the same way, so a 200 MB file never sits in the
//! simulator's memory.

use std::sync::{Arc, OnceLock};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::SandboxError;
use crate::model::{Content, FileLie, FileRecord, Kind, Value};
use crate::world::State;

/// DS's own cap on an attachment: the size used when none is given.
pub const DEFAULT_SIZE: u64 = 200 * 1024 * 1024;
/// Larger sizes are refused (they would only measure the disk).
pub const MAX_SIZE: u64 = 1 << 32;

fn default_size() -> u64 {
    DEFAULT_SIZE
}

/// A generated file to add to a dossier's first pièce-justificative champ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSpec {
    /// Dossier number; its démarche must have a pièce-justificative champ.
    pub dossier: i64,
    /// Bytes (default [`DEFAULT_SIZE`]).
    #[serde(default = "default_size")]
    pub size: u64,
    /// Serve a flipped first byte, so the checksum DS announces no longer matches.
    #[serde(default)]
    pub corrupt: bool,
    /// Default `piece-<dossier>-<id>.bin`.
    #[serde(default)]
    pub filename: Option<String>,
}

impl AttachmentSpec {
    /// A file of `size` bytes on `dossier`, served intact under the default name.
    pub fn new(dossier: i64, size: u64) -> Self {
        AttachmentSpec {
            dossier,
            size,
            corrupt: false,
            filename: None,
        }
    }

    /// Parses the command-line form `DOSSIER[:SIZE]`, where SIZE is a number of bytes with an
    /// optional `K`, `M` or `G` suffix (powers of 1024), e.g. `10500001:200M`.
    pub fn parse_cli(arg: &str) -> Result<Self, SandboxError> {
        let bad = || SandboxError::Invalid(format!("--attachment {arg}: expected DOSSIER[:SIZE]"));
        let (dossier, size) = match arg.split_once(':') {
            Some((d, s)) => (d, Some(s)),
            None => (arg, None),
        };
        let dossier = dossier.trim().parse().map_err(|_| bad())?;
        let size = match size {
            None => DEFAULT_SIZE,
            Some(s) => parse_size(s).ok_or_else(bad)?,
        };
        Ok(AttachmentSpec::new(dossier, size))
    }
}

/// `123`, `64K`, `200M`, `1G` (powers of 1024).
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_uppercase()),
        _ => (s, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Adds the generated file to the dossier's first pièce-justificative champ (and to the file
/// table that signed URLs resolve against), described as `lie` says. Returns the file id. The
/// seed derives from the id, which the world hands out in order, so the same calls on a fresh
/// world give the same bytes.
pub(crate) fn attach(
    st: &mut State,
    spec: &AttachmentSpec,
    lie: FileLie,
) -> Result<u64, SandboxError> {
    if spec.size > MAX_SIZE {
        return Err(SandboxError::Invalid("size too large (max 4 GiB)".into()));
    }
    let number = spec.dossier;
    let d = st
        .dossiers
        .get(&number)
        .cloned()
        .ok_or(SandboxError::UnknownDossier(number))?;
    let dem = st
        .demarches
        .get(&d.demarche)
        .cloned()
        .ok_or(SandboxError::UnknownDossier(number))?;
    let pj = dem
        .champs
        .iter()
        .find(|c| c.kind == Kind::PieceJustificative)
        .ok_or_else(|| SandboxError::Invalid("no pièce justificative champ".into()))?;
    let id = st.next_id();
    let file = Arc::new(FileRecord {
        id,
        filename: spec
            .filename
            .clone()
            .unwrap_or_else(|| format!("piece-{number}-{id}.bin")),
        content_type: "application/octet-stream".into(),
        created_at: Utc::now(),
        content: Content::Generated {
            seed: id ^ 0xA5A5,
            len: spec.size,
            corrupt: spec.corrupt,
        },
        checksum: OnceLock::new(),
        lie,
    });
    let mut rec = (*d).clone();
    for c in rec
        .champs
        .iter_mut()
        .filter(|c| c.stable_id == pj.stable_id)
    {
        match &mut c.value {
            Value::Files(list) => list.push(file.clone()),
            v => *v = Value::Files(vec![file.clone()]),
        }
        c.updated_at = Utc::now();
    }
    rec.updated_at = Utc::now();
    st.files.insert(id, file);
    st.dossiers.insert(number, Arc::new(rec));
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::{AttachmentSpec, DEFAULT_SIZE, parse_size};

    #[test]
    fn cli_sizes_default_to_200_mib_and_take_suffixes() {
        assert_eq!(
            AttachmentSpec::parse_cli("10500001").unwrap(),
            AttachmentSpec::new(10500001, DEFAULT_SIZE)
        );
        assert_eq!(
            AttachmentSpec::parse_cli("10500001:64k").unwrap().size,
            64 * 1024
        );
        assert_eq!(parse_size("200M"), Some(DEFAULT_SIZE));
        assert_eq!(parse_size("1234"), Some(1234));
        assert_eq!(parse_size("3T"), None);
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("99999999999G"), None);
        assert!(AttachmentSpec::parse_cli("x:1").is_err());
        assert!(AttachmentSpec::parse_cli("10500001:").is_err());
    }
}
