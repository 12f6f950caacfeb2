//! The content of a shared DS budget file: the start times of the latest
//! requests on one token, and the pause a 429 imposed, with the rule that
//! reserves the next start time.
//!
//! The budget is a token bucket whose tokens come back one by one: each
//! request spends one, and it returns `window` after that request started.
//! So at most `requests` start in any `window`, hence in DS's fixed windows
//! too, wherever DS's clock puts them (the sandbox's may run 30 s ahead).
//!
//! The text format is small and checksummed, so that a torn or tampered
//! file is noticed and rebuilt rather than trusted:
//!
//! ```text
//! pont-ds-budget 1
//! keep 2500
//! paused 0
//! slots 3
//! 1764601360123 1764601360200 1764601360300
//! sum 0123456789abcdef
//! ```
//!
//! Times are milliseconds since the Unix epoch, by the host's clock (every
//! process of a machine shares it). Values further ahead than
//! [`MAX_AHEAD_MS`] are brought back to it, so a clock set back or a
//! hostile file cannot make anyone wait longer.

use std::collections::VecDeque;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

const MAGIC: &str = "pont-ds-budget 1";
/// Start times kept at most. Larger budgets are enforced as the same rate
/// over a shorter window (see `crate::limiter`).
pub(crate) const MAX_SLOTS: usize = 1024;
/// Longest window remembered (DS's is a minute, plus the margin).
pub(crate) const MAX_KEEP_MS: u64 = 10 * 60 * 1000;
/// Longest pause a 429 may impose through the file.
pub(crate) const MAX_PAUSE_MS: u64 = 10 * 60 * 1000;
/// How far ahead of now any stored time may lie: a reservation waits behind
/// a pause and at most one window.
pub(crate) const MAX_AHEAD_MS: u64 = MAX_PAUSE_MS + MAX_KEEP_MS;
/// Largest file read: [`MAX_SLOTS`] times of 14 digits and a header.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The budget shared by the processes using one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ledger {
    /// How long start times are remembered: the longest window (with its
    /// margin) of the processes sharing the file.
    keep_ms: u64,
    /// Nobody starts before this (set after a 429).
    paused_ms: u64,
    /// Reserved start times, oldest first, non-decreasing.
    slots: VecDeque<u64>,
}

impl Ledger {
    /// Reads a file's text; `Err` says why it cannot be trusted.
    pub(crate) fn parse(text: &str, now_ms: u64) -> Result<Self, String> {
        let body_end = text
            .rfind("sum ")
            .ok_or("no checksum line (torn or foreign file)")?;
        let (body, sum) = text.split_at(body_end);
        if sum.trim_end() != format!("sum {}", checksum(body)) {
            return Err("checksum mismatch (torn or edited file)".into());
        }
        let mut lines = body.lines();
        if lines.next() != Some(MAGIC) {
            return Err(format!("first line is not `{MAGIC}`"));
        }
        let keep_ms = field(lines.next(), "keep")?.min(MAX_KEEP_MS);
        let paused_ms = field(lines.next(), "paused")?;
        let count = field(lines.next(), "slots")?;
        let slots = times(lines.next().unwrap_or(""), count)?;
        let bound = now_ms.saturating_add(MAX_AHEAD_MS);
        Ok(Self {
            keep_ms,
            paused_ms: paused_ms.min(now_ms.saturating_add(MAX_PAUSE_MS)),
            slots: slots.into_iter().map(|t| t.min(bound)).collect(),
        })
    }

    /// The file's text.
    pub(crate) fn render(&self) -> String {
        let mut body = format!(
            "{MAGIC}\nkeep {}\npaused {}\nslots {}\n",
            self.keep_ms,
            self.paused_ms,
            self.slots.len()
        );
        let line: Vec<String> = self.slots.iter().map(u64::to_string).collect();
        body.push_str(&line.join(" "));
        body.push('\n');
        let sum = checksum(&body);
        let _ = writeln!(body, "sum {sum}");
        body
    }

    /// Holds everyone back until `until_ms` (a 429's wait), at most
    /// [`MAX_PAUSE_MS`] from now.
    pub(crate) fn pause_until(&mut self, until_ms: u64, now_ms: u64) {
        let until = until_ms.min(now_ms.saturating_add(MAX_PAUSE_MS));
        self.paused_ms = self.paused_ms.max(until);
    }

