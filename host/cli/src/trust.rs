//! `pont keygen`, `pont sign`, `pont verify`: signed plugins, in minisign's
//! format so the common `minisign` tool interoperates.

use std::io::Write;
use std::path::{Path, PathBuf};

use pont_trust::{KeyPair, PublicKey, SecretKey};

use crate::exit::{Exit, Failure};

fn fail(code: Exit) -> impl Fn(pont_trust::TrustError) -> Failure {
    move |e| Failure::new(code, e.to_string())
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(Exit::Config, format!("cannot read {}: {e}", path.display())))
}

/// The manifest given, or `pont.toml` beside the plugin.
pub(crate) fn manifest_for(plugin: &Path, manifest: Option<PathBuf>) -> PathBuf {
    manifest.unwrap_or_else(|| plugin.with_file_name("pont.toml"))
}

pub(crate) fn keygen(secret: &Path, public: &Path) -> Result<Exit, Failure> {
    for p in [secret, public] {
        if p.exists() {
            return Err(Failure::new(
                Exit::Config,
                format!("{} exists; not overwriting a key", p.display()),
            ));
        }
    }
    let sk = KeyPair::generate().map_err(fail(Exit::Fatal))?;
    write_private(secret, sk.to_file().as_bytes())?;
    std::fs::write(public, sk.public().to_file()).map_err(|e| {
        Failure::new(
            Exit::Fatal,
            format!("cannot write {}: {e}", public.display()),
        )
    })?;
    println!(
        "secret key: {} (keep it private; unencrypted, mode 0600)",
        secret.display()
    );
    println!("public key: {}", public.display());
    println!("key id:     {}", sk.public().id_hex());
    println!(
        "for a robot config: trusted-keys = [\"{}\"]",
        sk.public().line()
    );
    // Absolute: a config resolves relative paths against its own directory.
    let public = std::fs::canonicalize(public).unwrap_or_else(|_| public.to_owned());
    println!(
        "or, naming the file: trusted-key-files = [{:?}]",
        public.display().to_string()
    );
    Ok(Exit::Ok)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            Failure::new(
                Exit::Fatal,
                format!("cannot create {}: {e}", path.display()),
            )
        })?;
    f.write_all(bytes)
        .map_err(|e| Failure::new(Exit::Fatal, format!("cannot write {}: {e}", path.display())))
}

pub(crate) fn sign(key: &Path, plugin: &Path, manifest: Option<PathBuf>) -> Result<Exit, Failure> {
    let sk = SecretKey::parse(&read(key)?)
        .map_err(|e| Failure::new(Exit::Config, format!("{}: {e}", key.display())))?;
    let manifest = manifest_for(plugin, manifest);
    let out = pont_trust::sign_plugin(&sk, plugin, &manifest).map_err(fail(Exit::Config))?;
    println!(
        "signed {} with its manifest {} (key {}): {}",
        plugin.display(),
        manifest.display(),
        sk.public().id_hex(),
        out.display()
    );
    Ok(Exit::Ok)
}

pub(crate) fn verify(
    keys: &[String],
    key_files: &[PathBuf],
    plugin: &Path,
    manifest: Option<PathBuf>,
) -> Result<Exit, Failure> {
    let mut trusted = Vec::new();
    for k in keys {
        trusted.push(
            PublicKey::parse(k)
                .map_err(|e| Failure::new(Exit::Config, format!("--trusted-key: {e}")))?,
        );
    }
    for f in key_files {
        trusted.push(PublicKey::load(f).map_err(fail(Exit::Config))?);
    }
    if trusted.is_empty() {
        return Err(Failure::new(
            Exit::Config,
            "name at least one trusted key (--trusted-key or --public-key)",
        ));
    }
    let bytes = std::fs::read(plugin).map_err(|e| {
        Failure::new(
            Exit::Plugin,
            format!("cannot read {}: {e}", plugin.display()),
        )
    })?;
    let manifest = manifest_for(plugin, manifest);
    let v = pont_trust::verify_plugin(plugin, &bytes, &manifest, &trusted)
        .map_err(fail(Exit::Integrity))?;
    println!(
        "{}: signature by trusted key {} is valid; manifest {} covered by {}",
        plugin.display(),
        v.key_id,
        manifest.display(),
        v.manifest_covered_by
    );
    Ok(Exit::Ok)
}
