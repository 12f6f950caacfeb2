//! Sessions: a random 256-bit id in a cookie, and a table on the server
//! that alone says who it is and until when. The table keys sessions by the
//! SHA-256 of their id, so looking one up takes no time that depends on how
//! much of a guessed id is right, and a dump of the table gives no cookie.
//!
//! A visitor gets an anonymous session with the login form, so that form
//! carries a CSRF token like every other; logging in replaces it with a new
//! session (a new id: a planted id never becomes a logged-in one). Each
//! session has its own CSRF token, compared in constant time.
//!
//! Expiry: a logged-in session ends after `idle` without a request or
//! `absolute` after login, an anonymous one after `anonymous`. The table
//! holds at most [`MAX_SESSIONS`]; past that, expired sessions are dropped,
//! then the oldest anonymous ones, so a flood of login-form requests cannot
//! grow it without bound nor push out agents who are logged in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The most sessions held at once.
pub const MAX_SESSIONS: usize = 10_000;

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
    pub anonymous: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            anonymous: Duration::from_secs(15 * 60),
        }
    }
}

/// What a request's session says.
#[derive(Debug, Clone)]
pub struct Current {
    /// The id's hash: the table's key.
    key: [u8; 32],
    /// The account, for a logged-in session.
    pub user: Option<String>,
    pub csrf: String,
}

impl Current {
    /// Whether `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        !token.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

#[derive(Debug)]
struct Entry {
    user: Option<String>,
    csrf: String,
    created: Instant,
    last_seen: Instant,
}

/// The server's session table.
#[derive(Debug, Default)]
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Entry>>,
    lifetimes: Lifetimes,
}

/// A fresh random token: 32 bytes from the OS, in hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn key_of(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Entry {
    fn expired(&self, l: &Lifetimes, now: Instant) -> bool {
        match self.user {
            Some(_) => {
                now.duration_since(self.last_seen) > l.idle
                    || now.duration_since(self.created) > l.absolute
            }
            None => now.duration_since(self.created) > l.anonymous,
        }
    }
}

impl Sessions {
    pub fn new(lifetimes: Lifetimes) -> Self {
        Self {
            table: Mutex::new(HashMap::new()),
            lifetimes,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Entry>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live session of cookie value `id`, touched; an expired one is
    /// dropped.
    pub fn get(&self, id: &str) -> Option<Current> {
        let key = key_of(id);
        let now = Instant::now();
        let mut table = self.table();
        let entry = table.get_mut(&key)?;
        if entry.expired(&self.lifetimes, now) {
            table.remove(&key);
            return None;
        }
        entry.last_seen = now;
        Some(Current {
            key,
            user: entry.user.clone(),
            csrf: entry.csrf.clone(),
        })
    }

    /// A new session; returns its id (for the cookie) and what it says.
    /// `None` when the table is full of logged-in sessions.
    pub fn create(&self, user: Option<String>) -> Option<(String, Current)> {
        let id = random_token();
        let key = key_of(&id);
        let now = Instant::now();
        let csrf = random_token();
        let mut table = self.table();
        if table.len() >= MAX_SESSIONS {
            self.make_room(&mut table, now);
        }
        if table.len() >= MAX_SESSIONS {
            return None;
        }
        let entry = Entry {
            user: user.clone(),
            csrf: csrf.clone(),
            created: now,
            last_seen: now,
        };
        table.insert(key, entry);
        Some((id, Current { key, user, csrf }))
    }

    fn make_room(&self, table: &mut HashMap<[u8; 32], Entry>, now: Instant) {
        table.retain(|_, e| !e.expired(&self.lifetimes, now));
        let mut anonymous: Vec<([u8; 32], Instant)> = table
            .iter()
            .filter(|(_, e)| e.user.is_none())
            .map(|(k, e)| (*k, e.created))
            .collect();
        anonymous.sort_by_key(|(_, created)| *created);
        let excess = (table.len() + 1).saturating_sub(MAX_SESSIONS);
        for (k, _) in anonymous.into_iter().take(excess.max(MAX_SESSIONS / 10)) {
            table.remove(&k);
        }
    }

    /// End a session (logout, or the anonymous one replaced at login).
    pub fn remove(&self, current: &Current) {
        self.table().remove(&current.key);
    }

    pub fn len(&self) -> usize {
        self.table().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_csrf_is_exact() {
        let s = Sessions::new(Lifetimes {
            idle: Duration::from_millis(50),
            absolute: Duration::from_secs(10),
            anonymous: Duration::from_millis(50),
        });
        let (id, cur) = s.create(Some("alice".into())).unwrap();
        assert_eq!(s.get(&id).unwrap().user.as_deref(), Some("alice"));
        assert!(cur.csrf_matches(&cur.csrf));
        assert!(!cur.csrf_matches(""));
        assert!(!cur.csrf_matches(&cur.csrf[..10]));
        assert!(s.get("forged").is_none());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.get(&id).is_none(), "idle session outlived its lifetime");
        assert!(s.is_empty());
    }

    #[test]
    fn a_flood_of_anonymous_sessions_stays_bounded_and_spares_agents() {
        let s = Sessions::new(Lifetimes::default());
        let (agent, _) = s.create(Some("alice".into())).unwrap();
        for _ in 0..MAX_SESSIONS + 50 {
            assert!(s.create(None).is_some());
        }
        assert!(s.len() <= MAX_SESSIONS);
        assert!(s.get(&agent).is_some());
    }
}
