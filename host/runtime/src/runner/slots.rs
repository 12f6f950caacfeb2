//! The `--parallel` slots of a run, and the parking of an item whose DS
//! request waits to be retried (`pont_ds::Parking`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

use crate::error::RuntimeError;

/// The `--parallel` slots: an item holds one only while an attempt runs,
/// never while it sleeps through a backoff or a wait, nor while a DS
/// request of its waits to be retried (`pont_ds::Parking`), so waiting
/// items do not starve the others. Items with an instance, running or
/// parked, are bounded too (`live`, [`LIVE_PER_SLOT`] per slot), and the
/// engine's pool is sized for them (`prepare.rs`): a DS outage parks at
/// most that many instances, not the whole queue.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    running: Arc<Semaphore>,
    live: Arc<Semaphore>,
}

/// Items with an instance per `--parallel` slot, parked ones included.
pub(crate) const LIVE_PER_SLOT: usize = 2;

/// An attempt's place: counted among the live items, and running.
#[derive(Debug)]
pub(crate) struct Slot {
    live: OwnedSemaphorePermit,
    running: OwnedSemaphorePermit,
}

impl Slots {
    pub fn new(parallel: usize) -> Self {
        let semaphore = |n| Arc::new(Semaphore::new(n));
        Self {
            running: semaphore(parallel),
            live: semaphore(parallel * LIVE_PER_SLOT),
        }
    }

    /// Run `attempt` in `slot`, its running place given up while its DS
    /// requests wait to be retried; the whole slot is freed at its end.
    pub async fn parked_during_retries<T>(
        &self,
        slot: Slot,
        attempt: impl Future<Output = T>,
    ) -> T {
        let parking = Arc::new(ItemParking {
            running: self.running.clone(),
            held: Mutex::new(Some(slot.running)),
        });
        let out = pont_ds::with_parking(parking, attempt).await;
        drop(slot.live);
        out
    }
}

fn slot_err(e: AcquireError) -> RuntimeError {
    RuntimeError::Fatal(format!("item slots: {e}"))
}

/// Wait for a free slot: a live item's place first, then a running one,
/// always in that order, so a parked item waiting to run again never waits
/// for an item that waits for its live place.
pub(crate) async fn take_slot(slots: &Slots) -> Result<Slot, RuntimeError> {
    let live = slots.live.clone().acquire_owned().await.map_err(slot_err)?;
    let running = slots.running.clone().acquire_owned().await;
    Ok(Slot {
        live,
        running: running.map_err(slot_err)?,
    })
}

/// An attempt's running place, given up while a DS request waits to be
/// retried and taken again before it is sent.
struct ItemParking {
    running: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

impl ItemParking {
    fn held(&self) -> MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl pont_ds::Parking for ItemParking {
    fn park(&self) {
        drop(self.held().take());
    }

    fn unpark(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            // The semaphore is never closed; if it were, the item would go
            // on without a place rather than fail.
            if let Ok(permit) = self.running.clone().acquire_owned().await {
                *self.held() = Some(permit);
            }
        })
    }
}
