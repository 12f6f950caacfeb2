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

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::time::Instant;

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
/// the same token.
#[derive(Debug)]
pub struct RateLimiter {
    budget: Budget,
    margin: Duration,
    state: Mutex<State>,
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
            margin: (budget.per / 50)
                .max(Duration::from_millis(500))
                .min(budget.per / 4),
            state: Mutex::new(State::default()),
        }
    }

    /// The limiter of this token, created with `budget` if no live client
    /// uses the token yet (the first budget wins: DS counts per token,
    /// whatever each client believes).
    pub fn for_token(token: &str, budget: Budget) -> Arc<Self> {
        static REGISTRY: OnceLock<Mutex<HashMap<u64, Weak<RateLimiter>>>> = OnceLock::new();
        let mut hasher = DefaultHasher::new();
        token.hash(&mut hasher);
        let key = hasher.finish();
        let mut map = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.retain(|_, weak| weak.strong_count() > 0);
        if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        let limiter = Arc::new(Self::new(budget));
        map.insert(key, Arc::downgrade(&limiter));
        limiter
    }

    /// The budget enforced.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Waits until one more request fits in the budget, and counts it.
    pub async fn acquire(&self) {
        let at = self.reserve();
        tokio::time::sleep_until(at).await;
        // A 429 may have arrived while this caller slept: honour it too.
        loop {
            let paused = self.lock().paused_until;
            match paused {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => break,
            }
        }
    }

    /// Holds every caller back until `until` (after DS answered 429).
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
                l.acquire().await;
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
