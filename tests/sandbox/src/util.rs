//! Small pure helpers shared by the whole simulator: DS-shaped ids, dates as DS prints them,
//! a deterministic RNG, signatures for URLs and blob ids, checksums.
//!
//! Everything here is deterministic on purpose: tests compare runs, so seeded data and the
//! bytes of generated attachments must be identical from one run to the next.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, Offset, SecondsFormat, TimeZone, Utc,
};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

/// Global id as graphql-ruby's `UniqueWithinType.encode` makes it: strict base64 of `Class-pk`.
pub fn global_id(class: &str, pk: impl std::fmt::Display) -> String {
    STANDARD.encode(format!("{class}-{pk}"))
}

/// Decodes a global id whatever base64 flavour the client used; `None` for garbage.
pub fn decode_global_id(id: &str) -> Option<(String, String)> {
    let raw = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(id.trim()).ok())?;
    let text = String::from_utf8(raw).ok()?;
    let (class, pk) = text.split_once('-')?;
    Some((class.to_owned(), pk.to_owned()))
}

/// Decodes `Class-<integer>` and checks the class; the common case for dossiers, labels, …
pub fn decode_typed(id: &str, class: &str) -> Option<i64> {
    let (c, pk) = decode_global_id(id)?;
    if c != class {
        return None;
    }
    pk.parse().ok()
}

/// Champ ids are `Champ-<stable_id>` or `Champ-<stable_id>|<row_id>` inside a repetition.
pub fn champ_id(stable_id: u64, row: Option<u64>) -> String {
    match row {
        Some(r) => global_id("Champ", format!("{stable_id}|{r}")),
        None => global_id("Champ", stable_id),
    }
}

/// Inverse of [`champ_id`].
pub fn decode_champ_id(id: &str) -> Option<(u64, Option<u64>)> {
    let (class, pk) = decode_global_id(id)?;
    if class != "Champ" {
        return None;
    }
    match pk.split_once('|') {
        Some((s, r)) => Some((s.parse().ok()?, Some(r.parse().ok()?))),
        None => Some((pk.parse().ok()?, None)),
    }
}

/// UTC offset of Europe/Paris at `t` (EU rule: summer time from the last Sunday of March
/// 01:00 UTC to the last Sunday of October 01:00 UTC). DS renders times in Paris time, so
/// clients must cope with both `+01:00` and `+02:00`.
pub fn paris_offset(t: DateTime<Utc>) -> FixedOffset {
    let year = t.year();
    let start = last_sunday_1am(year, 3);
    let end = last_sunday_1am(year, 10);
    let hours = if t >= start && t < end { 2 } else { 1 };
    FixedOffset::east_opt(hours * 3600).unwrap_or(Utc.fix())
}

fn last_sunday_1am(year: i32, month: u32) -> DateTime<Utc> {
    let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
    let back = i64::from(last.weekday().num_days_from_sunday());
    let day = last - Duration::days(back);
    Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).unwrap_or_default())
}

/// Midnight of `d` in Paris, as Ruby's `Time.zone.parse("YYYY-MM-DD")` gives it.
pub fn paris_midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    let naive = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?);
    Some(naive - Duration::seconds(i64::from(paris_offset(naive).local_minus_utc())))
}

