//! DS decisions the operator holds for an agent (`[approval] required` in
//! the robot config). Such a call is not sent: the host records it as a
//! proposal and answers `DsError::PendingApproval`; the item then waits for
//! the agent's decision, whatever `process` returns, and the host sends what
//! the agent approved. [`decided`] tells the two answers apart from errors.
//!
//! ```ignore
//! match pont_sdk::decided(ds::refuser(n, &motif, None, false)).map_err(ds_failure("refuser"))? {
//!     Decided::Sent(state) => Ok(Outcome::Done(format!("{state:?}"))),
//!     Decided::Proposed(p) => Ok(Outcome::NeedsReview(format!("refus proposé ({p}): {motif}"))),
//! }
//! ```

use crate::bindings::pont::robot::ds::DsError;

/// A DS decision either sent, or held as a proposal for an agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided<T> {
    /// DS applied it.
    Sent(T),
    /// Held for an agent: the host's text names the proposal ("proposal 12: …").
    Proposed(String),
}

/// `Ok(Proposed)` for `pending-approval`, `Ok(Sent)` for a sent call, any
/// other error as it is.
pub fn decided<T>(result: Result<T, DsError>) -> Result<Decided<T>, DsError> {
    match result {
        Ok(v) => Ok(Decided::Sent(v)),
        Err(DsError::PendingApproval(text)) => Ok(Decided::Proposed(text)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_approval_is_a_proposal_and_other_errors_stay_errors() {
        let held: Result<u8, DsError> = Err(DsError::PendingApproval("proposal 3: refuser".into()));
        assert_eq!(
            decided(held).unwrap(),
            Decided::Proposed("proposal 3: refuser".into())
        );
        assert_eq!(decided(Ok::<u8, DsError>(1)).unwrap(), Decided::Sent(1));
        let refused: Result<u8, DsError> = Err(DsError::Denied("refuser".into()));
        assert!(matches!(decided(refused), Err(DsError::Denied(_))));
    }
}
