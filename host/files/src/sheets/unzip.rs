//! The zip container of xlsx and ods files, checked before any parser sees it.
//!
//! The spreadsheet parsers inflate parts as they need them and keep some
//! whole (the shared strings), trusting the container. A zip bomb (a few KB
//! that inflate to gigabytes) would then exhaust memory or time inside the
//! parser, where it cannot be stopped. So every part is inflated here first,
//! into nothing, counting the bytes that actually come out (the sizes the
//! container declares are attacker-written and not trusted), and the file is
//! refused as soon as a limit is passed. This costs one extra inflate, bounded
//! by the limit itself.

use std::io::{self, Cursor, Read};

use super::limits::Budget;
use crate::error::Result;

/// Whether `bytes` look like a zip container (local file header signature).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Inflate every part of the zip in `bytes` and refuse it if it has too many
/// parts, or its parts inflate past the limits of `budget`.
pub(crate) fn check(bytes: &[u8], budget: &Budget<'_>) -> Result<()> {
    let limits = budget.limits;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| budget.invalid(format!("not a readable zip container: {e}")))?;
    if zip.len() > limits.max_zip_entries {
        return Err(budget.refuse(format!(
            "more than {} parts in the zip container (SheetLimits::max_zip_entries)",
            limits.max_zip_entries
        )));
    }
    let mut left = limits.max_unzipped_bytes;
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| budget.invalid(format!("unreadable zip part: {e}")))?;
        // A name that does not decode is held to the stricter cap.
        let shared = part.name().map_or(true, |n| {
            n.to_ascii_lowercase().ends_with("sharedstrings.xml")
        });
        let cap = if shared {
            left.min(limits.max_shared_strings_bytes)
        } else {
            left
        };
        let out = inflate(&mut part, cap).map_err(|e| budget.invalid(e.to_string()))?;
        if out > cap {
            return Err(budget.refuse(if shared && cap < left {
                format!(
                    "shared strings inflate past {} bytes (SheetLimits::max_shared_strings_bytes)",
                    limits.max_shared_strings_bytes
                )
            } else {
                format!(
                    "zip parts inflate past {} bytes (SheetLimits::max_unzipped_bytes)",
                    limits.max_unzipped_bytes
                )
            }));
        }
        left -= out;
    }
    Ok(())
}

/// Inflate `part` into nothing, at most `cap + 1` bytes; return how many came out.
fn inflate(part: &mut impl Read, cap: u64) -> io::Result<u64> {
    io::copy(&mut part.take(cap.saturating_add(1)), &mut io::sink())
}
