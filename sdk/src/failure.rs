//! From a capability's error to the robot's [`Failure`], in one `map_err`.
//!
//! Every robot needs the same two mappings, and the choice between them is
//! what decides whether the runner retries: a [`Failure::System`] is retried
//! with backoff (then sent to review), a [`Failure::Business`] is not. The
//! message is always `"<step>: <error>"`, so the review queue says which
//! step failed and how.
//!
//! ```ignore
//! let d = item.load_dossier().map_err(pont_sdk::system("dossier"))?;
//! ds::accepter(d.number, None, None, false).map_err(pont_sdk::ds_failure("accepter"))?;
//! ```

use std::fmt::{Debug, Display};

use crate::Failure;
use crate::bindings::pont::robot::ds::DsError;

/// The usual mapping of a DS error at `step`: DS down or failing after the
/// host's retries (`Unavailable`) is a system failure, worth retrying later;
/// any other error is DS refusing this call for this dossier (a transition
/// its state does not allow, an annotation the démarche lacks, a grant the
/// operator did not give), which a retry would meet again: a business
/// failure, for a person to look at. (A call held for an agent,
/// `PendingApproval`, maps to a business failure too, but the host keeps the
/// item waiting for the decision anyway; [`crate::decided`] tells it apart.)
pub fn ds_failure(step: impl Display) -> impl Fn(DsError) -> Failure {
    move |e| {
        let message = format!("{step}: {e:?}");
        match e {
            DsError::Unavailable(_) => Failure::System(message),
            _ => Failure::Business(message),
        }
    }
}

/// Any error at `step` as a system failure: for a robot that wants every
/// error of a call retried (an application or the host failed, not the
/// dossier), whatever its case. Works for [`DsError`] and
/// [`Error`](crate::Error) alike.
pub fn system<E: Debug>(step: impl Display) -> impl Fn(E) -> Failure {
    move |e| Failure::System(format!("{step}: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn text(f: &Failure) -> (&'static str, &str) {
        match f {
            Failure::System(m) => ("system", m),
            Failure::Business(m) => ("business", m),
        }
    }

    #[test]
    fn only_unavailable_is_retried() {
        let map = ds_failure("accepter");
        let down = map(DsError::Unavailable("timeout".into()));
        assert_eq!(text(&down).0, "system");
        assert!(text(&down).1.starts_with("accepter: "), "{down:?}");
        assert!(text(&down).1.contains("timeout"), "{down:?}");
        for refused in [
            DsError::InvalidTransition("déjà accepté".into()),
            DsError::Denied("accepter".into()),
            DsError::Rejected("non".into()),
        ] {
            assert_eq!(text(&map(refused)).0, "business");
        }
    }

    #[test]
    fn system_keeps_the_step_and_the_error() {
        let ds = system("annotations")(DsError::InvalidAnnotation("x".into()));
        assert_eq!(text(&ds).0, "system");
        assert!(text(&ds).1.starts_with("annotations: "), "{ds:?}");
        let other = system(format!("Chorus, {}", "envoi"))(Error::Limit("quota".into()));
        assert_eq!(text(&other).0, "system");
        assert!(text(&other).1.starts_with("Chorus, envoi: "), "{other:?}");
        assert!(text(&other).1.contains("quota"), "{other:?}");
    }
}
