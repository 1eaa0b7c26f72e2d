//! The task that owns the core: it turns task reports into `handle_*` calls
//! and the core's actions into messages to connection tasks.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::connection::{serve, Inbound, Outbound, Transport};
use super::outbound::{outbound_queue, OutboundSender};
use super::reactor::ReactorHandle;
use crate::config::BrokerConfig;
use crate::core::event::{Action, BrokerEvent, TransportClose};
use crate::core::Broker;
use crate::time::{ConnectionId, Timestamp};

/// How long shutdown waits for connection tasks to flush the final packets.
const SHUTDOWN_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// Milliseconds since the server started, from `tokio::time` (pausable).
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
    start: Instant,
}

impl Clock {
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    /// Rounded up to the next millisecond: a deadline computed from it
    /// (`now + 2 s`) is never before the real instant plus 2 s, so a will
    /// delay or keep-alive timeout never fires early by a fraction of a
    /// millisecond.
    pub fn now(&self) -> Timestamp {
        let micros = self.start.elapsed().as_micros();
        Timestamp(u64::try_from(micros.div_ceil(1000)).unwrap_or(u64::MAX))
    }

    /// Rounded down, for deciding which deadlines have passed: with
    /// [`now`](Self::now) a deadline one millisecond after the one the
    /// driver woke for could fire up to a millisecond early (1,000 silent
    /// clients' keep-alive wills showed it). Every deadline at or before
    /// this one has really passed.
    pub fn now_expired(&self) -> Timestamp {
        let millis = self.start.elapsed().as_millis();
        Timestamp(u64::try_from(millis).unwrap_or(u64::MAX))
    }

    pub fn instant(&self, at: Timestamp) -> Instant {
        self.start + Duration::from_millis(at.0)
    }
}

#[derive(Debug)]
struct ConnectionHandle {
    link: Link,
    /// The peer's address (or `memory#N`), for log lines.
    peer: Box<str>,
}

/// Who moves a connection's bytes.
#[derive(Debug)]
enum Link {
    /// The reactor thread (plain TCP).
    Reactor,
    /// A task of its own ([`serve`]), and its queue.
    Task {
        outbound: OutboundSender,
        task: JoinHandle<()>,
    },
}

#[derive(Debug)]
pub(super) struct Driver {
    broker: Broker,
    clock: Clock,
    connections: HashMap<ConnectionId, ConnectionHandle>,
    /// Started with the server when it has a TCP listener, else by the
    /// first TCP connection: a server with only in-memory connections (the
    /// suite's embedded target) never starts its thread.
    reactor: Option<ReactorHandle>,
    /// Cloned into every connection task.
    inbound_tx: mpsc::UnboundedSender<Inbound>,
    /// Writers of closed connections, still flushing.
    closing: Vec<JoinHandle<()>>,
    /// `closing` is pruned when it has doubled since the last pruning, so a
    /// storm of closes costs N, not N².
    closing_pruned_at: usize,
}

impl Driver {
    pub fn new(
        config: BrokerConfig,
        clock: Clock,
        inbound_tx: mpsc::UnboundedSender<Inbound>,
        reactor: Option<ReactorHandle>,
    ) -> Self {
        Self {
            broker: Broker::new(config),
            clock,
            connections: HashMap::new(),
            reactor,
            inbound_tx,
            closing: Vec::new(),
            closing_pruned_at: 0,
        }
    }

