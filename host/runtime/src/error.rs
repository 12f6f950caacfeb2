use pont_policy::PolicyError;

/// Why a run could not start or could not go on. Each kind has its own exit
/// code in the CLI, so a scheduler can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The manifest or the robot config is unreadable or invalid.
    #[error("{0}")]
    Config(PolicyError),
    /// The robot requests something its config does not grant.
    #[error("{0}")]
    Policy(PolicyError),
    /// The plugin is not a usable component (malformed, missing exports,
    /// imports the host does not provide).
    #[error("plugin {path}: {message}")]
    PluginInvalid { path: String, message: String },
    /// Same, before the path is known.
    #[error("{0}")]
    Plugin(String),
    /// The plugin's bytes do not match the digest the operator pinned.
    #[error("{0}")]
    Integrity(String),
    /// Anything else that stops the host (journal, audit log, engine).
    #[error("{0}")]
    Fatal(String),
}

impl From<PolicyError> for RuntimeError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::NotGranted { .. } => Self::Policy(e),
            PolicyError::Audit { .. } => Self::Fatal(e.to_string()),
            other => Self::Config(other),
        }
    }
}
