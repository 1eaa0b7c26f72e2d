//! What the clients of one scenario run share: the clock origin, the
//! timeline every packet and transport event is written to, one wake-up
//! signal, and the first malformed packet any client received.
//!
//! A single signal for all clients keeps waiting simple: whoever waits
//! re-checks its condition on every change anywhere in the scenario, which
//! costs nothing at scenario scale and cannot miss a wake-up.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use lastwill_codec::DecodeError;
use lastwill_report::{Direction, TimelineEntry, Transport};
use tokio::sync::watch;
use tokio::time::Instant;

/// Locks a mutex, ignoring poisoning: the data behind it is a log and
/// queues that stay consistent between statements.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shared state of one scenario run. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Scene {
    inner: Arc<SceneInner>,
}

#[derive(Debug)]
struct SceneInner {
    start: Instant,
    timeline: Mutex<Vec<TimelineEntry>>,
    wake: watch::Sender<u64>,
    failure: Mutex<Option<ProtocolFailure>>,
}

/// A packet from the broker that the strict codec rejects. It decides the
/// scenario (`fail`, citing [`DecodeError::rule`]) whatever step is running:
/// a conformance suite must not read a broker's garbage charitably.
#[derive(Clone, Debug)]
pub struct ProtocolFailure {
    pub client: String,
    pub connection: u32,
    pub at: Instant,
    pub error: DecodeError,
    /// The undecodable bytes (at most the first 256), as lowercase hex.
    pub hex: String,
}

impl ProtocolFailure {
    /// The rule the broker's packet breaks, in the numbering of the
    /// connection's protocol version.
    pub fn rule(&self) -> &'static str {
        self.error.rule()
    }
}

impl Default for Scene {
    fn default() -> Self {
        Self::new()
    }
}

impl Scene {
    /// A scene whose clock starts now (virtual or real, per the runtime).
    pub fn new() -> Self {
        let (wake, _) = watch::channel(0);
        Self {
            inner: Arc::new(SceneInner {
                start: Instant::now(),
                timeline: Mutex::new(Vec::new()),
                wake,
                failure: Mutex::new(None),
            }),
        }
    }

    pub fn start(&self) -> Instant {
        self.inner.start
    }

    pub fn elapsed(&self) -> Duration {
        self.inner.start.elapsed()
    }

    /// Milliseconds from the start of the scene to `at`.
    pub fn ms_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.inner.start).as_millis())
            .unwrap_or(u64::MAX)
    }

    /// Appends a packet or event to the timeline, stamped now.
    pub fn record(
        &self,
        client: &str,
        connection: u32,
        direction: Direction,
        summary: String,
        bytes: &[u8],
    ) {
        self.push(client, connection, direction, summary, bytes, None);
    }

    /// A harness note (step marker, silence, a failed write): no effect on
    /// the connection itself.
    pub fn event(&self, client: &str, connection: u32, summary: impl Into<String>) {
        self.push(
            client,
            connection,
            Direction::Event,
            summary.into(),
            &[],
            None,
        );
    }

    /// An event that opens or ends the connection; the typed `kind` is what
    /// renderings such as the pcap read.
    pub fn transport(
        &self,
        client: &str,
        connection: u32,
        summary: impl Into<String>,
        kind: Transport,
    ) {
        let summary = summary.into();
        self.push(
            client,
            connection,
            Direction::Event,
            summary,
            &[],
            Some(kind),
        );
    }

    fn push(
        &self,
        client: &str,
        connection: u32,
        direction: Direction,
        summary: String,
        bytes: &[u8],
        transport: Option<Transport>,
    ) {
        let entry = TimelineEntry {
            at_ms: self.ms_at(Instant::now()),
            client: client.to_owned(),
            connection,
            direction,
            summary,
            hex: hex(bytes),
            transport,
        };
        lock(&self.inner.timeline).push(entry);
    }

    /// Everything recorded so far, in order.
    pub fn timeline(&self) -> Vec<TimelineEntry> {
        lock(&self.inner.timeline).clone()
    }

    /// The first malformed packet any client received, if any.
    pub fn failure(&self) -> Option<ProtocolFailure> {
        lock(&self.inner.failure).clone()
    }

    pub(crate) fn set_failure(&self, failure: ProtocolFailure) {
        lock(&self.inner.failure).get_or_insert(failure);
        self.wake();
    }

    /// Tells every waiter that something changed.
    pub(crate) fn wake(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.wake.subscribe()
    }
}

/// Lowercase hex without separators, as the report schema stores bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}
