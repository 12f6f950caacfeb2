//! How long to wait after DS answers 429.
//!
//! DS's 429 carries no `Retry-After`, only `RateLimit-Reset`: the epoch
//! second its window ends, **by DS's clock** (API-NOTES §3). The wait is
//! measured against the answer's own `Date`, so a host whose clock is off
//! neither waits too long (DS ahead) nor retries at once and hammers DS
//! (DS behind). A `Retry-After` that a proxy added wins. Whatever the
//! source, the wait stays between a floor and a ceiling
//! ([`crate::RetryPolicy`]): a 429 that says nothing usable is waited out
//! with a backoff from the floor.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{DATE, HeaderMap, RETRY_AFTER};

/// What a 429 asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asked {
    pub(crate) wait: Duration,
    pub(crate) source: Source,
}

/// Where the wait came from (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A `Retry-After` header (a proxy's: DS sends none).
    RetryAfter,
    /// `RateLimit-Reset` against the answer's `Date`.
    ResetByServerClock,
    /// `RateLimit-Reset` against the host's clock (no usable `Date`).
    ResetByHostClock,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::RetryAfter => "retry-after",
            Self::ResetByServerClock => "ratelimit-reset by the server's date",
            Self::ResetByHostClock => "ratelimit-reset by the host's clock",
        }
    }
}

/// The wait a 429's headers ask for, unbounded; `None` when they say
/// nothing usable. `host_now` is used only when the answer has no `Date`.
pub(crate) fn asked(headers: &HeaderMap, host_now: SystemTime) -> Option<Asked> {
    let server_now = text(headers, DATE.as_str()).and_then(|d| httpdate::parse_http_date(d).ok());
    let now = server_now.unwrap_or(host_now);
    if let Some(wait) = retry_after(headers, now) {
        let source = Source::RetryAfter;
        return Some(Asked { wait, source });
    }
    let reset = text(headers, "ratelimit-reset")?.parse::<u64>().ok()?;
    let reset = UNIX_EPOCH.checked_add(Duration::from_secs(reset))?;
    let source = match server_now {
        Some(_) => Source::ResetByServerClock,
        None => Source::ResetByHostClock,
    };
    let wait = reset.duration_since(now).unwrap_or_default();
    Some(Asked { wait, source })
}

/// The wait to observe for the `count`-th 429 in a row: what was asked,
/// kept within `[floor, ceiling]`; with nothing asked, the floor doubled
/// at each 429 in a row, up to the ceiling.
pub(crate) fn bounded(
    asked: Option<Asked>,
    count: u32,
    floor: Duration,
    ceiling: Duration,
) -> Duration {
    let ceiling = ceiling.max(floor);
    match asked {
        Some(a) => a.wait.clamp(floor, ceiling),
        None => floor
            .saturating_mul(1u32 << count.saturating_sub(1).min(16))
            .min(ceiling),
    }
}

/// `Retry-After` as seconds or as an HTTP date (against `now`).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = text(headers, RETRY_AFTER.as_str())?;
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    Some(headers.get(name)?.to_str().ok()?.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOOR: Duration = Duration::from_secs(1);
    const CEILING: Duration = Duration::from_secs(120);

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn reset_is_measured_by_the_server_s_date() {
        // DS's clock 30 s ahead of the host's: 3 s left in its window.
        let h = headers(&[
            ("date", httpdate::fmt_http_date(at(1_000_037))),
            ("ratelimit-reset", "1000040".into()),
        ]);
        let a = asked(&h, at(1_000_007)).unwrap();
        assert_eq!(a.wait, Duration::from_secs(3));
        assert_eq!(a.source, Source::ResetByServerClock);
        // 30 s behind: still 3 s, not 0.
        let a = asked(&h, at(1_000_067)).unwrap();
        assert_eq!(a.wait, Duration::from_secs(3));
    }

    #[test]
    fn without_date_the_host_clock_is_all_there_is() {
        let h = headers(&[("ratelimit-reset", "1000040".into())]);
        let a = asked(&h, at(1_000_030)).unwrap();
        assert_eq!(a.wait, Duration::from_secs(10));
        assert_eq!(a.source, Source::ResetByHostClock);
    }

    #[test]
    fn a_proxy_s_retry_after_wins() {
        let h = headers(&[
            ("retry-after", "7".into()),
            ("date", httpdate::fmt_http_date(at(1_000_037))),
            ("ratelimit-reset", "1000040".into()),
        ]);
        assert_eq!(asked(&h, at(0)).unwrap().wait, Duration::from_secs(7));
        let h = headers(&[
            ("retry-after", httpdate::fmt_http_date(at(1_000_042))),
            ("date", httpdate::fmt_http_date(at(1_000_037))),
        ]);
        let a = asked(&h, at(0)).unwrap();
        assert_eq!(
            (a.wait, a.source),
            (Duration::from_secs(5), Source::RetryAfter)
        );
    }

    #[test]
    fn waits_stay_between_floor_and_ceiling() {
        let ask = |secs| {
            Some(Asked {
                wait: Duration::from_secs(secs),
                source: Source::RetryAfter,
            })
        };
        assert_eq!(bounded(ask(0), 1, FLOOR, CEILING), FLOOR);
        assert_eq!(bounded(ask(30), 1, FLOOR, CEILING), Duration::from_secs(30));
        assert_eq!(bounded(ask(86_400), 1, FLOOR, CEILING), CEILING);
        assert_eq!(bounded(None, 1, FLOOR, CEILING), FLOOR);
        assert_eq!(bounded(None, 3, FLOOR, CEILING), FLOOR * 4);
        assert_eq!(bounded(None, 30, FLOOR, CEILING), CEILING);
    }

    #[test]
    fn garbage_headers_ask_for_nothing() {
        let h = headers(&[
            ("retry-after", "soon".into()),
            ("ratelimit-reset", "-5".into()),
            ("date", "yesterday".into()),
        ]);
        assert_eq!(asked(&h, at(0)), None);
        let h = headers(&[("ratelimit-reset", u64::MAX.to_string())]);
        assert_eq!(asked(&h, at(0)), None);
    }
}
