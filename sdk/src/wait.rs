//! Waiting for something outside the robot without holding anything: the
//! item ends with [`Outcome::Waiting`], the host frees the instance (and any
//! browser session) at once and feeds the item again when the time comes.
//! A wait uses no attempt and is not a failure.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Outcome;
use crate::bindings::pont::robot::runner::Wait;

/// Come back to this item after `delay`, because of `reason` (an agent reads
/// it in `pont runs` and the review queue).
///
/// ```ignore
/// return Ok(pont_sdk::wait_for(Duration::from_secs(600), "contrôle en cours"));
/// ```
pub fn wait_for(delay: Duration, reason: impl Into<String>) -> Outcome {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let until = now.saturating_add(delay).as_millis();
    wait_until_ms(u64::try_from(until).unwrap_or(u64::MAX), reason)
}

/// Come back to this item at `until_ms` (milliseconds since the Unix epoch).
pub fn wait_until_ms(until_ms: u64, reason: impl Into<String>) -> Outcome {
    Outcome::Waiting(Wait {
        until_ms,
        reason: reason.into(),
    })
}