/// `ISO8601DateTime` as graphql-ruby prints it (seconds precision, Paris offset).
pub fn format_datetime(t: DateTime<Utc>) -> String {
    t.with_timezone(&paris_offset(t))
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Accepts what Ruby's `Time.iso8601`/`DateTime.iso8601` accept in practice: RFC 3339 or a bare date.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

/// Pagination cursor, as DS makes it: graphql-ruby's cursor encoder (URL-safe base64 without
/// padding) over `"<UTC timestamp %Y-%m-%dT%H:%M:%S.%NZ>;<id>"`.
pub fn encode_cursor(t: DateTime<Utc>, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{};{id}", t.format("%Y-%m-%dT%H:%M:%S%.9fZ")))
}

/// Ruby's `String#to_i`: leading blanks, a sign and digits (`_` between them); else 0.
/// Saturates where Ruby would grow a bignum.
pub fn ruby_to_i(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    let mut prev_digit = false;
    for c in digits.chars() {
        match c {
            '0'..='9' => {
                let d = i64::from(c as u8 - b'0');
                n = n.saturating_mul(10).saturating_add(d);
                prev_digit = true;
            }
            '_' if prev_digit => prev_digit = false,
            _ => break,
        }
    }
    if neg { -n } else { n }
}

/// Ruby's `String#inspect`, which graphql-ruby puts in some messages (`Invalid input: "…"`):
/// quotes, backslash escapes for quotes, backslashes and control characters.
pub fn ruby_inspect(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '#' if matches!(chars.peek(), Some('{' | '$' | '@')) => out.push_str("\\#"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// base64(MD5(bytes)): ActiveStorage's checksum, the one `File.checksum` carries.
pub fn md5_base64(bytes: &[u8]) -> String {
    STANDARD.encode(Md5::digest(bytes))
}

/// Hex form of a base64 MD5 (what an object store's `ETag` holds); `None` if not base64.
pub fn md5_base64_to_hex(b64: &str) -> Option<String> {
    STANDARD.decode(b64.trim()).ok().map(hex::encode)
}

/// HMAC-SHA256 of `msg`, hex, truncated: signatures of URLs and signed blob ids.
pub fn sign(secret: &[u8], msg: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(msg.as_bytes());
            hex::encode(&mac.finalize().into_bytes()[..20])
        }
        Err(_) => String::new(),
    }
}

/// Constant-time-enough comparison of a signature (loopback only; avoids early exits anyway).
pub fn verify(secret: &[u8], msg: &str, sig: &str) -> bool {
    let expected = sign(secret, msg);
    expected.len() == sig.len()
        && expected
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// URL-safe base64 without padding, for tokens placed in URL paths.
pub fn b64url(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// Inverse of [`b64url`].
pub fn unb64url(s: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()
}

/// SplitMix64: tiny, fast, good enough for test data, and identical on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in `0..n` (n = 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// SplitMix64's finaliser; also used position-wise to generate attachment bytes.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `buf` with the generated bytes of a seeded attachment starting at `offset`.
/// Bytes depend only on (seed, absolute position), so any chunking streams the same content.
pub fn fill_generated(seed: u64, offset: u64, buf: &mut [u8]) {
    let key = seed.wrapping_mul(0x100_0000_01B3);
    let mut pos = offset;
    let mut i = 0;
    while i < buf.len() {
        let word = mix(key ^ (pos / 8)).to_le_bytes();
        let skip = (pos % 8) as usize;
        let n = (8 - skip).min(buf.len() - i);
        buf[i..i + n].copy_from_slice(&word[skip..skip + n]);
        i += n;
        pos += n as u64;
    }
}

/// MD5 (base64) of a generated attachment, computed in chunks (never the whole file in memory).
pub fn generated_checksum(seed: u64, len: u64) -> String {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut off = 0u64;
    while off < len {
        let n = (len - off).min(buf.len() as u64) as usize;
        fill_generated(seed, off, &mut buf[..n]);
        hasher.update(&buf[..n]);
        off += n as u64;
    }
    STANDARD.encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        assert_eq!(global_id("Dossier", 9399190), "RG9zc2llci05Mzk5MTkw");
        assert_eq!(
            decode_typed("RG9zc2llci05Mzk5MTkw", "Dossier"),
            Some(9399190)
        );
        assert_eq!(decode_champ_id(&champ_id(12, Some(7))), Some((12, Some(7))));
        assert_eq!(decode_typed("!!", "Dossier"), None);
    }

    #[test]
    fn paris_time() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 10, 0, 0).unwrap();
        assert_eq!(format_datetime(winter), "2026-01-15T11:00:00+01:00");
        assert_eq!(format_datetime(summer), "2026-07-15T12:00:00+02:00");
    }

    #[test]
    fn generated_bytes_do_not_depend_on_chunking() {
        let mut a = vec![0u8; 100];
        fill_generated(7, 0, &mut a);
        let mut b = vec![0u8; 37];
        fill_generated(7, 63, &mut b);
        assert_eq!(&a[63..], &b[..]);
        assert_eq!(generated_checksum(7, 100), md5_base64(&a));
    }
}
