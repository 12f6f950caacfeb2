//! Local accounts of the console: a TOML file of names and argon2id hashes
//! (`pont user add NAME`), which the service reads at each login, so an
//! account added or removed takes effect without a restart. An account may
//! name the agent's DS instructeur by e-mail (`--instructeur EMAIL`, as a
//! robot config's `ds.instructeur`, resolved to DS's id when used): a
//! decision the agent approves is then sent to DS as that instructeur, not
//! the robot's.
//!
//! The file is written whole, atomically (a temporary file in the same
//! directory, renamed over it), with mode 0600, under a lock file beside it
//! so two `pont user add` at once do not lose one another's account. A file
//! that others may read or write is refused at load, the way ssh refuses a
//! key: the hashes are not the passwords, but an offline guess at a weak
//! one needs only the hash.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

/// Passwords shorter than this are refused (ANSSI's guidance for a
/// password that is the only factor is 12 characters or more).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer passwords are refused: hashing is the cost a login pays.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// An account name's longest form.
pub const MAX_NAME_CHARS: usize = 64;
/// An instructeur e-mail's longest form (RFC 5321's path limit).
pub const MAX_INSTRUCTEUR_CHARS: usize = 254;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("accounts file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(
        "account name `{0}`: use 1 to 64 lowercase letters, digits, `.`, `_` or `-`, starting with a letter or digit"
    )]
    BadName(String),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("the password must have at most {MAX_PASSWORD_BYTES} bytes")]
    LongPassword,
    #[error("account `{0}` already exists (give --replace to change its password)")]
    Exists(String),
    #[error("no account `{0}`")]
    Unknown(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(
        "instructeur `{0}`: expected the e-mail address of the agent's DS instructeur account (at most {MAX_INSTRUCTEUR_CHARS} characters, no spaces)"
    )]
    BadInstructeur(String),
}

/// One account as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    /// The PHC string of the argon2id hash (salt and parameters included).
    pub hash: String,
    /// When the account was made or its password last set (RFC 3339).
    pub created: String,
    /// The agent's DS instructeur (its e-mail), when it has one. Absent
    /// from files written before it existed, which stay readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructeur: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "user")]
    users: Vec<Account>,
}

/// The accounts file.
#[derive(Debug, Clone)]
pub struct Accounts {
    path: PathBuf,
}

/// Whether `name` is an account name the console accepts.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// Whether `email` looks like an instructeur's e-mail: one `@` between two
/// non-empty parts, printable ASCII without spaces or markup, bounded. DS
/// says whether the instructeur exists when the decision is sent.
pub fn valid_instructeur(email: &str) -> bool {
    let Some((user, domain)) = email.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= MAX_INSTRUCTEUR_CHARS
        && email
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>\"'`\\".contains(c))
}

fn check_password(password: &str) -> Result<(), AccountError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::LongPassword);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::ShortPassword);
    }
    Ok(())
}

/// The argon2id hash of `password` with a fresh salt (the crate's default
/// parameters: 19 MiB, 2 passes, 1 lane, OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash` (a garbled hash never does).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

