//! Signed plugins. Keys and signatures use minisign's formats (ed25519,
//! BLAKE2b-prehashed signatures with a signed "trusted comment"), so the
//! common `minisign` tool verifies Pont's signatures and Pont verifies its.
//!
//! A Pont signature covers the component and its manifest: it signs the
//! component and puts the manifest's SHA-256 in the trusted comment. A plain
//! minisign signature of the component is accepted too, with the manifest
//! covered by its own signature (`pont.toml.minisig`) by a trusted key.

mod minisign;
mod plugin;

pub use minisign::{KeyPair, PublicKey, SecretKey, SignatureFile};
pub use plugin::{Verified, sign_plugin, signature_path, verify_plugin};

/// Why a key, a signature or a plugin could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Untrusted(String),
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> TrustError + '_ {
    move |source| TrustError::Io {
        path: path.display().to_string(),
        source,
    }
}