    /// Reserves the start time of one more request for a budget of
    /// `requests` per `window_ms` (the window with its margin) and returns it.
    pub(crate) fn reserve(&mut self, now_ms: u64, requests: usize, window_ms: u64) -> u64 {
        let requests = requests.clamp(1, MAX_SLOTS);
        self.keep_ms = self.keep_ms.max(window_ms).min(MAX_KEEP_MS);
        let horizon = now_ms.saturating_sub(self.keep_ms);
        while self.slots.front().is_some_and(|t| *t < horizon) {
            self.slots.pop_front();
        }
        let mut at = now_ms.max(self.paused_ms);
        if let Some(last) = self.slots.back() {
            at = at.max(*last);
        }
        if self.slots.len() >= requests {
            let oldest = self.slots[self.slots.len() - requests];
            at = at.max(oldest.saturating_add(window_ms));
        }
        self.slots.push_back(at);
        while self.slots.len() > MAX_SLOTS {
            self.slots.pop_front();
        }
        at
    }
}

/// First 8 bytes of the SHA-256 of `body`, in hex.
fn checksum(body: &str) -> String {
    Sha256::digest(body.as_bytes())[..8]
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The number of a `name <n>` line.
fn field(line: Option<&str>, name: &str) -> Result<u64, String> {
    line.and_then(|l| l.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(' '))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no `{name} <number>` line"))
}

/// `count` non-decreasing times on one line.
fn times(line: &str, count: u64) -> Result<Vec<u64>, String> {
    if count > MAX_SLOTS as u64 {
        return Err(format!("{count} slots (at most {MAX_SLOTS})"));
    }
    let slots: Vec<u64> = line
        .split_ascii_whitespace()
        .map(|t| t.parse().map_err(|_| format!("`{t}` is not a time")))
        .collect::<Result<_, _>>()?;
    if slots.len() as u64 != count {
        return Err(format!(
            "{} slots where {count} were announced",
            slots.len()
        ));
    }
    if slots.windows(2).any(|w| w[0] > w[1]) {
        return Err("slots out of order".into());
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_601_360_000;

    #[test]
    fn round_trips_through_its_text() {
        let mut l = Ledger::default();
        for _ in 0..5 {
            l.reserve(NOW, 3, 2_500);
        }
        l.pause_until(NOW + 1_000, NOW);
        assert_eq!(Ledger::parse(&l.render(), NOW), Ok(l));
    }

    #[test]
    fn never_more_than_the_budget_in_a_window() {
        let mut l = Ledger::default();
        let starts: Vec<u64> = (0..50).map(|i| l.reserve(NOW + i * 7, 20, 2_500)).collect();
        for (i, t) in starts.iter().enumerate() {
            let within = starts[i..].iter().filter(|u| **u < t + 2_500).count();
            assert!(within <= 20, "{within} starts within one window");
        }
        assert!(starts[20] >= starts[0] + 2_500);
    }

    #[test]
    fn a_pause_delays_the_next_start() {
        let mut l = Ledger::default();
        l.pause_until(NOW + 3_000, NOW);
        assert_eq!(l.reserve(NOW, 20, 2_500), NOW + 3_000);
    }

    #[test]
    fn damaged_files_are_refused_with_a_reason() {
        let mut l = Ledger::default();
        l.reserve(NOW, 3, 2_500);
        let good = l.render();
        let torn = &good[..good.len() / 2];
        let edited = good.replacen("paused 0", "paused 9", 1);
        for (text, why) in [
            (torn, "checksum"),
            (edited.as_str(), "checksum"),
            ("", "checksum"),
            ("\u{0}\u{0}garbage", "checksum"),
        ] {
            let err = Ledger::parse(text, NOW).unwrap_err();
            assert!(err.contains(why), "{err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn times_far_ahead_are_brought_back() {
        let mut l = Ledger::default();
        l.slots.push_back(u64::MAX / 2);
        l.paused_ms = u64::MAX / 2;
        let read = Ledger::parse(&l.render(), NOW).unwrap();
        assert_eq!(read.paused_ms, NOW + MAX_PAUSE_MS);
        assert_eq!(read.slots[0], NOW + MAX_AHEAD_MS);
    }
}
