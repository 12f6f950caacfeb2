//! Letting the caller's other work use the time a request waits to be
//! retried.
//!
//! A robot's item that meets a DS failure waits (the backoff) before its
//! request is sent again. If it kept its place among the `--parallel`
//! items meanwhile, every failure would stall a slot for the whole wait,
//! and 20 % of failed requests would cut a run's throughput by far more
//! than 20 %. A caller that can give its place up during such a wait (the
//! runner's item) runs the request inside [`with_parking`]: the client
//! then calls [`Parking::park`] before the backoff and awaits
//! [`Parking::unpark`] after it, before sending again.
//!
//! Only the backoff after a failure parks. Waiting for the rate budget (the
//! limiter, a 429's pause) does not: another item would only queue behind
//! the same budget.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What a caller does with its place while a request of its waits to be
/// retried.
pub trait Parking: Send + Sync {
    /// The request starts waiting: the place may go to someone else.
    fn park(&self);
    /// The wait is over: resolves once the caller has a place again.
    fn unpark(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

tokio::task_local! {
    static PARKING: Arc<dyn Parking>;
}

/// Run `work` (which makes DS requests on this task) with `parking` told
/// of every retry backoff its requests wait through.
pub async fn with_parking<F: Future>(parking: Arc<dyn Parking>, work: F) -> F::Output {
    PARKING.scope(parking, work).await
}

/// Sleep `wait` before a retry, parked if the task runs [`with_parking`].
pub(crate) async fn backoff_sleep(wait: Duration) {
    let parking = PARKING.try_with(Arc::clone).ok();
    if let Some(p) = &parking {
        p.park();
    }
    tokio::time::sleep(wait).await;
    if let Some(p) = &parking {
        p.unpark().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[derive(Default)]
    struct Count {
        parked: AtomicU32,
        unparked: AtomicU32,
    }

    impl Parking for Count {
        fn park(&self) {
            self.parked.fetch_add(1, Ordering::SeqCst);
        }
        fn unpark(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            Box::pin(async {
                self.unparked.fetch_add(1, Ordering::SeqCst);
            })
        }
    }

    #[tokio::test]
    async fn a_backoff_parks_only_inside_the_scope() {
        let count = Arc::new(Count::default());
        backoff_sleep(Duration::from_millis(1)).await;
        assert_eq!(count.parked.load(Ordering::SeqCst), 0);
        with_parking(count.clone(), async {
            backoff_sleep(Duration::from_millis(1)).await;
            backoff_sleep(Duration::from_millis(1)).await;
        })
        .await;
        assert_eq!(count.parked.load(Ordering::SeqCst), 2);
        assert_eq!(count.unparked.load(Ordering::SeqCst), 2);
    }
}
