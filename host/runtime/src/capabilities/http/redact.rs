//! Cutting secret values out of what a server sends back.
//!
//! A robot names a secret and the host puts it in a request header; a server
//! that echoes its request (a debugging endpoint, an error page quoting the
//! `Authorization` header) would otherwise hand the value to the robot. Bodies
//! arrive in chunks, so a value split across two chunks must still be caught:
//! the redactor holds back the few bytes that could be the start of one.
//!
//! An echo is not always literal: a JSON API quotes the value JSON-escaped, an HTML error
//! page HTML-escaped, a form or query string percent-encoded. Each secret is looked for in
//! those forms too (see [`forms`]). Compressed echoes are kept out upstream: a request that
//! carries a secret asks for, and must get, an unencoded answer (`secrets.rs`).

/// What a redacted value becomes.
pub(crate) const REDACTED: &[u8] = b"[redacted]";

/// Streaming replacement of secret values by [`REDACTED`].
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    secrets: Vec<Vec<u8>>,
    /// Bytes held back because they may begin a secret.
    carry: Vec<u8>,
}

impl Redactor {
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<Vec<u8>> = secrets
            .into_iter()
            .filter(|s| !s.is_empty())
            .flat_map(|s| forms(&s))
            .collect();
        // Longest first, so a form that extends another is cut whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Self {
            secrets,
            carry: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Redact a whole value (a header, a short body) in one go.
    pub(crate) fn whole(&self, data: &[u8]) -> Vec<u8> {
        let mut r = Redactor {
            secrets: self.secrets.clone(),
            carry: Vec::new(),
        };
        let mut out = r.push(data);
        out.extend(r.finish());
        out
    }

    /// Feed the next chunk; returns what can be released now.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.secrets.is_empty() {
            return chunk.to_vec();
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        while i < buf.len() {
            let rest = &buf[i..];
            if let Some(len) = self.full_match(rest) {
                out.extend_from_slice(REDACTED);
                i += len;
            } else if self.partial_match(rest) {
                self.carry = rest.to_vec();
                return out;
            } else {
                out.push(buf[i]);
                i += 1;
            }
        }
        out
    }

    /// The held-back bytes at the end of the stream (they began no secret).
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.carry)
    }

    fn full_match(&self, rest: &[u8]) -> Option<usize> {
        self.secrets
            .iter()
            .find(|s| rest.starts_with(s))
            .map(Vec::len)
    }

    /// `rest` is shorter than some secret and is its beginning.
    fn partial_match(&self, rest: &[u8]) -> bool {
        self.secrets
            .iter()
            .any(|s| rest.len() < s.len() && s.starts_with(rest))
    }
}

/// The forms an echo of `secret` may take: as is, JSON-escaped (also with `\/` and with
/// non-ASCII as `\uXXXX`), HTML-escaped, percent-encoded (upper- and lower-case hex, and
/// with `+` for a space).
fn forms(secret: &str) -> Vec<Vec<u8>> {
    let json = json_escaped(secret, false);
    let mut out = vec![
        secret.to_string(),
        json.replace('/', "\\/"),
        json_escaped(secret, true),
        json_escaped(secret, true).replace('/', "\\/"),
        json,
        html_escaped(secret),
    ];
    let percent = percent_encoded(secret, true);
    out.push(percent.replace("%20", "+"));
    out.push(percent);
    out.push(percent_encoded(secret, false));
    out.into_iter().map(String::into_bytes).collect()
}

fn json_escaped(s: &str, ascii: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Every byte outside RFC 3986's unreserved set as `%XX`.
fn percent_encoded(s: &str, upper: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(r: &mut Redactor, chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        for c in chunks {
            out.extend(r.push(c));
        }
        out.extend(r.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_secret_is_cut_whole_or_split_across_chunks() {
        let mut r = Redactor::new(["s3cr3t".to_string()]);
        assert_eq!(
            stream(&mut r, &[b"Bearer s3", b"cr", b"3t; ok"]),
            "Bearer [redacted]; ok"
        );
        assert_eq!(stream(&mut r, &[b"s3cr3ts3cr3t"]), "[redacted][redacted]");
        assert_eq!(
            stream(&mut r, &[b"s3cr", b"et"]),
            "s3cret",
            "a near miss is kept"
        );
        assert_eq!(stream(&mut r, &[b"ends with s3cr"]), "ends with s3cr");
        assert_eq!(r.whole(b"x s3cr3t y"), b"x [redacted] y");
    }

    #[test]
    fn escaped_and_encoded_echoes_are_cut_too() {
        let secret = "p@ss/wörd \"x\"&<y>";
        let mut r = Redactor::new([secret.to_string()]);
        for echo in [
            r#"{"auth":"p@ss/wörd \"x\"&<y>"}"#,
            r#"{"auth":"p@ss\/wörd \"x\"&<y>"}"#,
            r#"{"auth":"p@ss/w\u00f6rd \"x\"&<y>"}"#,
            "<p>p@ss/wörd &quot;x&quot;&amp;&lt;y&gt;</p>",
            "q=p%40ss%2Fw%C3%B6rd%20%22x%22%26%3Cy%3E&z",
            "q=p%40ss%2fw%c3%b6rd%20%22x%22%26%3cy%3e&z",
            "q=p%40ss%2Fw%C3%B6rd+%22x%22%26%3Cy%3E&z",
        ] {
            let out = String::from_utf8(r.whole(echo.as_bytes())).unwrap();
            assert!(out.contains("[redacted]"), "{echo} -> {out}");
            assert!(!out.contains("rd"), "{echo} -> {out}");
        }
        // Split across chunks, the escaped form is still cut.
        let got = stream(&mut r, &[br#"{"a":"p@ss\/w"#, br#"\u00f6rd \"x\"&<y>"}"#]);
        assert_eq!(got, r#"{"a":"[redacted]"}"#);
    }

    #[test]
    fn no_secrets_passes_bytes_through() {
        let mut r = Redactor::new(Vec::new());
        assert!(r.is_empty());
        assert_eq!(stream(&mut r, &[b"abc", b"def"]), "abcdef");
    }
}
