//! The link between the driver and one connection's task: the queue of
//! what to write, and the read credit that keeps the task from reading
//! faster than the driver handles what it read.
//!
//! Built for ten thousand idle connections rather than for throughput: a
//! tokio mpsc channel allocates a block of 32 slots up front (over 1 KiB)
//! and each `Notify` is a few dozen bytes, which an idle connection never
//! uses. This queue holds storage only while something waits to be written,
//! and wakes its one task through one waker slot, polled rather than awaited
//! so that the task's future stores no waiter (see `connection::serve`).
//! How much the queue may hold is the core's decision (`core::limits`, from
//! the written bytes the task reports); the read credit bounds the other
//! direction, which the core cannot see: without it a client sending faster
//! than the driver works would fill the driver's inbound channel without
//! bound.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::connection::Outbound;

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Bytes the task has read and the driver not yet handled.
    unhandled: AtomicUsize,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Outbound>,
    /// The sender is gone: the writer ends once `items` is empty.
    sender_dropped: bool,
    /// A `Close` is queued: a write blocked on a peer that does not read
    /// is given up after a grace period rather than held forever.
    close_requested: bool,
    /// The task, when it waits for anything this queue reports: an item, a
    /// close request or read credit.
    waker: Option<Waker>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the state and wakes the task, outside the lock.
    fn update(&self, change: impl FnOnce(&mut State)) {
        let waker = {
            let mut state = self.state();
            change(&mut state);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
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
        self.0.update(|state| {
            state.close_requested |= matches!(item, Outbound::Close);
            state.items.push_back(item);
        });
    }

    /// The driver handled `count` bytes the task read.
    pub fn return_credit(&self, count: usize) {
        let _ = self
            .0
            .unhandled
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(count))
            });
        // After the decrement: a task that registered before it is woken,
        // one that registers after it sees the new count.
        self.0.update(|_| {});
    }
}

impl Drop for OutboundSender {
    fn drop(&mut self) {
        self.0.update(|state| {
            state.sender_dropped = true;
            state.close_requested = true;
        });
    }
}

impl OutboundReceiver {
    /// The next item if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        pop(&mut self.0.state())
    }

    /// Whether the driver has fewer than `budget` read bytes to handle.
    pub fn may_read(&self, budget: usize) -> bool {
        self.0.unhandled.load(Ordering::Acquire) < budget
    }

    /// Records `count` bytes read and handed to the driver.
    pub fn took_credit(&self, count: usize) {
        self.0.unhandled.fetch_add(count, Ordering::AcqRel);
    }

    /// Ready once a `Close` is queued. Polled while a write is blocked, when
    /// [`poll_recv`](Self::poll_recv) is not: both use the one waker slot.
    pub fn poll_close_requested(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.state();
        if state.close_requested {
            return Poll::Ready(());
        }
        register(&mut state, cx);
        Poll::Pending
    }

    /// The next item, or `None` once the sender is dropped and all is
    /// taken. When pending, the task is also woken by returned read credit,
    /// so a caller waiting for credit checks [`may_read`](Self::may_read)
    /// after this returns pending.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Outbound>> {
        let mut state = self.0.state();
        if let Some(item) = pop(&mut state) {
            return Poll::Ready(Some(item));
        }
        if state.sender_dropped {
            return Poll::Ready(None);
        }
        register(&mut state, cx);
        Poll::Pending
    }
}

/// Pops the front item; an emptied queue gives its storage back, since most
/// connections go idle for a long time after their last packet.
fn pop(state: &mut State) -> Option<Outbound> {
    let item = state.items.pop_front();
    if state.items.is_empty() && state.items.capacity() > 0 {
        state.items = VecDeque::new();
    }
    item
}

fn register(state: &mut State, cx: &mut Context<'_>) {
    match &mut state.waker {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        slot => *slot = Some(cx.waker().clone()),
    }
}
