//! Files: direct upload to DS's storage, and checked, streamed downloads.
//!
//! Neither direction holds a whole file in memory (DS attachments reach
//! 200 MB): uploads hash the file in a first pass and stream it in a second,
//! downloads hash while writing to a `.part` file renamed only when the MD5
//! matches DS's checksum.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use futures_util::StreamExt as _;
use md5::{Digest, Md5};
use reqwest::StatusCode;
use sha2::Sha256;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::DsClient;
use crate::error::DsError;
use crate::limits::DownloadCap;
use crate::model::{DossierKey, DsFile};
use crate::ops;
use crate::ops::create_direct_upload as cdu;

/// A file uploaded to DS's storage, ready to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedBlob {
    /// Pass this as `justificatif` or message `attachment`.
    pub signed_blob_id: String,
    /// DS's blob id.
    pub blob_id: String,
    /// Size sent.
    pub byte_size: u64,
    /// Base64 MD5 sent.
    pub checksum: String,
}

/// A checked download: what [`DsClient::download_hashed`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Bytes written.
    pub size: u64,
    /// SHA-256 of those bytes, computed in the same pass as DS's MD5 so the
    /// caller need not read the file again.
    pub sha256: [u8; 32],
}

/// Chunks each hasher may have queued. Chunks are shared (`Bytes`), so this
/// bounds the memory held for hashing to a few socket reads, and the download
/// waits for a hasher that falls behind instead of buffering the file.
const HASH_QUEUE: usize = 16;

fn io(context: &str, e: std::io::Error) -> DsError {
    DsError::Io(format!("{context}: {e}"))
}

