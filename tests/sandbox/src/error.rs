//! Errors of the sandbox's own API (library and control endpoints). DS-shaped errors seen by
//! GraphQL clients are not these: they are built in `gql` and `http` as DS builds them.

/// What can go wrong when starting or driving the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox on loopback: {0}")]
    Bind(#[source] std::io::Error),
    #[error("unknown démarche {0}")]
    UnknownDemarche(String),
    #[error("unknown dossier {0}")]
    UnknownDossier(i64),
    #[error("invalid request: {0}")]
    Invalid(String),
}
