//! The sans-IO broker. Inputs are `handle_*(…, now)` calls; outputs are
//! drained with `poll_action`, `poll_event` and `poll_timeout`. Nothing here
//! opens a socket, reads a clock or spawns a task, so a test can run minutes
//! of Will Delay in microseconds by jumping to each deadline.

mod authorize;
mod close;
pub mod close_cause;
mod connect;
mod connect_reject;
mod connection;
mod deliver;
pub mod event;
pub mod limits;
mod message;
mod outbox;
mod packets;
mod qos;
mod retained;
mod router;
mod session;
pub mod timer;
mod will;

use std::collections::BTreeMap;

use bytes::BytesMut;

use lastwill_codec::{decode, DecodeError, Limits, Packet};

use self::close_cause::CloseCause;
use self::connection::{Connection, Phase};
use self::event::{Action, BrokerEvent, TransportClose};
use self::limits::{Limit, PendingConnections};
use self::outbox::Outbox;
use self::retained::RetainedStore;
use self::session::SessionStore;
use self::timer::SessionTimer;
use self::will::{PendingKey, WillScheduler};
use crate::config::BrokerConfig;
use crate::time::{ConnectionId, Timestamp};

pub use self::router::topic_matches;

/// A Client Identifier as the core holds it: one allocation shared by the
/// connection, its session, the session table and a pending will, rather
/// than a copy in each (a few dozen bytes per idle client).
pub(crate) type ClientId = std::sync::Arc<str>;

/// An MQTT 3.1.1 / 5.0 broker without I/O. See the crate documentation for
/// the driving loop.
#[derive(Debug)]
pub struct Broker {
    config: BrokerConfig,
    next_connection: u64,
    next_assigned_id: u64,
    /// Boxed: a `Connection` is some 600 bytes (its will inline), and B-tree
    /// nodes filled in id order stay about half full, so inline values
    /// would cost twice their size per connection.
    connections: BTreeMap<ConnectionId, Box<Connection>>,
    /// The subset of `connections` still waiting for CONNECT.
    pending: PendingConnections,
    sessions: SessionStore,
    wills: WillScheduler,
    retained: RetainedStore,
    out: Outbox,
    shut_down: bool,
    /// Connections in [`Phase::Connected`]: the `max_connections` check
    /// reads it on every CONNECT, so it is kept rather than counted.
    connected: usize,
    /// The earliest deadline armed since the driver last took it
    /// ([`poll_new_deadline`](Self::poll_new_deadline)).
    armed: Option<Timestamp>,
}

/// Which table a due timer lives in.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TimerOwner {
    Connection(ConnectionId),
    Session(ClientId),
    Will(PendingKey),
}

