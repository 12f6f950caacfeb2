//! Cutting secret values out of what a server sends back.
//!
//! A robot names a secret and the host puts it in a request header; a server
//! that echoes its request (a debugging endpoint, an error page quoting the
//! `Authorization` header) would otherwise hand the value to the robot. Bodies
//! arrive in chunks, so a value split across two chunks must still be caught:
//! the redactor holds back the few bytes that could be the start of one.

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
        let secrets = secrets
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(String::into_bytes)
            .collect();
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
    fn no_secrets_passes_bytes_through() {
        let mut r = Redactor::new(Vec::new());
        assert!(r.is_empty());
        assert_eq!(stream(&mut r, &[b"abc", b"def"]), "abcdef");
    }
}
