//! minisign's key and signature formats (ed25519).
//!
//! Public key: `untrusted comment: …` then base64(`Ed` ‖ key id (8) ‖ key (32)).
//! Secret key: base64(`Ed` ‖ kdf `\0\0` (unencrypted) ‖ `B2` ‖ salt (32) ‖
//! opslimit (8) ‖ memlimit (8) ‖ key id (8) ‖ secret (64) ‖ BLAKE2b-256
//! checksum (32)). Signature: base64(`ED` ‖ key id ‖ sig(BLAKE2b-512(file))),
//! then `trusted comment: …` and base64(sig(signature ‖ comment)).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Blake2b512, Digest};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use std::io::Read as _;
use std::path::Path;

use crate::TrustError;

const ALG_ED: &[u8; 2] = b"Ed";
const ALG_PREHASHED: &[u8; 2] = b"ED";
const KDF_NONE: &[u8; 2] = &[0, 0];
const CHK_BLAKE2: &[u8; 2] = b"B2";
const UNTRUSTED: &str = "untrusted comment: ";
const TRUSTED: &str = "trusted comment: ";
/// Most bytes `PublicKey::load` reads.
const MAX_KEY_FILE: u64 = 4096;

fn format_err(what: &str) -> TrustError {
    TrustError::Format(what.to_string())
}

/// The second line of a minisign file, decoded.
fn payload(text: &str, what: &str) -> Result<Vec<u8>, TrustError> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let line = if first.starts_with(UNTRUSTED) {
        lines.next()
    } else {
        Some(first)
    };
    let line = line.ok_or_else(|| format_err(&format!("not a {what}: no key line")))?;
    B64.decode(line.trim())
        .map_err(|_| format_err(&format!("not a {what}: the key line is not base64")))
}

/// A minisign/Pont public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub key_id: [u8; 8],
    key: VerifyingKey,
}

impl PublicKey {
    /// Parse a public key file, or the bare base64 line.
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        let bytes = payload(text, "public key")?;
        if bytes.len() != 42 || &bytes[..2] != ALG_ED {
            return Err(format_err("not an ed25519 minisign public key"));
        }
        let key = VerifyingKey::from_bytes(bytes[10..42].try_into().expect("32 bytes"))
            .map_err(|_| format_err("the public key is not a valid ed25519 point"))?;
        Ok(Self {
            key_id: bytes[2..10].try_into().expect("8 bytes"),
            key,
        })
    }

    /// Read and parse a public key file. The read is bounded: a key file is
    /// under 200 bytes, and a config naming a huge file (or `/dev/zero`) must
    /// not exhaust the host's memory.
    pub fn load(path: &Path) -> Result<Self, TrustError> {
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_KEY_FILE + 1).read_to_string(&mut text))
            .map_err(crate::io_err(path))?;
        let file_err = |message: String| TrustError::File {
            path: path.display().to_string(),
            message,
        };
        if text.len() as u64 > MAX_KEY_FILE {
            return Err(file_err(format!(
                "larger than {MAX_KEY_FILE} bytes: not a public key file"
            )));
        }
        Self::parse(&text).map_err(|e| file_err(e.to_string()))
    }

    /// The key id as minisign prints it.
    pub fn id_hex(&self) -> String {
        format!("{:016X}", u64::from_le_bytes(self.key_id))
    }

    /// The base64 line alone (what goes into a robot config).
    pub fn line(&self) -> String {
        let mut bytes = ALG_ED.to_vec();
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(self.key.as_bytes());
        B64.encode(bytes)
    }

    /// The public key file.
    pub fn to_file(&self) -> String {
        format!(
            "{UNTRUSTED}minisign public key {}\n{}\n",
            self.id_hex(),
            self.line()
        )
    }

    /// Check a signature of `data`; returns the trusted comment.
    pub fn verify(&self, data: &[u8], sig: &SignatureFile) -> Result<String, TrustError> {
        if sig.key_id != self.key_id {
            return Err(TrustError::Untrusted(format!(
                "signed by key {:016X}, not by {}",
                u64::from_le_bytes(sig.key_id),
                self.id_hex()
            )));
        }
        let message = if sig.prehashed {
            Blake2b512::digest(data).to_vec()
        } else {
            data.to_vec()
        };
        self.key
            .verify_strict(&message, &sig.signature)
            .map_err(|_| TrustError::Untrusted("the signature does not match the file".into()))?;
        let mut global = sig.signature.to_bytes().to_vec();
        global.extend_from_slice(sig.trusted_comment.as_bytes());
        self.key
            .verify_strict(&global, &sig.global)
            .map_err(|_| TrustError::Untrusted("the trusted comment was altered".into()))?;
        Ok(sig.trusted_comment.clone())
    }
}