impl Broker {
    pub fn new(config: BrokerConfig) -> Self {
        Self {
            config,
            next_connection: 1,
            next_assigned_id: 1,
            connections: BTreeMap::new(),
            pending: PendingConnections::default(),
            sessions: SessionStore::default(),
            wills: WillScheduler::default(),
            retained: RetainedStore::default(),
            out: Outbox::default(),
            shut_down: false,
            armed: None,
            connected: 0,
        }
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// A network connection was accepted. It must send CONNECT before
    /// `now + connect_timeout`; beyond `max_pending_connections` waiting at
    /// once, the oldest waiting one is closed (`core::limits`).
    pub fn handle_connection_opened(&mut self, now: Timestamp) -> ConnectionId {
        let id = ConnectionId(self.next_connection);
        self.next_connection += 1;
        self.out.event(BrokerEvent::ConnectionOpened { conn: id });
        if self.shut_down {
            self.out.close(id);
            return id;
        }
        self.evict_pending(now);
        let mut connection = Box::new(Connection::new());
        let deadline = now + self.config.connect_timeout;
        connection
            .timers
            .set(SessionTimer::ConnectTimeout, deadline);
        self.note_armed(Some(deadline));
        self.connections.insert(id, connection);
        self.pending.insert(id);
        id
    }

    /// Bytes arrived on `conn`. Whole packets are handled in order; a packet
    /// split across calls waits for the rest. Bytes for a connection the core
    /// has closed are ignored (MQTT-3.1.4-5 / MQTT-3.1.4-6).
    pub fn handle_bytes(&mut self, conn: ConnectionId, data: &[u8], now: Timestamp) {
        match self.connections.get_mut(&conn) {
            Some(c) => c.read_buf.extend_from_slice(data),
            None => return,
        }
        let limits = Limits {
            max_packet_size: self.config.max_packet_size,
        };
        loop {
            let Some(c) = self.connections.get_mut(&conn) else {
                return;
            };
            if c.read_buf.is_empty() {
                // Everything read was handled: free the buffer rather than
                // keep its capacity for a connection that may now be idle
                // for hours (the next bytes allocate what they need).
                c.read_buf = BytesMut::new();
                return;
            }
            let before_connect = c.phase == Phase::AwaitingConnect;
            let first_byte = c.read_buf[0];
            // The codec rejects a packet on its fixed header alone, so an
            // oversized one never waits here for its body: the buffer holds
            // at most `max_packet_size` plus one read chunk.
            let decoded = decode(&mut c.read_buf, c.version, &limits);
            if let Err(error @ DecodeError::PacketTooLarge { .. }) = &decoded {
                if before_connect && limits::connect_level_missing(&c.read_buf) {
                    return;
                }
                self.limit_reached(conn, Limit::MaxPacketSize, error.to_string());
            }
            match decoded {
                Ok(None) => return,
                Ok(Some(packet)) => self.handle_packet(conn, packet, now),
                // The decoder leaves the buffer untouched on error, so the
                // CONNECT path can still read the failed packet's bytes.
                Err(error) if before_connect => {
                    if !self.on_connect_decode_error(conn, error, now) {
                        return;
                    }
                }
                Err(error) => {
                    self.on_decode_error(conn, first_byte, &error, now);
                    return;
                }
            }
        }
    }

    /// The transport of `conn` ended without the core asking for it.
    pub fn handle_connection_closed(
        &mut self,
        conn: ConnectionId,
        cause: TransportClose,
        now: Timestamp,
    ) {
        let cause = match cause {
            TransportClose::PeerClosed => CloseCause::NetworkClosed,
            TransportClose::Error => CloseCause::NetworkError,
        };
        self.close_connection(conn, cause, now);
    }

    /// Fires every deadline at or before `now`, earliest first. Calling it
    /// again with the same `now` does nothing.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        while let Some((_, timer, owner)) = self.next_expired(now) {
            match owner {
                TimerOwner::Connection(id) => {
                    let Some(c) = self.connections.get_mut(&id) else {
                        continue;
                    };
                    c.timers.stop(timer);
                    match timer {
                        SessionTimer::ConnectTimeout if c.phase == Phase::AwaitingConnect => {
                            let detail = format!(
                                "no complete CONNECT within {:?} ({} byte(s) buffered)",
                                self.config.connect_timeout,
                                c.read_buf.len()
                            );
                            self.limit_reached(id, Limit::ConnectTimeout, detail);
                            self.close_connection(id, CloseCause::ConnectTimeout, now);
                        }
                        SessionTimer::KeepAlive if c.is_connected() => {
                            self.close_connection(id, CloseCause::KeepAliveExpired, now);
                        }
                        _ => {}
                    }
                }
                TimerOwner::Session(client_id) => {
                    if let Some(s) = self.sessions.get_mut(&client_id) {
                        s.timers.stop(timer);
                        if timer == SessionTimer::SessionExpiry && s.connection.is_none() {
                            self.expire_session(&client_id, now);
                        }
                    }
                }
                TimerOwner::Will(key) => {
                    if let Some(pending) = self.wills.take(&key) {
                        self.publish_will(pending.will, pending.trigger, now);
                    }
                }
            }
        }
    }

    /// Publishes every will (live connections' and pending ones) to the
    /// connected subscribers, then sends DISCONNECT 0x8B to 5.0 clients and
    /// closes every connection (catalogue E8: an in-memory broker cannot
    /// defer wills to a restart).
    pub fn handle_shutdown(&mut self, now: Timestamp) {
        if self.shut_down {
            return;
        }
        self.shut_down = true;
        self.out.event(BrokerEvent::ShutdownStarted {
            connections: self.connections.len(),
            pending_wills: self.wills.len(),
        });
        self.publish_wills_for_shutdown(now);
        let ids: Vec<ConnectionId> = self.connections.keys().copied().collect();
        for id in ids {
            self.close_connection(id, CloseCause::ServerShutdown, now);
        }
        self.discard_all_sessions();
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.out.poll_action()
    }

    /// The earliest deadline armed since the last call, if any. A driver
    /// that wakes at the earlier of this and the deadline it holds never
    /// wakes late, without rescanning every table
    /// ([`poll_timeout`](Self::poll_timeout)) after each input: a storm of N
    /// closes then costs N, not N². It may wake early, for a timer stopped or
    /// pushed back since; [`handle_timeout`](Self::handle_timeout) then does
    /// nothing and `poll_timeout` gives the real next deadline.
    pub fn poll_new_deadline(&mut self) -> Option<Timestamp> {
        self.armed.take()
    }

    /// Records a deadline just armed, for
    /// [`poll_new_deadline`](Self::poll_new_deadline). Every place that
    /// arms a timer calls it.
    fn note_armed(&mut self, at: Option<Timestamp>) {
        if let Some(at) = at {
            self.armed = Some(self.armed.map_or(at, |armed| armed.min(at)));
        }
    }

    /// The earliest deadline the driver must call
    /// [`handle_timeout`](Self::handle_timeout) at. It looks at every
    /// connection, session and pending will.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let connections = self
            .connections
            .values()
            .filter_map(|c| c.timers.next_timeout());
        let sessions = self.sessions.iter().filter_map(|s| s.timers.next_timeout());
        let wills = self
            .wills
            .iter()
            .filter_map(|(_, p)| p.timers.next_timeout());
        connections.chain(sessions).chain(wills).min()
    }

    pub fn poll_event(&mut self) -> Option<BrokerEvent> {
        self.out.poll_event()
    }

    /// Connections currently open (awaiting CONNECT or connected).
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Sessions held, online and offline.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Whether a session for `client_id` is held.
    pub fn has_session(&self, client_id: &str) -> bool {
        self.sessions.contains(client_id)
    }

    /// When the pending will of `client_id` is due, if it has one.
    pub fn pending_will_due(&self, client_id: &str) -> Option<Timestamp> {
        self.wills
            .iter()
            .filter(|((id, _), _)| **id == *client_id)
            .filter_map(|(_, p)| p.due())
            .min()
    }

    pub fn pending_will_count(&self) -> usize {
        self.wills.len()
    }

    pub fn retained_count(&self) -> usize {
        self.retained.len()
    }

    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    fn handle_packet(&mut self, conn: ConnectionId, packet: Packet, now: Timestamp) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        match (c.phase, packet) {
            (Phase::AwaitingConnect, Packet::Connect(connect)) => {
                // Accepted or refused, it is no longer waiting.
                self.pending.remove(conn);
                self.on_connect(conn, *connect, now);
                // An accepted CONNECT arms the keep-alive timer.
                let keep_alive = self
                    .connections
                    .get(&conn)
                    .and_then(|c| c.timers.get(SessionTimer::KeepAlive));
                self.note_armed(keep_alive);
            }
            (Phase::AwaitingConnect, other) => {
                self.reject_without_connack(
                    conn,
                    "MQTT-3.1.0-1",
                    format!("first packet was {}, not CONNECT", other.packet_type()),
                    now,
                );
            }
            (Phase::Connected, packet) => {
                c.touch(now);
                let keep_alive = c.timers.get(SessionTimer::KeepAlive);
                self.note_armed(keep_alive);
                self.on_packet(conn, packet, now);
            }
        }
    }

    /// The earliest timer due at or before `now`, across every table. Ties go
    /// to the timer kind declared first, so a will due at the instant its
    /// session expires is published before the session is dropped.
    fn next_expired(&self, now: Timestamp) -> Option<(Timestamp, SessionTimer, TimerOwner)> {
        let mut best: Option<(Timestamp, SessionTimer, TimerOwner)> = None;
        let mut consider = |at: Timestamp, timer: SessionTimer, owner: &dyn Fn() -> TimerOwner| {
            if best
                .as_ref()
                .is_none_or(|(b_at, b_t, _)| (at, timer) < (*b_at, *b_t))
            {
                best = Some((at, timer, owner()));
            }
        };
        for (id, c) in &self.connections {
            for (at, t) in c.timers.expired(now) {
                consider(at, t, &|| TimerOwner::Connection(*id));
            }
        }
        for s in self.sessions.iter() {
            for (at, t) in s.timers.expired(now) {
                consider(at, t, &|| TimerOwner::Session(s.client_id.clone()));
            }
        }
        for (key, p) in self.wills.iter() {
            for (at, t) in p.timers.expired(now) {
                consider(at, t, &|| TimerOwner::Will(key.clone()));
            }
        }
        best
    }
}
