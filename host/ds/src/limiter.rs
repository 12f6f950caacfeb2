//! Client-side rate limiting, so the client never exceeds its DS budget.
//!
//! DS allows 400 requests per minute per token, counted in fixed windows
//! aligned on the minute (API-NOTES §3). The limiter keeps the start times of
//! the last `requests` requests and lets a new one start only once the oldest
//! is more than `per` old: at most `requests` in *any* window of `per`, hence
//! in DS's aligned windows too. A margin (2 % of `per`, at least 500 ms but
//! at most a quarter of `per`) absorbs the time between reserving a slot and
//! being counted by the server, which grows on a loaded machine.
//!
//! Slots are reserved under a short lock and waited for outside it, so
//! concurrent callers queue fairly without holding the lock while sleeping.
//!
//! A limiter made with [`RateLimiter::for_token_shared`] keeps its slots in
//! a budget file instead (`crate::budget_file`), so the processes of a
//! machine that use one token share DS's budget, as DS counts it.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::budget_file::{BudgetError, BudgetFile};
use crate::ledger::MAX_SLOTS;

/// A request budget: at most `requests` requests in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub per: Duration,
}

impl Default for Budget {
    /// DS's limit: 400 requests per minute per token.
    fn default() -> Self {
        Self {
            requests: 400,
            per: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Reserved start times, oldest first (non-decreasing).
    slots: VecDeque<Instant>,
    /// Set after a 429: nobody starts before this instant.
    paused_until: Option<Instant>,
}

/// A budget shared by every clone of a client and by every client built with
/// the same token (and, with a budget file, by every process using it).
#[derive(Debug)]
pub struct RateLimiter {
    budget: Budget,
    margin: Duration,
    state: Mutex<State>,
    /// The budget file shared with the machine's other processes, if any.
    shared: Option<tokio::sync::Mutex<BudgetFile>>,
}

impl RateLimiter {
    /// A limiter of its own, not shared by token.
    pub fn new(budget: Budget) -> Self {
        let budget = Budget {
            requests: budget.requests.max(1),
            per: budget.per,
        };
        Self {
            budget,
            margin: margin(budget.per),
            state: Mutex::new(State::default()),
            shared: None,
        }
    }

    /// The limiter of this token, created with `budget` if no live client
    /// uses the token yet (the first budget wins: DS counts per token,
    /// whatever each client believes).
    pub fn for_token(token: &str, budget: Budget) -> Arc<Self> {
        let Ok(limiter) = registered::<Infallible>(token, None, || Ok(Self::new(budget)));
        limiter
    }

    /// The limiter of this token whose slots live in a budget file in `dir`
    /// (named by a hash of the token), shared with every process of the
    /// machine that uses the same token and directory. Each process holds to
    /// its own `budget` against the requests all of them made.
    pub fn for_token_shared(
        token: &str,
        budget: Budget,
        dir: &Path,
    ) -> Result<Arc<Self>, BudgetError> {
        registered(token, Some(dir), || {
            let file = BudgetFile::open(dir, token)?;
            let mut limiter = Self::new(budget);
            limiter.shared = Some(tokio::sync::Mutex::new(file));
            Ok(limiter)
        })
    }

    /// The budget enforced.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Waits until one more request fits in the budget, and counts it. With
    /// a budget file, fails (before anything is sent) when the file cannot
    /// be used: then nobody could tell how much budget is left.
    pub async fn acquire(&self) -> Result<(), BudgetError> {
        let at = match &self.shared {
            Some(file) => self.reserve_shared(file).await?,
            None => self.reserve(),
        };
        tokio::time::sleep_until(at).await;
        // A 429 may have arrived while this caller slept: honour it too.
        loop {
            let paused = self.lock().paused_until;
            match paused {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => break,
            }
        }
        Ok(())
    }

    /// Holds every caller back until `until` (after DS answered 429). With a
    /// budget file, the other processes learn of it at this one's next request.
    pub fn pause_until(&self, until: Instant) {
        let mut state = self.lock();
        if state.paused_until.is_none_or(|p| p < until) {
            state.paused_until = Some(until);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reserve(&self) -> Instant {
        let mut state = self.lock();
        let mut at = Instant::now();
        if let Some(p) = state.paused_until {
            at = at.max(p);
        }
        if let Some(last) = state.slots.back() {
            at = at.max(*last);
        }
        if state.slots.len() >= self.budget.requests as usize
            && let Some(oldest) = state.slots.pop_front()
        {
            at = at.max(oldest + self.budget.per + self.margin);
        }
        state.slots.push_back(at);
        at
    }

    /// [`Self::reserve`] on the budget file's slots, this process's pause
    /// joining the file's.
    async fn reserve_shared(
        &self,
        file: &tokio::sync::Mutex<BudgetFile>,
    ) -> Result<Instant, BudgetError> {
        let (requests, window) = self.shared_budget();
        let paused = self.lock().paused_until;
        let (at_ms, now) = file
            .lock()
            .await
            .update(|ledger, now| {
                if let Some(until) = paused {
                    let left = until.saturating_duration_since(Instant::now());
                    ledger.pause_until(now.saturating_add(left.as_millis() as u64), now);
                }
                (ledger.reserve(now, requests, window), now)
            })
            .await?;
        Ok(Instant::now() + Duration::from_millis(at_ms.saturating_sub(now)))
    }

    /// The budget as the file holds it: the same rate over a shorter window
    /// when `requests` passes what the file keeps (k windows of `per / k`,
    /// each with `requests / k`, never let more than `requests` through in
    /// `per`), and the window with its margin, in ms.
    fn shared_budget(&self) -> (usize, u64) {
        let k = (self.budget.requests as usize).div_ceil(MAX_SLOTS).max(1);
        let per = self.budget.per / k as u32;
        let window = per + margin(per);
        (self.budget.requests as usize / k, window.as_millis() as u64)
    }
}

/// Room for the time between reserving a slot and being counted by DS:
/// 2 % of the window, at least 500 ms but at most a quarter of it.
fn margin(per: Duration) -> Duration {
    (per / 50).max(Duration::from_millis(500)).min(per / 4)
}

/// The live limiter registered for `token` (and budget file directory), or
/// a new one from `make`.
fn registered<E>(
    token: &str,
    dir: Option<&Path>,
    make: impl FnOnce() -> Result<RateLimiter, E>,
) -> Result<Arc<RateLimiter>, E> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Weak<RateLimiter>>>> = OnceLock::new();
    let mut hasher = DefaultHasher::new();
    (token, dir).hash(&mut hasher);
    let key = hasher.finish();
    let mut map = REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.retain(|_, weak| weak.strong_count() > 0);
    if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(existing);
    }
    let limiter = Arc::new(make()?);
    map.insert(key, Arc::downgrade(&limiter));
    Ok(limiter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_budget_in_a_window() {
        let limiter = Arc::new(RateLimiter::new(Budget {
            requests: 5,
            per: Duration::from_secs(10),
        }));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..23 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire().await.unwrap();
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap_or(start));
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(10))
                .count();
            assert!(in_window <= 5, "{in_window} requests within one window");
        }
        assert!(times[22] - start >= Duration::from_secs(40));
    }

