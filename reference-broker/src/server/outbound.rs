//! The link between the driver and one connection's task: the queue of
//! what to write, and the read credit that keeps the task from reading
//! faster than the driver handles what it read.
//!
//! A tokio mpsc channel allocates a block of 32 slots up front (over 1 KiB),
//! which an idle connection never uses; this queue allocates only when
//! there is something to send, so ten thousand idle connections with wills
//! cost that much less. How much the queue may hold is the core's decision
//! (`core::limits`, from the written bytes the task reports); the read
//! credit bounds the other direction, which the core cannot see: without it
//! a client sending faster than the driver works would fill the driver's
//! inbound channel without bound.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use super::connection::Outbound;

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    notify: Notify,
    /// Bytes the task has read and the driver not yet handled.
    unhandled: AtomicUsize,
    /// Signalled when the driver has handled some.
    credit: Notify,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Outbound>,
    /// The sender is gone: the writer ends once `items` is empty.
    sender_dropped: bool,
    /// A `Close` is queued: a write blocked on a peer that does not read
    /// is given up after a grace period rather than held forever.
    close_requested: bool,
}

/// The driver's end. Dropping it ends the writer after what is queued.
#[derive(Debug)]
pub(super) struct OutboundSender(Arc<Shared>);

/// The writer's end.
#[derive(Debug)]
pub(super) struct OutboundReceiver(Arc<Shared>);

pub(super) fn outbound_queue() -> (OutboundSender, OutboundReceiver) {
    let shared = Arc::new(Shared::default());
    (
        OutboundSender(Arc::clone(&shared)),
        OutboundReceiver(shared),
    )
}

impl OutboundSender {
    pub fn send(&self, item: Outbound) {
        {
            let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.close_requested |= matches!(item, Outbound::Close);
            state.items.push_back(item);
        }
        // Stores a permit if the writer is not waiting yet: no lost wake-up.
        self.0.notify.notify_one();
    }

    /// The driver handled `count` bytes the task read.
    pub fn return_credit(&self, count: usize) {
        let _ = self
            .0
            .unhandled
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(count))
            });
        self.0.credit.notify_one();
    }
}

impl Drop for OutboundSender {
    fn drop(&mut self) {
        {
            let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.sender_dropped = true;
            state.close_requested = true;
        }
        self.0.notify.notify_one();
    }
}

impl OutboundReceiver {
    /// The next item if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        self.0
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .items
            .pop_front()
    }

    /// Whether the driver has fewer than `budget` read bytes to handle.
    pub fn may_read(&self, budget: usize) -> bool {
        self.0.unhandled.load(Ordering::Acquire) < budget
    }

    /// Records `count` bytes read and handed to the driver.
    pub fn took_credit(&self, count: usize) {
        self.0.unhandled.fetch_add(count, Ordering::AcqRel);
    }

    /// Waits until [`may_read`](Self::may_read) holds.
    pub async fn read_credit(&self, budget: usize) {
        while !self.may_read(budget) {
            // A return between the check and the wait leaves a permit.
            self.0.credit.notified().await;
        }
    }

    /// Waits until a `Close` is queued. Used while a write is blocked, when
    /// [`recv`](Self::recv) is not waiting, so taking its wake-up is harmless:
    /// `recv` looks at the queue before it waits.
    pub async fn close_requested(&self) {
        loop {
            if self
                .0
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .close_requested
            {
                return;
            }
            self.0.notify.notified().await;
        }
    }

    /// The next item, or `None` once the sender is dropped and all is taken.
    pub async fn recv(&self) -> Option<Outbound> {
        loop {
            {
                let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(item) = state.items.pop_front() {
                    return Some(item);
                }
                if state.sender_dropped {
                    return None;
                }
            }
            self.0.notify.notified().await;
        }
    }
}
