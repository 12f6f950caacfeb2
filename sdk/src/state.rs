//! The robot's key-value store, kept by the host across items and runs.

use crate::Error;
use crate::bindings::pont::robot::state as raw;

/// The bytes stored under `key`.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, Error> {
    raw::get(key)
}

/// Store bytes under `key`.
pub fn set(key: &str, value: &[u8]) -> Result<(), Error> {
    raw::set(key, value)
}

/// Remove `key`; `true` if it existed.
pub fn delete(key: &str) -> Result<bool, Error> {
    raw::delete(key)
}

/// Keys starting with `prefix`, in byte order.
pub fn keys(prefix: &str) -> Result<Vec<String>, Error> {
    raw::keys(prefix)
}

/// The UTF-8 string stored under `key` (`None` if absent or not UTF-8).
pub fn get_string(key: &str) -> Result<Option<String>, Error> {
    Ok(get(key)?.and_then(|b| String::from_utf8(b).ok()))
}

/// Store a string under `key`.
pub fn set_string(key: &str, value: &str) -> Result<(), Error> {
    set(key, value.as_bytes())
}

/// Add one to the counter under `key` (absent counts as 0) and return it.
pub fn increment(key: &str) -> Result<u64, Error> {
    let current = get_string(key)?
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let next = current + 1;
    set_string(key, &next.to_string())?;
    Ok(next)
}
