//! Finding and killing the browser processes a [`crate::Browser`] started. Chromium forks
//! helpers (zygote, renderers, GPU, network service) that chromedriver does not always reap when
//! it is killed, so the host kills what it owns itself: chromedriver's process group, and every
//! process whose command line names one of our private temp directories (no other process can
//! name them, so this never touches another user's or engineer's browser).

use std::time::Duration;

use rustix::process::{Pid, Signal};

/// Rounds of scanning after a kill: helpers can fork while their parent is dying.
const KILL_ROUNDS: usize = 20;
const ROUND_PAUSE: Duration = Duration::from_millis(50);

/// Pids (other than ours) whose command line contains `needle`.
pub(crate) fn pids_with_arg(needle: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|raw| contains(&raw, needle.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn kill(pid: i32) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, Signal::KILL);
    }
}

/// SIGKILLs every process naming `needle`, rescanning a bounded number of times until none is
/// left (zombies awaiting their parent have an empty cmdline, so they do not count).
/// Blocking: meant for teardown paths, a few milliseconds when nothing is left.
pub(crate) fn kill_with_arg(needle: &str) {
    for _ in 0..KILL_ROUNDS {
        let pids = pids_with_arg(needle);
        if pids.is_empty() {
            return;
        }
        pids.into_iter().for_each(kill);
        std::thread::sleep(ROUND_PAUSE);
    }
    tracing::warn!("browser processes still present after kill rounds");
}

/// SIGKILLs a whole process group (chromedriver was started as its leader).
pub(crate) fn kill_group(pgid: u32) {
    if let Some(pid) = i32::try_from(pgid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
    }
}
