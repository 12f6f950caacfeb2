//! The service's errors: each says, on one line, what is wrong and where.

/// Why the service cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The service config (or a robot config it names) is invalid.
    #[error("{0}")]
    Config(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// The HTTP server stopped on an error.
    #[error("HTTP server: {0}")]
    Server(std::io::Error),
}

/// toml's multi-line report as one line: "line L, column C: message".
pub(crate) fn toml_line(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().replace('\n', " ");
    let Some(span) = err.span() else {
        return message.trim().to_string();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}: {}", message.trim())
}