/// Base64 MD5 and size of a file, read in chunks.
pub async fn file_checksum(path: &Path) -> Result<(String, u64), DsError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io("open", e))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(|e| io("read", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((BASE64.encode(hasher.finalize()), size))
}

impl DsClient {
    /// Uploads a local file for a dossier: `createDirectUpload`, then `PUT`
    /// of the bytes with every header DS returned (as a JSON string).
    ///
    /// `createDirectUpload` only creates an unattached blob, which DS
    /// discards if never used, so it is retried like a query.
    pub async fn upload_file(
        &self,
        permit: &pont_policy::Permit,
        dossier: &DossierKey,
        path: &Path,
        filename: &str,
        content_type: &str,
    ) -> Result<UploadedBlob, DsError> {
        crate::permit::upload(permit, dossier)?;
        let (checksum, byte_size) = file_checksum(path).await?;
        let input = cdu::CreateDirectUploadInput {
            dossier_id: dossier.id.clone(),
            filename: filename.to_string(),
            byte_size: i64::try_from(byte_size)
                .map_err(|_| DsError::Io("file too large".into()))?,
            checksum: checksum.clone(),
            content_type: content_type.to_string(),
        };
        let data = self
            .query::<ops::CreateDirectUpload>(cdu::Variables { input })
            .await?;
        let du = data
            .create_direct_upload
            .ok_or_else(|| DsError::Decode("createDirectUpload: empty payload".into()))?
            .direct_upload;
        let headers: HashMap<String, String> = serde_json::from_str(&du.headers)
            .map_err(|e| DsError::Decode(format!("direct upload headers: {e}")))?;
        self.put_file(&du.url, &headers, path, byte_size).await?;
        Ok(UploadedBlob {
            signed_blob_id: du.signed_blob_id,
            blob_id: du.blob_id,
            byte_size,
            checksum,
        })
    }

    /// `PUT` is idempotent, so it is retried on transient failures. The
    /// bearer token is not sent: the URL is a signed storage URL.
    async fn put_file(
        &self,
        url: &str,
        headers: &HashMap<String, String>,
        path: &Path,
        size: u64,
    ) -> Result<(), DsError> {
        let retry = self.inner.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Each attempt sends the whole file again: each is counted.
            self.metering.check("upload", size)?;
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| io("open", e))?;
            let mut request = self
                .inner
                .http
                .put(url)
                .timeout(self.inner.timeout)
                .header(reqwest::header::CONTENT_LENGTH, size)
                .body(reqwest::Body::from(file));
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str());
            }
            let reason = match request.send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) if r.status().is_server_error() => format!("HTTP {}", r.status().as_u16()),
                Ok(r) => {
                    return Err(DsError::InvalidFile(format!(
                        "storage refused the upload: HTTP {}",
                        r.status()
                    )));
                }
                Err(e) => if e.is_timeout() {
                    "timeout"
                } else {
                    "connection lost"
                }
                .to_string(),
            };
            tracing::warn!(attempt, reason, "upload failed");
            if attempt >= retry.max_attempts {
                return Err(DsError::Unavailable(format!(
                    "upload: {reason} (after {attempt} attempts)"
                )));
            }
            self.pause(attempt).await;
        }
    }

    /// Downloads a DS file to `dest`, streamed, checking DS's MD5. On a
    /// checksum mismatch nothing is left at `dest` (nor a partial file) and
    /// the error is [`DsError::InvalidFile`]. Returns the size written.
    ///
    /// The URL is fetched without the bearer token: it is a signed storage
    /// URL, possibly on another host. An expired URL (about one hour; DS's
    /// storage answers 401) gives [`DsError::UrlExpired`]: re-read the
    /// dossier for a fresh one ([`DsClient::download_fresh`] does). A URL
    /// refused otherwise (403, 404, 410) gives [`DsError::NotFound`].
    ///
    /// The transfer stops as soon as it passes the size DS declared
    /// ([`DsError::InvalidFile`]) or [`crate::DsLimits::max_download_bytes`]
    /// ([`DsError::Limit`]), so a lying storage cannot fill the disk. A
    /// declared size of 0 is read as unknown: only the cap applies.
    pub async fn download(
        &self,
        permit: &pont_policy::Permit,
        file: &DsFile,
        dest: &Path,
    ) -> Result<u64, DsError> {
        Ok(self.download_hashed(permit, file, dest).await?.size)
    }

    /// [`DsClient::download`], also giving the SHA-256 of the bytes. Both
    /// hashes run on blocking threads fed as the chunks arrive, so hashing
    /// overlaps the transfer and the file is read only once, from the socket.
    pub async fn download_hashed(
        &self,
        permit: &pont_policy::Permit,
        file: &DsFile,
        dest: &Path,
    ) -> Result<Downloaded, DsError> {
        crate::permit::download(permit)?;
        let part = part_path(dest);
        let cap = DownloadCap::new(file, &self.inner.limits)?;
        let retry = self.inner.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.download_once(file, cap, &part).await;
            let reason = match result {
                Ok(done) => {
                    tokio::fs::rename(&part, dest)
                        .await
                        .map_err(|e| io("rename", e))?;
                    return Ok(done);
                }
                Err(Download::Fatal(e)) => {
                    let _ = tokio::fs::remove_file(&part).await;
                    return Err(e);
                }
                Err(Download::Transient(reason)) => reason,
            };
            let _ = tokio::fs::remove_file(&part).await;
            tracing::warn!(attempt, reason, "download failed");
            if attempt >= retry.max_attempts {
                return Err(DsError::Unavailable(format!(
                    "download: {reason} (after {attempt} attempts)"
                )));
            }
            self.pause(attempt).await;
        }
    }

    async fn download_once(
        &self,
        file: &DsFile,
        cap: DownloadCap,
        part: &Path,
    ) -> Result<Downloaded, Download> {
        let response = self
            .inner
            .http
            .get(&file.url)
            .send()
            .await
            .map_err(|e| Download::Transient(e.without_url().to_string()))?;
        match response.status() {
            s if s.is_success() => {}
            // DS's object storage says an expired signature this way.
            StatusCode::UNAUTHORIZED => {
                return Err(Download::Fatal(DsError::UrlExpired(format!(
                    "file {} (HTTP 401)",
                    file.filename
                ))));
            }
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::GONE => {
                return Err(Download::Fatal(DsError::NotFound(format!(
                    "file {} (HTTP {}; URL expired?)",
                    file.filename,
                    response.status().as_u16()
                ))));
            }
            s if s.is_server_error() => {
                return Err(Download::Transient(format!("HTTP {}", s.as_u16())));
            }
            s => {
                return Err(Download::Fatal(DsError::Unavailable(format!(
                    "download: HTTP {}",
                    s.as_u16()
                ))));
            }
        }
        if let Some(len) = response.content_length() {
            cap.check(file, len).map_err(Download::Fatal)?;
        }
        let mut out = tokio::fs::File::create(part)
            .await
            .map_err(|e| Download::Fatal(io("create", e)))?;
        let (md5_tx, md5) = spawn_hasher::<Md5>();
        let (sha_tx, sha) = spawn_hasher::<Sha256>();
        let mut size = 0u64;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                Download::Transient(format!("connection lost: {}", e.without_url()))
            })?;
            size += chunk.len() as u64;
            cap.check(file, size).map_err(Download::Fatal)?;
            // A send fails only if a hasher is gone; joining it below reports why.
            let _ = md5_tx.send(chunk.clone()).await;
            let _ = sha_tx.send(chunk.clone()).await;
            out.write_all(&chunk)
                .await
                .map_err(|e| Download::Fatal(io("write", e)))?;
        }
        // No fsync: the `.part` is scratch for the caller (a spool), and whoever
        // makes it durable (a mount's atomic write) syncs its own copy.
        out.flush()
            .await
            .map_err(|e| Download::Fatal(io("flush", e)))?;
        drop((md5_tx, sha_tx));
        let md5 = join_hasher(md5).await?;
        let sha256 = join_hasher(sha).await?;
        let actual = BASE64.encode(md5);
        if actual != file.checksum {
            return Err(Download::Fatal(DsError::InvalidFile(format!(
                "checksum mismatch for {}: DS says {}, got {actual}",
                file.filename, file.checksum
            ))));
        }
        if file.byte_size != 0 && size != file.byte_size {
            return Err(Download::Fatal(DsError::InvalidFile(format!(
                "size mismatch for {}: DS says {}, got {size}",
                file.filename, file.byte_size
            ))));
        }
        Ok(Downloaded {
            size,
            sha256: sha256.into(),
        })
    }
}

/// A hasher on the blocking pool, fed chunks through a bounded queue; it
/// returns its hasher once the sender is dropped.
fn spawn_hasher<H: Digest + Send + 'static>() -> (mpsc::Sender<Bytes>, JoinHandle<H>) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(HASH_QUEUE);
    let handle = tokio::task::spawn_blocking(move || {
        let mut hasher = H::new();
        while let Some(chunk) = rx.blocking_recv() {
            hasher.update(&chunk);
        }
        hasher
    });
    (tx, handle)
}

async fn join_hasher<H: Digest>(handle: JoinHandle<H>) -> Result<md5::digest::Output<H>, Download> {
    handle
        .await
        .map(Digest::finalize)
        .map_err(|e| Download::Fatal(DsError::Io(format!("hashing: {e}"))))
}

enum Download {
    Transient(String),
    Fatal(DsError),
}

/// `<dest>.part`, in the same directory so the final rename is atomic.
fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}
