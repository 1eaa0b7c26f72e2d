//! The queue from the driver to one connection's writer. A tokio mpsc
//! channel allocates a block of 32 slots up front (over 1 KiB), which an
//! idle connection never uses; this queue allocates only when there is
//! something to send, so ten thousand idle connections with wills cost
//! that much less.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use super::connection::Outbound;

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    notify: Notify,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Outbound>,
    /// The sender is gone: the writer ends once `items` is empty.
    sender_dropped: bool,
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
        self.0
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .items
            .push_back(item);
        // Stores a permit if the writer is not waiting yet: no lost wake-up.
        self.0.notify.notify_one();
    }
}

impl Drop for OutboundSender {
    fn drop(&mut self) {
        self.0
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sender_dropped = true;
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

    /// The next item, or `None` once the sender is dropped and all is taken.
    pub async fn recv(&mut self) -> Option<Outbound> {
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
