//! Typed errors, and the mapping from DS's answers to them.
//!
//! DS reports business refusals as payload `errors` holding French messages
//! without codes (API-NOTES §8), so the known messages are recognised by
//! their wording; anything else is kept verbatim in [`DsError::Rejected`].

use crate::model::DossierState;

/// An error of the DS client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DsError {
    /// Unknown dossier, démarche, label or file (top-level `not_found`).
    #[error("not found: {0}")]
    NotFound(String),
    /// The token may not see this object (hidden démarche: `unauthorized`).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// DS answered 401: the token expired or is unknown.
    #[error("token expired or invalid: {0}")]
    TokenExpired(String),
    /// DS answered 403 (e.g. call from a network the token does not allow).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The dossier is already in the requested state ("Le dossier est déjà accepté").
    #[error("already in that state: {0}")]
    AlreadyInState(String),
    /// The transition is not allowed from the dossier's current state.
    #[error("transition not allowed: {0}")]
    InvalidTransition(String),
    /// The instructeur cannot act on this dossier.
    #[error("instructeur without access: {0}")]
    InstructeurWithoutAccess(String),
    /// The token can only read.
    #[error("read-only token: {0}")]
    ReadOnlyToken(String),
    /// An uploaded or downloaded file failed its integrity check.
    #[error("invalid file: {0}")]
    InvalidFile(String),
    /// The annotation does not exist or does not take this type of value.
    #[error("invalid annotation: {0}")]
    InvalidAnnotation(String),
    /// No instructeur of the démarche has this e-mail.
    #[error("no instructeur with e-mail {email} in the groupes of démarche {demarche}")]
    InstructeurNotFound {
        /// The e-mail looked for.
        email: String,
        /// The démarche searched.
        demarche: i64,
    },
    /// Any other refusal by DS, with its message verbatim.
    #[error("rejected by DS: {0}")]
    Rejected(String),
    /// A top-level GraphQL error the client has no case for (bad_request, …).
    #[error("DS error {code}: {message}")]
    Graphql {
        /// `extensions.code`, or the HTTP status when there is none.
        code: String,
        /// The message.
        message: String,
    },
    /// DS could not be reached or kept failing after the retries.
    #[error("DS unavailable: {0}")]
    Unavailable(String),
    /// A mutation's answer was lost and the client could not tell whether
    /// DS applied it, so it did not send it again.
    #[error("outcome of {operation} unknown: {reason}")]
    OutcomeUnknown {
        /// The mutation.
        operation: String,
        /// Why the outcome could not be decided.
        reason: String,
    },
    /// DS's storage answered 401 for a file URL: signed URLs live about an
    /// hour, so the dossier must be read again for a fresh one.
    #[error("file URL expired: {0}")]
    UrlExpired(String),
    /// DS's answer did not have the expected shape.
    #[error("unexpected answer from DS: {0}")]
    Decode(String),
    /// DS's answer passed one of the client's [`crate::DsLimits`] (a body
    /// or file too large, a listing too long). Retrying would meet it again.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// DS's pages do not lead anywhere: more are announced but the cursor is
    /// missing, did not advance, or came back. The listing ends here.
    #[error("broken pagination: {0}")]
    Pagination(String),
    /// A local file could not be read or written.
    #[error("local file: {0}")]
    Io(String),
    /// The client was configured wrongly.
    #[error("configuration: {0}")]
    Config(String),
    /// The permit handed over does not cover this call (a host bug): nothing
    /// was sent.
    #[error("not permitted: {0}")]
    Unpermitted(String),
    /// The caller's [`crate::EgressMeter`] refused the request (an egress
    /// budget): nothing was sent.
    #[error("denied: {0}")]
    Denied(String),
}

impl DsError {
    /// The name of the case, for logs and metrics (never the message, which
    /// may quote dossier content).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Unauthorized(_) => "unauthorized",
            Self::TokenExpired(_) => "token_expired",
            Self::Forbidden(_) => "forbidden",
            Self::AlreadyInState(_) => "already_in_state",
            Self::InvalidTransition(_) => "invalid_transition",
            Self::InstructeurWithoutAccess(_) => "instructeur_without_access",
            Self::ReadOnlyToken(_) => "read_only_token",
            Self::InvalidFile(_) => "invalid_file",
            Self::InvalidAnnotation(_) => "invalid_annotation",
            Self::InstructeurNotFound { .. } => "instructeur_not_found",
            Self::Rejected(_) => "rejected",
            Self::Graphql { .. } => "graphql",
            Self::Unavailable(_) => "unavailable",
            Self::OutcomeUnknown { .. } => "outcome_unknown",
            Self::UrlExpired(_) => "url_expired",
            Self::Decode(_) => "decode",
            Self::Limit(_) => "limit",
            Self::Pagination(_) => "pagination",
            Self::Io(_) => "io",
            Self::Config(_) => "config",
            Self::Unpermitted(_) => "unpermitted",
            Self::Denied(_) => "denied",
        }
    }
}

/// What the caller was trying to do, which decides how an ambiguous DS
/// message reads: "Le dossier est déjà accepté" is `AlreadyInState` for an
/// accepter but `InvalidTransition` for a refuser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// A state change towards this state.
    Transition(DossierState),
    /// Writing annotations: DS's validation messages are about the values.
    Annotations,
    /// Anything else.
    Other,
}

/// DS writes typographic apostrophes (’, sometimes ‘); compare on plain ones.
fn normalise(message: &str) -> String {
    message.replace(['\u{2019}', '\u{2018}'], "'")
}

