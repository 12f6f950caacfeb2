//! Bounding robot-chosen text before the host stores it.
//!
//! A robot picks names (mount names, paths, keys, methods) and reasons
//! (outcome notes, failure messages), and the host writes them into the
//! audit log and the journal. Stored whole, `mount.open("a" × 50 MB)` would
//! write 100 MB of audit (target and reason both name the mount). Every such
//! text is cut at a fixed size with a visible marker that gives the original
//! length, so a reader sees that something was cut and by how much.

use std::borrow::Cow;

/// Longest robot-chosen text kept in one audit field (target, action, reason).
pub const AUDIT_TEXT_MAX: usize = 1024;

/// Longest robot-chosen text kept in one journal field (an item's reason).
pub const JOURNAL_TEXT_MAX: usize = 4096;

/// `text`, or its first `max` bytes (cut at a character boundary) followed by
/// `…[truncated, N bytes]`, where N is the length of the whole text.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!(
        "{}…[truncated, {} bytes]",
        &text[..end],
        text.len()
    ))
}

/// [`clip`] for an owned string: no copy when it is short enough.
pub fn clip_owned(text: String, max: usize) -> String {
    match clip(&text, max) {
        Cow::Borrowed(_) => text,
        Cow::Owned(cut) => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_and_long_text_is_cut_with_its_length() {
        assert_eq!(clip("abc", 3), "abc");
        let long = "a".repeat(50 * 1024 * 1024);
        let cut = clip(&long, AUDIT_TEXT_MAX);
        assert!(cut.len() < AUDIT_TEXT_MAX + 40, "{}", cut.len());
        assert!(cut.ends_with("…[truncated, 52428800 bytes]"), "{cut}");
        assert_eq!(clip_owned("é".repeat(3), 3), "é…[truncated, 6 bytes]");
    }
}
