//! Who else learns of each request DS answered: the service's metrics count
//! DS requests and 429s per token while a run goes, not only once it ends.
//!
//! The observer is told of answers, not of attempts: a request whose
//! connection failed may never have reached DS, and DS's budget counts what
//! it received. It sees no payload, no operation name and no token.

/// Told of every answer DS gives to this client and its clones.
pub trait DsObserver: Send + Sync + std::fmt::Debug {
    /// DS answered a request, whatever the status (a 429 included).
    fn answered(&self);
    /// DS answered 429 (too many requests).
    fn rate_limited(&self);
}