/// Maps one payload error message of a mutation to a typed error.
pub fn classify_payload_error(message: &str, intent: Intent) -> DsError {
    let m = normalise(message);
    let keep = || message.to_string();
    if m.contains("configuré seulement en lecture") {
        return DsError::ReadOnlyToken(keep());
    }
    if m.contains("n'a pas les droits d'accès") {
        return DsError::InstructeurWithoutAccess(keep());
    }
    if m.contains("Le hash du fichier téléversé est invalide")
        || m.contains("L'identifiant du fichier téléversé est invalide")
        || m.contains("n'a pas été correctement téléversé")
    {
        return DsError::InvalidFile(keep());
    }
    if let Some(rest) = m.strip_prefix("Le dossier est déjà ") {
        let current = rest.trim().trim_end_matches('.').to_lowercase();
        return match intent {
            Intent::Transition(target) if current == target.display_fr() => {
                DsError::AlreadyInState(keep())
            }
            _ => DsError::InvalidTransition(keep()),
        };
    }
    // dossierArchiver on a dossier that is not terminated.
    if m.contains("qu'une fois le traitement terminé") {
        return DsError::InvalidTransition(keep());
    }
    if m.starts_with("L'annotation") || intent == Intent::Annotations {
        return DsError::InvalidAnnotation(keep());
    }
    DsError::Rejected(keep())
}

/// Longest message kept from DS in an error.
const MAX_MESSAGE_CHARS: usize = 500;

/// `message` as one line: control characters (newlines included) become
/// spaces, and a message longer than [`MAX_MESSAGE_CHARS`] is cut with `…`,
/// so that whatever DS or a proxy sends, an error stays one log line.
pub(crate) fn one_line(message: &str) -> String {
    let mut line: String = message
        .trim()
        .chars()
        .take(MAX_MESSAGE_CHARS + 1)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > MAX_MESSAGE_CHARS {
        line = line.chars().take(MAX_MESSAGE_CHARS).collect();
        line.push('…');
    }
    line
}

/// DS refusing the call itself (HTTP 401 or 403, before any GraphQL runs):
/// retrying cannot help, so these are never retried.
pub(crate) fn refused(status: u16, message: &str) -> DsError {
    let message = one_line(message);
    match status {
        401 => DsError::TokenExpired(message),
        // An unknown or revoked token authenticates nobody: DS then answers
        // as to a call without a token.
        _ if message.contains("Without a token") => DsError::Forbidden(format!(
            "DS does not recognise the token (unknown or revoked): {message}"
        )),
        _ => DsError::Forbidden(message),
    }
}

/// Maps a top-level GraphQL error (by `extensions.code`) to a typed error.
pub fn classify_top_level(code: Option<&str>, message: &str) -> DsError {
    let message = one_line(message);
    match code {
        Some("not_found") => DsError::NotFound(message),
        Some("unauthorized") => DsError::Unauthorized(message),
        Some("forbidden") => DsError::Forbidden(message),
        Some(code) => DsError::Graphql {
            code: code.to_string(),
            message,
        },
        None => DsError::Graphql {
            code: "unknown".to_string(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_from_ds_stay_on_one_line() {
        let e = classify_top_level(Some("bad_request"), "line one\nline two\r\n");
        assert_eq!(e.to_string(), "DS error bad_request: line one line two");
        let long = "x".repeat(10_000);
        let shown = classify_top_level(None, &long).to_string();
        assert!(shown.chars().count() < MAX_MESSAGE_CHARS + 40 && shown.ends_with('…'));
    }

    #[test]
    fn an_unknown_token_s_403_says_so() {
        let e = refused(403, "Without a token, only persisted queries are allowed");
        assert!(matches!(&e, DsError::Forbidden(m) if m.contains("unknown or revoked")));
        let e = refused(
            403,
            "Request issued from a forbidden network. Add 10.0.0.0/8",
        );
        assert_eq!(
            e,
            DsError::Forbidden("Request issued from a forbidden network. Add 10.0.0.0/8".into())
        );
        assert!(matches!(
            refused(401, "Token expired"),
            DsError::TokenExpired(_)
        ));
    }

    #[test]
    fn already_in_state_depends_on_the_target() {
        let m = "Le dossier est déjà accepté";
        assert!(matches!(
            classify_payload_error(m, Intent::Transition(DossierState::Accepte)),
            DsError::AlreadyInState(_)
        ));
        assert!(matches!(
            classify_payload_error(m, Intent::Transition(DossierState::Refuse)),
            DsError::InvalidTransition(_)
        ));
        assert!(matches!(
            classify_payload_error(
                "Le dossier est déjà classé sans suite",
                Intent::Transition(DossierState::SansSuite)
            ),
            DsError::AlreadyInState(_)
        ));
    }

    #[test]
    fn known_messages_with_either_apostrophe() {
        for m in [
            "L’instructeur n’a pas les droits d’accès à ce dossier",
            "L'instructeur n'a pas les droits d'accès à ce dossier",
        ] {
            assert!(matches!(
                classify_payload_error(m, Intent::Other),
                DsError::InstructeurWithoutAccess(_)
            ));
        }
        assert!(matches!(
            classify_payload_error("L‘annotation \"x\" n’existe pas", Intent::Other),
            DsError::InvalidAnnotation(_)
        ));
        assert_eq!(
            classify_payload_error("Quelque chose d’autre", Intent::Other),
            DsError::Rejected("Quelque chose d’autre".into())
        );
    }
}
