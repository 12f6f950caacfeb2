//! Turns toml's multi-line error reports into one line with a position.

/// One line: "line L, column C: message".
pub(crate) fn one_line(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().replace('\n', " ");
    match err.span() {
        Some(span) => {
            let (line, column) = position(text, span.start);
            format!("line {line}, column {column}: {}", message.trim())
        }
        None => message.trim().to_string(),
    }
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
    }
}