/// A secret key (kept unencrypted: protect the file, mode 0600).
pub struct SecretKey {
    key_id: [u8; 8],
    key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({:016X})", u64::from_le_bytes(self.key_id))
    }
}

fn checksum(key_id: &[u8; 8], secret: &[u8; 64]) -> [u8; 32] {
    let mut h = Blake2b::<U32>::new();
    h.update(ALG_ED);
    h.update(key_id);
    h.update(secret);
    h.finalize().into()
}

impl SecretKey {
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        let b = payload(text, "secret key")?;
        if b.len() != 158 || &b[..2] != ALG_ED || &b[4..6] != CHK_BLAKE2 {
            return Err(format_err("not an ed25519 minisign secret key"));
        }
        if &b[2..4] != KDF_NONE {
            return Err(format_err(
                "the secret key is password-protected; Pont needs an unencrypted key file (protect it with file permissions)",
            ));
        }
        let key_id: [u8; 8] = b[54..62].try_into().expect("8 bytes");
        let secret: [u8; 64] = b[62..126].try_into().expect("64 bytes");
        // minisign itself leaves the checksum zero in unencrypted keys.
        let stored = &b[126..158];
        if stored.iter().any(|x| *x != 0) && checksum(&key_id, &secret) != stored {
            return Err(format_err("the secret key's checksum does not match"));
        }
        let key = SigningKey::from_bytes(secret[..32].try_into().expect("32 bytes"));
        if key.verifying_key().as_bytes() != &secret[32..] {
            return Err(format_err("the secret key's halves do not match"));
        }
        Ok(Self { key_id, key })
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    pub fn to_file(&self) -> String {
        let mut secret = [0u8; 64];
        secret[..32].copy_from_slice(self.key.as_bytes());
        secret[32..].copy_from_slice(self.key.verifying_key().as_bytes());
        let mut b = Vec::with_capacity(158);
        b.extend_from_slice(ALG_ED);
        b.extend_from_slice(KDF_NONE);
        b.extend_from_slice(CHK_BLAKE2);
        b.extend_from_slice(&[0u8; 48]);
        b.extend_from_slice(&self.key_id);
        b.extend_from_slice(&secret);
        b.extend_from_slice(&checksum(&self.key_id, &secret));
        format!(
            "{UNTRUSTED}minisign secret key {:016X} (unencrypted)\n{}\n",
            u64::from_le_bytes(self.key_id),
            B64.encode(b)
        )
    }

    /// Sign `data` (prehashed, as minisign does by default) with a trusted comment.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<SignatureFile, TrustError> {
        if trusted_comment.contains(['\n', '\r']) {
            return Err(format_err("a trusted comment is one line"));
        }
        let signature = self.key.sign(&Blake2b512::digest(data));
        let mut global = signature.to_bytes().to_vec();
        global.extend_from_slice(trusted_comment.as_bytes());
        Ok(SignatureFile {
            key_id: self.key_id,
            prehashed: true,
            signature,
            untrusted_comment: "signature from pont secret key".into(),
            trusted_comment: trusted_comment.to_string(),
            global: self.key.sign(&global),
        })
    }
}

/// A fresh key pair.
pub struct KeyPair;

impl KeyPair {
    pub fn generate() -> Result<SecretKey, TrustError> {
        let mut seed = [0u8; 32];
        let mut key_id = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| format_err(&format!("no randomness: {e}")))?;
        getrandom::fill(&mut key_id).map_err(|e| format_err(&format!("no randomness: {e}")))?;
        Ok(SecretKey {
            key_id,
            key: SigningKey::from_bytes(&seed),
        })
    }
}

/// A `.minisig` file.
#[derive(Debug, Clone)]
pub struct SignatureFile {
    pub key_id: [u8; 8],
    pub prehashed: bool,
    signature: Signature,
    pub untrusted_comment: String,
    pub trusted_comment: String,
    global: Signature,
}

