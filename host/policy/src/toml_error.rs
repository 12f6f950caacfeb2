//! Turns toml's multi-line error reports into one line with a position.

/// One line: "line L, column C: message".
pub(crate) fn one_line(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().replace('\n', " ");
    match err.span() {
        Some(span) => {
            let (line, column) = position(text, span.start);
            match key_at(text, span.start) {
                Some(key) => format!("line {line}, column {column}: `{key}`: {}", message.trim()),
                None => format!("line {line}, column {column}: {}", message.trim()),
            }
        }
        None => message.trim().to_string(),
    }
}

/// The key of a `key = value` line whose value the error points into, so a
/// bad value is named, not only placed.
fn key_at(text: &str, offset: usize) -> Option<&str> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = |c: char| c.is_ascii_alphanumeric() || "-_.\"".contains(c);
    (!key.is_empty() && key.len() <= 128 && key.chars().all(bare) && offset > start + key.len())
        .then_some(key)
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("a = 1\nbb = 2", 0), (1, 1));
        assert_eq!(position("a = 1\nbb = 2", 7), (2, 2));
        assert_eq!(super::key_at("[t]\nspool-mb = -1", 15), Some("spool-mb"));
        assert_eq!(super::key_at("[t]\nspool-mb = -1", 4), None);
    }
}
