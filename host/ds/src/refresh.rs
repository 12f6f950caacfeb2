//! Downloads that outlive their URL. DS's file URLs are signed and live
//! about an hour (API-NOTES §3); a robot that reads a dossier and downloads
//! its files later can meet a 401 from the storage. The dossier is then read
//! once more for a fresh URL of the same file, and the download tried once
//! more; a second 401 is an error that says so.

use std::path::Path;

use pont_policy::Permit;

use crate::client::DsClient;
use crate::error::DsError;
use crate::files::Downloaded;
use crate::model::{Champ, ChampValue, Dossier, DsFile};

/// The same file among `files`: same name and same checksum.
fn same<'a>(files: impl IntoIterator<Item = &'a DsFile>, old: &DsFile) -> Option<DsFile> {
    files
        .into_iter()
        .find(|f| f.filename == old.filename && f.checksum == old.checksum)
        .cloned()
}

/// Every file of a champ, its repetition rows included.
fn champ_files(c: &Champ) -> impl Iterator<Item = &DsFile> {
    let own = match &c.value {
        ChampValue::Files(f) => f.as_slice(),
        _ => &[],
    };
    let cells = c
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .flat_map(|cell| match &cell.value {
            ChampValue::Files(f) => f.as_slice(),
            _ => &[],
        });
    own.iter().chain(cells)
}

/// The file in a freshly read dossier's champs and annotations.
fn find_in(d: &Dossier, old: &DsFile) -> Option<DsFile> {
    same(
        d.champs.iter().chain(&d.annotations).flat_map(champ_files),
        old,
    )
}

impl DsClient {
    /// [`DsClient::download_hashed`] of a file of dossier `number` (its
    /// champs, annotations or messages). On an expired URL the dossier is
    /// read again and the fresh URL of the same file (same name, same
    /// checksum) is tried once; an error says when that did not help.
    /// `permit` must allow reading the dossier.
    pub async fn download_fresh(
        &self,
        permit: &Permit,
        number: i64,
        file: &DsFile,
        dest: &Path,
    ) -> Result<Downloaded, DsError> {
        match self.download_hashed(permit, file, dest).await {
            Err(DsError::UrlExpired(_)) => {}
            other => return other,
        }
        tracing::info!(
            number,
            "file URL expired; reading the dossier again for a fresh one"
        );
        let fresh = self.fresh_file(permit, number, file).await?;
        match self.download_hashed(permit, &fresh, dest).await {
            Err(DsError::UrlExpired(_)) => Err(DsError::UrlExpired(format!(
                "file {} of dossier {number}: the URL DS gave when the dossier was read again \
                 expired too",
                file.filename
            ))),
            other => other,
        }
    }

    /// The file's current URL, from the dossier read again.
    async fn fresh_file(
        &self,
        permit: &Permit,
        number: i64,
        old: &DsFile,
    ) -> Result<DsFile, DsError> {
        let d = self.dossier(permit, number).await?;
        if let Some(f) = find_in(&d, old) {
            return Ok(f);
        }
        let messages = self.messages_of(number).await?;
        same(messages.iter().flat_map(|m| &m.attachments), old).ok_or_else(|| {
            DsError::NotFound(format!(
                "file {} is no longer on dossier {number}",
                old.filename
            ))
        })
    }
}
