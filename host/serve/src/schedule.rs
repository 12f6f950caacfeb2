//! When a robot runs: a cron pattern in a time zone (five fields, or six
//! with seconds first; Europe/Paris unless the config says otherwise), or a
//! fixed interval (`every = "15m"`) counted from the service's start.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The time zone of a cron pattern when the config names none: Pont's
/// operators are French administrations.
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Europe::Paris;

/// Shorter intervals would only pile up skipped slots.
const MIN_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub enum Schedule {
    Cron {
        cron: Box<croner::Cron>,
        pattern: String,
        timezone: Tz,
    },
    Every(Duration),
}

impl Schedule {
    /// From a robot entry's `cron` (+ `timezone`) or `every`.
    pub fn from_config(
        cron: Option<&str>,
        timezone: Option<&str>,
        every: Option<&str>,
    ) -> Result<Self, String> {
        match (cron, every) {
            (Some(pattern), None) => Self::cron(pattern, timezone),
            (None, Some(every)) if timezone.is_none() => Self::every(every),
            (None, Some(_)) => Err("`timezone` goes with `cron`, not with `every`".into()),
            _ => Err("give exactly one of `cron` or `every`".into()),
        }
    }

    fn cron(pattern: &str, timezone: Option<&str>) -> Result<Self, String> {
        let timezone = match timezone {
            Some(name) => Tz::from_str(name)
                .map_err(|_| format!("`timezone`: `{name}` is not an IANA time zone"))?,
            None => DEFAULT_TIMEZONE,
        };
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Optional)
            .year(croner::parser::Year::Disallowed)
            .build()
            .parse(pattern)
            .map_err(|e| format!("`cron`: `{pattern}`: {e}"))?;
        Ok(Self::Cron {
            cron: Box::new(cron),
            pattern: pattern.to_string(),
            timezone,
        })
    }

    fn every(text: &str) -> Result<Self, String> {
        let every = humantime::parse_duration(text).map_err(|e| {
            format!("`every`: `{text}`: {e} (write it as \"15m\", \"2h\", \"30s\")")
        })?;
        if every < MIN_EVERY {
            return Err(format!("`every`: `{text}` is shorter than a second"));
        }
        Ok(Self::Every(every))
    }

    /// The first slot strictly after `after`; `start` anchors `every`.
    /// `None` when a pattern never matches again.
    pub fn next_after(&self, after: DateTime<Utc>, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Cron { cron, timezone, .. } => cron
                .find_next_occurrence(&after.with_timezone(timezone), false)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            Self::Every(every) => {
                let every = chrono::Duration::from_std(*every).ok()?;
                let elapsed = after.signed_duration_since(start);
                let periods = elapsed.num_milliseconds().max(0) / every.num_milliseconds().max(1);
                let next = i32::try_from(periods.saturating_add(1)).ok()?;
                Some(start + every * next)
            }
        }
    }

    /// As the config says it, for the API and the console.
    pub fn describe(&self) -> String {
        match self {
            Self::Cron {
                pattern, timezone, ..
            } => format!("cron \"{pattern}\" ({timezone})"),
            Self::Every(every) => format!("every {}", humantime::format_duration(*every)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_cron_pattern_is_read_in_paris_time_by_default() {
        let s = Schedule::from_config(Some("0 8 * * *"), None, None).unwrap();
        // 8:00 in Paris is 7:00 UTC in winter and 6:00 UTC in summer.
        let winter = s
            .next_after(at("2026-01-10T12:00:00Z"), Utc::now())
            .unwrap();
        assert_eq!(winter, at("2026-01-11T07:00:00Z"));
        let summer = s
            .next_after(at("2026-07-10T12:00:00Z"), Utc::now())
            .unwrap();
        assert_eq!(summer, at("2026-07-11T06:00:00Z"));
        let utc = Schedule::from_config(Some("0 8 * * *"), Some("UTC"), None).unwrap();
        let next = utc
            .next_after(at("2026-01-10T12:00:00Z"), Utc::now())
            .unwrap();
        assert_eq!(next, at("2026-01-11T08:00:00Z"));
    }

    #[test]
    fn six_fields_start_with_seconds() {
        let s = Schedule::from_config(Some("*/2 * * * * *"), None, None).unwrap();
        let next = s
            .next_after(at("2026-01-10T12:00:01Z"), Utc::now())
            .unwrap();
        assert_eq!(next, at("2026-01-10T12:00:02Z"));
    }

    #[test]
    fn every_counts_from_the_start_and_never_repeats_a_slot() {
        let s = Schedule::from_config(None, None, Some("15m")).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        assert_eq!(s.next_after(start, start), Some(at("2026-01-10T12:15:00Z")));
        let slot = at("2026-01-10T12:15:00Z");
        assert_eq!(s.next_after(slot, start), Some(at("2026-01-10T12:30:00Z")));
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let cases = [
            (Some("61 * * * *"), None, None, "`cron`"),
            (Some("0 8 * * *"), Some("Mars/Olympus"), None, "`timezone`"),
            (None, None, Some("soon"), "`every`"),
            (None, None, Some("10ms"), "shorter than a second"),
            (Some("0 8 * * *"), None, Some("1h"), "exactly one"),
            (None, None, None, "exactly one"),
        ];
        for (cron, tz, every, says) in cases {
            let e = Schedule::from_config(cron, tz, every).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