impl Accounts {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, message: impl Into<String>) -> AccountError {
        AccountError::File {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Every account; none when the file does not exist yet.
    pub fn load(&self) -> Result<Vec<Account>, AccountError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.err(e.to_string())),
        };
        let mode = std::fs::metadata(&self.path)
            .map_err(|e| self.err(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(self.err(format!(
                "others may read or write it (mode {:o}): chmod 600 it",
                mode & 0o777
            )));
        }
        let raw: RawFile = toml::from_str(&text).map_err(|e| self.err(e.message().to_string()))?;
        if let Some(bad) = raw.users.iter().find(|a| !valid_name(&a.name)) {
            return Err(self.err(format!("invalid account name `{}`", bad.name)));
        }
        let bad_id = |a: &&Account| {
            a.instructeur
                .as_deref()
                .is_some_and(|i| !valid_instructeur(i))
        };
        if let Some(bad) = raw.users.iter().find(bad_id) {
            return Err(self.err(format!(
                "account `{}`: invalid instructeur e-mail",
                bad.name
            )));
        }
        Ok(raw.users)
    }

    /// The account `name`, if it exists.
    pub fn find(&self, name: &str) -> Result<Option<Account>, AccountError> {
        Ok(self.load()?.into_iter().find(|a| a.name == name))
    }

    /// Add an account (or, with `replace`, set an existing one's password).
    pub fn add(&self, name: &str, password: &str, replace: bool) -> Result<(), AccountError> {
        self.add_with(name, password, replace, None)
    }

    /// [`Accounts::add`], naming the agent's DS instructeur. Replacing an
    /// account without naming one keeps the instructeur it had.
    pub fn add_with(
        &self,
        name: &str,
        password: &str,
        replace: bool,
        instructeur: Option<&str>,
    ) -> Result<(), AccountError> {
        if !valid_name(name) {
            return Err(AccountError::BadName(name.to_string()));
        }
        if let Some(id) = instructeur.filter(|id| !valid_instructeur(id)) {
            return Err(AccountError::BadInstructeur(id.to_string()));
        }
        check_password(password)?;
        let hash = hash_password(password)?;
        self.update(|users| {
            let old = users.iter().find(|a| a.name == name);
            if old.is_some() && !replace {
                return Err(AccountError::Exists(name.to_string()));
            }
            let instructeur = instructeur
                .map(str::to_string)
                .or_else(|| old.and_then(|a| a.instructeur.clone()));
            users.retain(|a| a.name != name);
            users.push(Account {
                name: name.to_string(),
                hash,
                created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                instructeur,
            });
            users.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(())
        })
    }

    pub fn remove(&self, name: &str) -> Result<(), AccountError> {
        self.update(|users| {
            let before = users.len();
            users.retain(|a| a.name != name);
            if users.len() == before {
                return Err(AccountError::Unknown(name.to_string()));
            }
            Ok(())
        })
    }

    /// Read, change and write the file back, holding its lock.
    fn update(
        &self,
        change: impl FnOnce(&mut Vec<Account>) -> Result<(), AccountError>,
    ) -> Result<(), AccountError> {
        let _lock = self.lock()?;
        let mut users = self.load()?;
        change(&mut users)?;
        self.write(&RawFile { users })
    }

    fn lock(&self) -> Result<File, AccountError> {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = self.path.with_file_name(name);
        let file = File::create(&path).map_err(|e| self.err(format!("lock: {e}")))?;
        file.lock().map_err(|e| self.err(format!("lock: {e}")))?;
        Ok(file)
    }

    fn write(&self, raw: &RawFile) -> Result<(), AccountError> {
        let text = toml::to_string(raw).map_err(|e| self.err(e.to_string()))?;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // NamedTempFile is created with mode 0600.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.err(e.to_string()))?;
        let header = "# Pont console accounts (`pont user add`): names and argon2id hashes.\n";
        tmp.write_all(header.as_bytes())
            .and_then(|()| tmp.write_all(text.as_bytes()))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| self.err(e.to_string()))?;
        tmp.persist(&self.path)
            .map_err(|e| self.err(e.error.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["alice", "a.dupont", "agent-7", "0x"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "Alice", "-a", "a b", "é", "<script>", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn add_verify_replace_remove() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::new(&dir.path().join("users.toml"));
        assert!(accounts.load().unwrap().is_empty());
        accounts
            .add("alice", "correct horse battery", false)
            .unwrap();
        let mode = std::fs::metadata(accounts.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let a = accounts.find("alice").unwrap().unwrap();
        assert!(a.hash.starts_with("$argon2id$"), "{}", a.hash);
        assert!(verify_password(&a.hash, "correct horse battery"));
        assert!(!verify_password(&a.hash, "correct horse batterie"));
        assert!(matches!(
            accounts.add("alice", "another long one", false),
            Err(AccountError::Exists(_))
        ));
        accounts.add("alice", "another long one", true).unwrap();
        let a = accounts.find("alice").unwrap().unwrap();
        assert!(verify_password(&a.hash, "another long one"));
        assert!(matches!(
            accounts.add("bob", "short", false),
            Err(AccountError::ShortPassword)
        ));
        accounts.remove("alice").unwrap();
        assert!(matches!(
            accounts.remove("alice"),
            Err(AccountError::Unknown(_))
        ));
    }

    #[test]
    fn the_instructeur_is_kept_checked_and_optional_in_older_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let accounts = Accounts::new(&path);
        accounts
            .add("alice", "correct horse battery", false)
            .unwrap();
        // A file written before instructeurs existed: no `instructeur` key.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("instructeur"), "{text}");
        assert_eq!(accounts.find("alice").unwrap().unwrap().instructeur, None);
        let id = "claire.martin@exemple.gouv.fr";
        accounts
            .add_with("bob", "correct horse battery", false, Some(id))
            .unwrap();
        assert_eq!(
            accounts
                .find("bob")
                .unwrap()
                .unwrap()
                .instructeur
                .as_deref(),
            Some(id)
        );
        // A new password keeps the instructeur unless another is named.
        accounts.add("bob", "another long one", true).unwrap();
        let bob = accounts.find("bob").unwrap().unwrap();
        assert_eq!(bob.instructeur.as_deref(), Some(id));
        let long = format!("{}@x.fr", "a".repeat(250));
        for bad in [
            "", "a b@x.fr", "<x>@y", "é@x.fr", "no-at", "@x.fr", "a@", "a@b@c", &long,
        ] {
            let e = accounts.add_with("carol", "correct horse battery", false, Some(bad));
            assert!(matches!(e, Err(AccountError::BadInstructeur(_))), "{bad}");
        }
        // A hand-edited file with a bad id is refused at load, naming the account.
        std::fs::write(
            &path,
            "[[user]]\nname = \"dan\"\nhash = \"x\"\ncreated = \"now\"\ninstructeur = \"a b@x\"\n",
        )
        .unwrap();
        let e = accounts.load().unwrap_err().to_string();
        assert!(
            e.contains("account `dan`: invalid instructeur e-mail"),
            "{e}"
        );
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Accounts::new(&path).load().unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
