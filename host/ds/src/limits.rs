//! Bounds on what DS, or anything answering at its address, can make the
//! client hold or do: the size of a GraphQL answer, the size of a download
//! and the length of a listing. A hostile or broken server gets a clear,
//! non-retryable [`DsError::Limit`] instead of the host's memory or time.

use crate::error::DsError;
use crate::model::DsFile;

const MIB: u64 = 1024 * 1024;

/// The client's bounds, set with [`crate::DsClientBuilder::limits`].
///
/// The robot config's `[limits]` section is where an operator should set
/// these; the runtime builds its client in
/// `host/runtime/src/capabilities/ds/mod.rs` (`DsBackend::new`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DsLimits {
    /// Largest GraphQL answer read, in bytes. A full page of 100 dossiers
    /// with all their champs is a few MB; 32 MiB leaves a wide margin.
    pub max_response_bytes: u64,
    /// Largest attachment downloaded, whatever size DS declares. DS itself
    /// refuses uploads over 200 MB.
    pub max_download_bytes: u64,
    /// Most pages one listing ([`crate::PageCursor`]) may take: 10,000
    /// pages of 100 is a million dossiers, more than any démarche holds.
    pub max_pages: u32,
}

impl Default for DsLimits {
    fn default() -> Self {
        Self {
            max_response_bytes: 32 * MIB,
            max_download_bytes: 1024 * MIB,
            max_pages: 10_000,
        }
    }
}

/// Why a capped body could not be read.
pub(crate) enum BodyError {
    /// The body passed the limit; reading stopped there.
    TooLarge(DsError),
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

fn response_too_large(limit: u64) -> DsError {
    DsError::Limit(format!(
        "DS answer larger than {limit} bytes (DsLimits::max_response_bytes)"
    ))
}

/// Reads a whole body, but never more than `limit` bytes: a declared
/// `Content-Length` over the limit is refused before reading, and a body
/// without one is cut as soon as it passes the limit. The client asks for
/// no compression, so these are the bytes that will be parsed.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge(response_too_large(limit)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge(response_too_large(limit)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// How many bytes one download may bring: no more than DS declared (when it
/// declared a size at all: `0` reads as unknown) and never more than the
/// global cap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DownloadCap {
    declared: u64,
    global: u64,
}

impl DownloadCap {
    /// Refuses at once a file DS declares larger than the global cap.
    pub(crate) fn new(file: &DsFile, limits: &DsLimits) -> Result<Self, DsError> {
        let global = limits.max_download_bytes;
        if file.byte_size > global {
            return Err(DsError::Limit(format!(
                "file {} declared {} bytes, over {global} (DsLimits::max_download_bytes)",
                file.filename, file.byte_size
            )));
        }
        Ok(Self {
            declared: file.byte_size,
            global,
        })
    }

    /// Checks a byte count (received so far, or announced by the storage):
    /// more than declared is an integrity error, more than the cap a limit.
    pub(crate) fn check(&self, file: &DsFile, bytes: u64) -> Result<(), DsError> {
        if self.declared > 0 && bytes > self.declared {
            return Err(DsError::InvalidFile(format!(
                "size mismatch for {}: DS says {}, the storage sends more",
                file.filename, self.declared
            )));
        }
        if bytes > self.global {
            return Err(DsError::Limit(format!(
                "file {} larger than {} bytes (DsLimits::max_download_bytes)",
                file.filename, self.global
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(byte_size: u64) -> DsFile {
        DsFile {
            url: "http://storage.invalid/f".into(),
            filename: "f.pdf".into(),
            content_type: "application/pdf".into(),
            checksum: String::new(),
            byte_size,
        }
    }

    fn limits(max_download_bytes: u64) -> DsLimits {
        DsLimits {
            max_download_bytes,
            ..DsLimits::default()
        }
    }

    #[test]
    fn a_declared_size_bounds_the_download_below_the_cap() {
        let f = file(100);
        let cap = DownloadCap::new(&f, &limits(1000)).unwrap();
        assert!(cap.check(&f, 100).is_ok());
        assert!(matches!(cap.check(&f, 101), Err(DsError::InvalidFile(_))));
    }

    #[test]
    fn a_size_of_zero_still_meets_the_global_cap() {
        let f = file(0);
        let cap = DownloadCap::new(&f, &limits(1000)).unwrap();
        assert!(cap.check(&f, 1000).is_ok());
        let err = cap.check(&f, 1001).unwrap_err();
        assert!(matches!(err, DsError::Limit(_)));
        assert!(err.to_string().contains("max_download_bytes"), "{err}");
    }

    #[test]
    fn a_file_declared_over_the_cap_is_refused_before_any_byte() {
        let err = DownloadCap::new(&file(1001), &limits(1000)).unwrap_err();
        assert!(matches!(err, DsError::Limit(_)), "{err}");
    }
}