    /// Two limiters on one budget file stand for two processes on one token.
    #[tokio::test]
    async fn limiters_on_one_budget_file_share_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Budget {
            requests: 5,
            per: Duration::from_millis(400),
        };
        let process = || {
            let mut l = RateLimiter::new(budget);
            l.shared = Some(tokio::sync::Mutex::new(
                BudgetFile::open(dir.path(), "t-file").unwrap(),
            ));
            Arc::new(l)
        };
        let (a, b) = (process(), process());
        let start = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let l = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                l.acquire().await.unwrap();
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap_or(start));
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| **u < *t + budget.per)
                .count();
            assert!(in_window <= 5, "{in_window} requests within one window");
        }
        assert!(times[15] - start >= 3 * budget.per);
    }

    #[tokio::test]
    async fn a_pause_reaches_the_other_process_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Budget::default();
        let open = || {
            let mut l = RateLimiter::new(budget);
            l.shared = Some(tokio::sync::Mutex::new(
                BudgetFile::open(dir.path(), "t-pause").unwrap(),
            ));
            l
        };
        let (a, b) = (open(), open());
        let started = Instant::now();
        a.pause_until(started + Duration::from_millis(600));
        // `a`'s next request writes its pause into the file as it reserves.
        let file = a.shared.as_ref().unwrap();
        a.reserve_shared(file).await.unwrap();
        b.acquire().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(550));
    }

    #[test]
    fn big_budgets_keep_their_rate_in_a_bounded_file() {
        let l = RateLimiter::new(Budget {
            requests: 100_000,
            per: Duration::from_secs(60),
        });
        let (requests, window) = l.shared_budget();
        // 98 windows of 612 ms (and a margin) fit in a minute, each with
        // 1020 requests: never more than 100,000 in any minute.
        assert_eq!(requests, 1020);
        assert!(requests <= MAX_SLOTS && requests * 98 <= 100_000);
        assert!(window > 60_000 / 98);
    }

    #[test]
    fn same_token_shares_a_limiter() {
        let a = RateLimiter::for_token("t-shared", Budget::default());
        let b = RateLimiter::for_token(
            "t-shared",
            Budget {
                requests: 1,
                per: Duration::from_secs(1),
            },
        );
        let c = RateLimiter::for_token("t-other", Budget::default());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