impl SignatureFile {
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        let lines: Vec<&str> = text.lines().collect();
        let [untrusted, sig, trusted, global, ..] = lines.as_slice() else {
            return Err(format_err("not a minisign signature (expected four lines)"));
        };
        let untrusted = untrusted
            .strip_prefix(UNTRUSTED)
            .ok_or_else(|| format_err("not a minisign signature (no untrusted comment)"))?;
        let trusted = trusted
            .strip_prefix(TRUSTED)
            .ok_or_else(|| format_err("not a minisign signature (no trusted comment)"))?;
        let sig = B64
            .decode(sig.trim())
            .map_err(|_| format_err("the signature line is not base64"))?;
        let global = B64
            .decode(global.trim())
            .map_err(|_| format_err("the global signature is not base64"))?;
        if sig.len() != 74 || global.len() != 64 {
            return Err(format_err("the signature has the wrong length"));
        }
        let prehashed = match &sig[..2] {
            a if a == ALG_PREHASHED => true,
            a if a == ALG_ED => false,
            _ => return Err(format_err("unknown signature algorithm")),
        };
        Ok(Self {
            key_id: sig[2..10].try_into().expect("8 bytes"),
            prehashed,
            signature: Signature::from_bytes(sig[10..74].try_into().expect("64 bytes")),
            untrusted_comment: untrusted.to_string(),
            trusted_comment: trusted.to_string(),
            global: Signature::from_bytes(global[..].try_into().expect("64 bytes")),
        })
    }

    pub fn to_file(&self) -> String {
        let mut sig = if self.prehashed {
            ALG_PREHASHED.to_vec()
        } else {
            ALG_ED.to_vec()
        };
        sig.extend_from_slice(&self.key_id);
        sig.extend_from_slice(&self.signature.to_bytes());
        format!(
            "{UNTRUSTED}{}\n{}\n{TRUSTED}{}\n{}\n",
            self.untrusted_comment,
            B64.encode(sig),
            self.trusted_comment,
            B64.encode(self.global.to_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_signatures_round_trip() {
        let sk = KeyPair::generate().unwrap();
        let sk2 = SecretKey::parse(&sk.to_file()).unwrap();
        let pk = PublicKey::parse(&sk2.public().to_file()).unwrap();
        assert_eq!(pk, sk.public());
        let sig = sk2.sign(b"component bytes", "pont-plugin test").unwrap();
        let sig = SignatureFile::parse(&sig.to_file()).unwrap();
        assert_eq!(
            pk.verify(b"component bytes", &sig).unwrap(),
            "pont-plugin test"
        );
        assert!(pk.verify(b"component bytez", &sig).is_err());
        let other = KeyPair::generate().unwrap().public();
        assert!(matches!(
            other.verify(b"component bytes", &sig),
            Err(TrustError::Untrusted(_))
        ));
    }

    #[test]
    fn a_public_key_file_loads_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let pk = KeyPair::generate().unwrap().public();
        let good = dir.path().join("k.pub");
        std::fs::write(&good, pk.to_file()).unwrap();
        assert_eq!(PublicKey::load(&good).unwrap(), pk);

        let huge = dir.path().join("huge.pub");
        std::fs::write(&huge, pk.to_file().repeat(100)).unwrap();
        let err = PublicKey::load(&huge).unwrap_err().to_string();
        assert!(err.contains("huge.pub: larger than 4096 bytes"), "{err}");

        let junk = dir.path().join("junk.pub");
        std::fs::write(&junk, "untrusted comment: x\nnot base64!\n").unwrap();
        let err = PublicKey::load(&junk).unwrap_err().to_string();
        assert!(err.contains("junk.pub: not a public key"), "{err}");

        let err = PublicKey::load(&dir.path().join("missing.pub"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.pub"), "{err}");
    }

    #[test]
    fn an_altered_trusted_comment_is_refused() {
        let sk = KeyPair::generate().unwrap();
        let text = sk
            .sign(b"x", "manifest-sha256=aa")
            .unwrap()
            .to_file()
            .replace("manifest-sha256=aa", "manifest-sha256=bb");
        let sig = SignatureFile::parse(&text).unwrap();
        let err = sk.public().verify(b"x", &sig).unwrap_err().to_string();
        assert!(err.contains("trusted comment"), "{err}");
    }
}
