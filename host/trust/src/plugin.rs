//! What Pont signs and checks: a plugin component and its manifest.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::minisign::{PublicKey, SecretKey, SignatureFile};
use crate::{TrustError, io_err};

/// Where a file's signature lives: `<file>.minisig`, as minisign puts it.
pub fn signature_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".minisig");
    file.with_file_name(name)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn read(path: &Path) -> Result<Vec<u8>, TrustError> {
    std::fs::read(path).map_err(io_err(path))
}

/// The trusted comment of a Pont plugin signature.
fn comment(file: &Path, component: &[u8], manifest: &[u8]) -> String {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    format!(
        "pont-plugin file={name} sha256={} manifest-sha256={}",
        sha256(component),
        sha256(manifest)
    )
}

fn comment_field<'a>(comment: &'a str, key: &str) -> Option<&'a str> {
    comment
        .split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
}

/// Sign a component and its manifest; writes `<component>.minisig`.
pub fn sign_plugin(
    key: &SecretKey,
    component: &Path,
    manifest: &Path,
) -> Result<PathBuf, TrustError> {
    let bytes = read(component)?;
    let manifest_bytes = read(manifest)?;
    let sig = key.sign(&bytes, &comment(component, &bytes, &manifest_bytes))?;
    let out = signature_path(component);
    std::fs::write(&out, sig.to_file()).map_err(io_err(&out))?;
    Ok(out)
}

/// A successful check: who signed, and how the manifest is covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub key_id: String,
    /// `trusted comment` (a Pont signature) or `manifest signature`.
    pub manifest_covered_by: &'static str,
}

/// Check `component` (with its bytes already read) and `manifest` against the
/// trusted keys: the component's signature must be by one of them, and the
/// manifest must be covered, by the signature's trusted comment or by its
/// own `<manifest>.minisig` from a trusted key.
pub fn verify_plugin(
    component: &Path,
    bytes: &[u8],
    manifest: &Path,
    trusted: &[PublicKey],
) -> Result<Verified, TrustError> {
    if trusted.is_empty() {
        return Err(TrustError::Untrusted("no trusted key is configured".into()));
    }
    let sig_path = signature_path(component);
    let sig_text = std::fs::read_to_string(&sig_path).map_err(|_| {
        TrustError::Untrusted(format!(
            "{} is not signed (no {})",
            component.display(),
            sig_path.display()
        ))
    })?;
    let sig = SignatureFile::parse(&sig_text).map_err(|e| file_err(&sig_path, e))?;
    let (key, comment) = check_any(trusted, bytes, &sig)
        .map_err(|e| TrustError::Untrusted(format!("{}: {e}", component.display())))?;
    let manifest_bytes = read(manifest)?;
    if let Some(want) = comment_field(&comment, "manifest-sha256") {
        if want != sha256(&manifest_bytes) {
            return Err(TrustError::Untrusted(format!(
                "{} is not the manifest that was signed with {}",
                manifest.display(),
                component.display()
            )));
        }
        return Ok(Verified {
            key_id: key.id_hex(),
            manifest_covered_by: "trusted comment",
        });
    }
    let msig_path = signature_path(manifest);
    let msig_text = std::fs::read_to_string(&msig_path).map_err(|_| {
        TrustError::Untrusted(format!(
            "the signature of {} does not cover its manifest, and {} is not signed (no {})",
            component.display(),
            manifest.display(),
            msig_path.display()
        ))
    })?;
    let msig = SignatureFile::parse(&msig_text).map_err(|e| file_err(&msig_path, e))?;
    check_any(trusted, &manifest_bytes, &msig)
        .map_err(|e| TrustError::Untrusted(format!("{}: {e}", manifest.display())))?;
    Ok(Verified {
        key_id: key.id_hex(),
        manifest_covered_by: "manifest signature",
    })
}

fn file_err(path: &Path, e: TrustError) -> TrustError {
    TrustError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn check_any<'k>(
    trusted: &'k [PublicKey],
    data: &[u8],
    sig: &SignatureFile,
) -> Result<(&'k PublicKey, String), TrustError> {
    let key = trusted
        .iter()
        .find(|k| k.key_id == sig.key_id)
        .ok_or_else(|| {
            TrustError::Untrusted(format!(
                "signed by key {:016X}, which is not a trusted key",
                u64::from_le_bytes(sig.key_id)
            ))
        })?;
    Ok((key, key.verify(data, sig)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyPair;

    #[test]
    fn a_signed_plugin_verifies_and_changes_are_caught() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("robot.wasm");
        let manifest = dir.path().join("pont.toml");
        std::fs::write(&wasm, b"\0asm component").unwrap();
        std::fs::write(&manifest, b"[robot]\nname = \"r\"\n").unwrap();
        let sk = KeyPair::generate().unwrap();
        sign_plugin(&sk, &wasm, &manifest).unwrap();
        let bytes = std::fs::read(&wasm).unwrap();
        let ok = verify_plugin(&wasm, &bytes, &manifest, &[sk.public()]).unwrap();
        assert_eq!(ok.manifest_covered_by, "trusted comment");

        let stranger = KeyPair::generate().unwrap().public();
        let err = verify_plugin(&wasm, &bytes, &manifest, &[stranger])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a trusted key"), "{err}");

        std::fs::write(
            &manifest,
            b"[robot]\nname = \"r\"\n[requests]\nstate = true\n",
        )
        .unwrap();
        let err = verify_plugin(&wasm, &bytes, &manifest, &[sk.public()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not the manifest that was signed"), "{err}");

        let err = verify_plugin(&wasm, b"\0asm other", &manifest, &[sk.public()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match"), "{err}");
    }
}