    /// The next deadline from every table: O(connections), so only called
    /// at start and after a timer fired.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        // Everything armed so far is in the full scan.
        let _ = self.broker.poll_new_deadline();
        self.broker.poll_timeout().map(|at| self.clock.instant(at))
    }

    /// `deadline`, or the earliest deadline armed since the last call if
    /// that is earlier: O(1), so called after every batch of messages.
    pub fn update_deadline(&mut self, deadline: Option<Instant>) -> Option<Instant> {
        let armed = self
            .broker
            .poll_new_deadline()
            .map(|at| self.clock.instant(at));
        match (deadline, armed) {
            (Some(held), Some(armed)) => Some(held.min(armed)),
            (held, armed) => held.or(armed),
        }
    }

    /// Called once the deadline held has passed (`sleep_until` its
    /// instant), so [`Clock::now_expired`] is at or after it. The deadline
    /// may be stale (its timer stopped since): the core then does nothing.
    pub fn on_timer(&mut self) {
        self.broker.handle_timeout(self.clock.now_expired());
    }

    pub fn on_inbound(&mut self, message: Inbound) {
        let now = self.clock.now();
        match message {
            Inbound::Accepted(stream, peer) => {
                let conn = self.broker.handle_connection_opened(now);
                tracing::debug!("{conn} accepted from {peer}");
                let link = match stream {
                    Transport::Tcp(stream) => {
                        let Some(reactor) = self.reactor() else {
                            // Dropping the stream closes it.
                            self.broker
                                .handle_connection_closed(conn, TransportClose::Error, now);
                            return;
                        };
                        reactor.open(conn, stream);
                        Link::Reactor
                    }
                    Transport::Other(stream) => {
                        let (outbound, rx) = outbound_queue();
                        let task = tokio::spawn(serve(conn, stream, rx, self.inbound_tx.clone()));
                        Link::Task { outbound, task }
                    }
                };
                let peer = peer.into_boxed_str();
                self.connections
                    .insert(conn, ConnectionHandle { link, peer });
            }
            Inbound::Bytes(conn, bytes) => {
                self.broker.handle_bytes(conn, &bytes, now);
                match self.connections.get(&conn).map(|handle| &handle.link) {
                    Some(Link::Task { outbound, .. }) => outbound.return_credit(bytes.len()),
                    Some(Link::Reactor) => {
                        if let Some(reactor) = &mut self.reactor {
                            reactor.return_credit(conn, bytes.len());
                        }
                    }
                    None => {}
                }
            }
            Inbound::Written(conn, count) => self.broker.handle_bytes_written(conn, count, now),
            Inbound::Closed(conn, cause) => {
                self.broker.handle_connection_closed(conn, cause, now);
            }
        }
    }

    /// Logs every event and carries out every queued action. Events first,
    /// while a closed connection's peer address is still at hand.
    pub fn drain(&mut self) {
        while let Some(event) = self.broker.poll_event() {
            let peer = event_conn(&event)
                .and_then(|conn| self.connections.get(&conn))
                .map_or("-", |handle| &*handle.peer);
            log_event(&event, peer);
        }
        while let Some(action) = self.broker.poll_action() {
            match action {
                Action::Send { conn, bytes } => {
                    match self.connections.get(&conn).map(|handle| &handle.link) {
                        Some(Link::Task { outbound, .. }) => outbound.send(Outbound::Bytes(bytes)),
                        Some(Link::Reactor) => {
                            if let Some(reactor) = &mut self.reactor {
                                reactor.send(conn, bytes);
                            }
                        }
                        None => {}
                    }
                }
                Action::Close { conn } => {
                    if let Some(handle) = self.connections.remove(&conn) {
                        self.close(conn, handle.link);
                    }
                }
            }
        }
        if self.closing.len() > 2 * self.closing_pruned_at.max(32) {
            self.closing.retain(|writer| !writer.is_finished());
            self.closing_pruned_at = self.closing.len();
        }
    }

    fn close(&mut self, conn: ConnectionId, link: Link) {
        match link {
            Link::Task { outbound, task } => {
                outbound.send(Outbound::Close);
                self.closing.push(task);
            }
            Link::Reactor => {
                if let Some(reactor) = &mut self.reactor {
                    reactor.close(conn);
                }
            }
        }
    }

    /// The reactor, started now if this is the first TCP connection; `None`
    /// (logged) if its thread cannot be started.
    fn reactor(&mut self) -> Option<&mut ReactorHandle> {
        if self.reactor.is_none() {
            match ReactorHandle::start(self.inbound_tx.clone()) {
                Ok(reactor) => self.reactor = Some(reactor),
                Err(error) => tracing::error!(%error, "tcp: the reactor thread did not start"),
            }
        }
        self.reactor.as_mut()
    }

    /// Hands what the last messages produced for reactor-served
    /// connections to the reactor: once per batch, one wake-up for all.
    pub fn flush(&mut self) {
        if let Some(reactor) = &mut self.reactor {
            reactor.flush();
        }
    }

    /// Shutdown: the core publishes the wills and says goodbye, the writers
    /// flush (for a bounded time), everything else is dropped.
    pub async fn shutdown(mut self) {
        self.broker.handle_shutdown(self.clock.now());
        self.drain();
        let connections: Vec<_> = self.connections.drain().collect();
        for (conn, handle) in connections {
            self.close(conn, handle.link);
        }
        let reactor_drained = self.reactor.as_mut().map(ReactorHandle::drained);
        self.flush();
        let writers = std::mem::take(&mut self.closing);
        let flush = async {
            for writer in writers {
                let _ = writer.await;
            }
            if let Some(drained) = reactor_drained {
                let _ = drained.await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_FLUSH_TIMEOUT, flush)
            .await
            .is_err()
        {
            tracing::warn!("shutdown: some connections did not flush in time");
        }
    }
}

/// One log line per event; wills at INFO so an operator sees each one,
/// limit hits at WARN with the peer's address (`core::limits`).
fn log_event(event: &BrokerEvent, peer: &str) {
    match event {
        e if e.is_will_event() => tracing::info!(target: "lastwill_broker::will", "{e}"),
        e @ BrokerEvent::LimitReached { .. } => {
            tracing::warn!(target: "lastwill_broker::limits", "{e} (peer {peer})");
        }
        e @ (BrokerEvent::ProtocolViolation { .. } | BrokerEvent::ConnectionRejected { .. }) => {
            tracing::info!("{e} (peer {peer})");
        }
        e @ (BrokerEvent::EncodeFailed { .. } | BrokerEvent::ShutdownStarted { .. }) => {
            tracing::info!("{e}")
        }
        e => tracing::debug!("{e}"),
    }
}

/// The connection an event is about, when it names one.
fn event_conn(event: &BrokerEvent) -> Option<ConnectionId> {
    match event {
        BrokerEvent::LimitReached { conn, .. } => *conn,
        BrokerEvent::ProtocolViolation { conn, .. }
        | BrokerEvent::ConnectionRejected { conn, .. } => Some(*conn),
        _ => None,
    }
}
