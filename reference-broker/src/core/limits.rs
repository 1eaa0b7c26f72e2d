//! Limits against hostile or broken clients, and what hitting each one does.
//!
//! | Limit | Config | On hit |
//! |---|---|---|
//! | [`Limit::MaxPacketSize`] | `max_packet_size` | Rejected from the fixed header alone, before the body is buffered: CONNECT gets CONNACK 0x95 (5.0; 3.1.1 CONNACK 0x05), a later packet DISCONNECT 0x95 (MQTT-3.2.2-15, §4.13), then close |
//! | [`Limit::ConnectTimeout`] | `connect_timeout` | No complete CONNECT in time (silence, or one byte at a time): close without CONNACK. Bytes do not restart the timer |
//! | [`Limit::MaxPendingConnections`] | `max_pending_connections` | The oldest connection still waiting for CONNECT is closed to make room |
//! | [`Limit::MaxConnections`] | `max_connections` | CONNACK 0x97 (3.1.1: 0x03) |
//! | [`Limit::OutboundBytes`] | `max_outbound_bytes` | QoS 0 PUBLISH to that client dropped, QoS 1 / 2 held in the session queue until the transport reports written bytes |
//! | [`Limit::QueuedMessages`] | `max_queued_messages` | Connected: closed as a slow consumer (5.0 DISCONNECT 0x97, will published as for any server-side close). Offline: the new message is dropped |
//! | [`Limit::ReceiveMaximum`] | `receive_maximum` | A 5.0 client with more unreleased QoS 2 PUBLISH than advertised gets DISCONNECT 0x93 (§3.3.4, MQTT-3.3.4-7 is the client's duty) |
//!
//! Why evict the oldest pending connection rather than refuse the newest:
//! refusing lets 10,000 idle sockets hold every slot until their connect
//! timeout, locking real clients out; evicting makes an attacker race every
//! new client, and a real client leaves the pending set within one round
//! trip. Why disconnect a slow consumer rather than drop its QoS 1 / 2
//! messages: delivery at QoS 1 / 2 is a promise; a client that cannot keep
//! it is told so (0x97 Quota exceeded) and may resume the session.
//!
//! Every hit is reported as one [`BrokerEvent::LimitReached`], which the
//! server logs at WARN with the peer's address. A QoS 0 drop is reported
//! once per backlog episode, not per message.

use std::collections::BTreeSet;
use std::fmt;

use lastwill_codec::ReasonCode;

use super::close_cause::CloseCause;
use super::connection::Phase;
use super::event::BrokerEvent;
use super::Broker;
use crate::time::{ConnectionId, Timestamp};

/// A limit the broker enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    MaxPacketSize,
    ConnectTimeout,
    MaxPendingConnections,
    MaxConnections,
    OutboundBytes,
    QueuedMessages,
    ReceiveMaximum,
}

impl Limit {
    /// The name of the `lastwill broker` flag that sets it.
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxPacketSize => "max-packet-size",
            Limit::ConnectTimeout => "connect-timeout",
            Limit::MaxPendingConnections => "max-pending",
            Limit::MaxConnections => "max-connections",
            Limit::OutboundBytes => "max-outbound-bytes",
            Limit::QueuedMessages => "max-queued-messages",
            Limit::ReceiveMaximum => "receive-maximum",
        }
    }

    /// The 5.0 reason code a client hears when closed for it.
    pub fn reason_code(self) -> ReasonCode {
        match self {
            Limit::MaxPacketSize => ReasonCode::PACKET_TOO_LARGE,
            Limit::ReceiveMaximum => ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
            Limit::ConnectTimeout
            | Limit::MaxPendingConnections
            | Limit::MaxConnections
            | Limit::OutboundBytes
            | Limit::QueuedMessages => ReasonCode::QUOTA_EXCEEDED,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether an oversized CONNECT's protocol level has yet to arrive. The
/// refusal's form depends on it (CONNACK 0x95 in 5.0, 0x05 in 3.1.1), and
/// it lies 7 bytes past the fixed header ("MQTT" has 4), so waiting for it
/// holds at most 7 more bytes; the connect timeout bounds the wait.
pub(crate) fn connect_level_missing(buf: &[u8]) -> bool {
    let header_end = (1..=4).find(|&i| buf.get(i).is_some_and(|b| b & 0x80 == 0));
    header_end.is_some_and(|end| buf.first() == Some(&0x10) && buf.len() < end + 8)
}

/// Connections waiting for CONNECT, oldest first (identifiers grow).
#[derive(Debug, Default)]
pub(crate) struct PendingConnections {
    ids: BTreeSet<ConnectionId>,
}

impl PendingConnections {
    pub fn insert(&mut self, conn: ConnectionId) {
        self.ids.insert(conn);
    }

    /// The connection left the waiting state: CONNECT handled, or closed.
    pub fn remove(&mut self, conn: ConnectionId) {
        self.ids.remove(&conn);
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn oldest(&self) -> Option<ConnectionId> {
        self.ids.first().copied()
    }
}

impl Broker {
    /// Reports a limit hit on `conn`.
    pub(super) fn limit_reached(&mut self, conn: ConnectionId, limit: Limit, detail: String) {
        let client_id = self
            .connections
            .get(&conn)
            .and_then(|c| c.client_id.as_deref().map(str::to_owned));
        self.out.event(BrokerEvent::LimitReached {
            conn: Some(conn),
            client_id,
            limit,
            detail,
        });
    }

    /// Makes room for one more pending connection by closing the oldest
    /// ones beyond `max_pending_connections - 1`.
    pub(super) fn evict_pending(&mut self, now: Timestamp) {
        let Some(max) = self.config.max_pending_connections else {
            return;
        };
        while self.pending.len() >= max.max(1) {
            let Some(oldest) = self.pending.oldest() else {
                return;
            };
            self.pending.remove(oldest);
            if self
                .connections
                .get(&oldest)
                .is_some_and(|c| c.phase == Phase::AwaitingConnect)
            {
                let detail =
                    format!("{max} connections already waiting for CONNECT; oldest closed");
                self.limit_reached(oldest, Limit::MaxPendingConnections, detail);
                let cause = CloseCause::LimitExceeded(Limit::MaxPendingConnections);
                self.close_connection(oldest, cause, now);
            }
        }
    }

    /// The transport of `conn` wrote `count` more bytes of what the core
    /// sent it. PUBLISH held back by [`Limit::OutboundBytes`] go out again.
    pub fn handle_bytes_written(&mut self, conn: ConnectionId, count: usize, now: Timestamp) {
        self.out.written(conn, count);
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if self.out.unwritten(conn) < self.config.max_outbound_bytes {
            c.shedding = false;
        }
        if c.is_connected() {
            self.flush_connection(conn, now);
        }
    }

    /// Reports, once per backlog episode, that QoS 0 messages to `conn` are
    /// being dropped.
    pub(super) fn note_shedding(&mut self, conn: ConnectionId) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if c.shedding {
            return;
        }
        c.shedding = true;
        let detail = format!(
            "{} bytes not yet written to the client; dropping QoS 0, holding QoS 1/2",
            self.out.unwritten(conn)
        );
        self.limit_reached(conn, Limit::OutboundBytes, detail);
    }

    /// A 5.0 client sent a QoS 2 PUBLISH beyond the server's Receive
    /// Maximum (its duty, MQTT-3.3.4-7): DISCONNECT 0x93 and close (§3.3.4,
    /// §4.13). QoS 1 never counts: the core acknowledges it at once, so none
    /// is ever unacknowledged here. Returns whether the connection was closed.
    pub(super) fn check_receive_maximum(
        &mut self,
        conn: ConnectionId,
        id: u16,
        now: Timestamp,
    ) -> bool {
        let max = self.config.receive_maximum.max(1);
        let v5 = self
            .connections
            .get(&conn)
            .is_some_and(|c| c.version.is_v5());
        let exceeded = v5
            && self
                .session_of(conn)
                .is_some_and(|s| s.flows.inbound.would_exceed(id, max));
        if exceeded {
            let detail = format!("QoS 2 PUBLISH {id} beyond Receive Maximum {max} (MQTT-3.3.4-7)");
            self.limit_reached(conn, Limit::ReceiveMaximum, detail);
            let cause = CloseCause::LimitExceeded(Limit::ReceiveMaximum);
            self.close_connection(conn, cause, now);
        }
        exceeded
    }

    /// A session's queue is full: a connected client is closed as a slow
    /// consumer; an offline session's overflow is reported once until its
    /// queue drains. The message that found it full is dropped either way.
    pub(super) fn queue_overflow(&mut self, client_id: &str, now: Timestamp) {
        let max = self.config.max_queued_messages;
        let Some(session) = self.sessions.get_mut(client_id) else {
            return;
        };
        match session.connection {
            Some(conn) => {
                let detail = format!("{max} messages queued and not taken: slow consumer closed");
                self.limit_reached(conn, Limit::QueuedMessages, detail);
                let cause = CloseCause::LimitExceeded(Limit::QueuedMessages);
                self.close_connection(conn, cause, now);
            }
            None if !session.flows.overflowed => {
                session.flows.overflowed = true;
                self.out.event(BrokerEvent::LimitReached {
                    conn: None,
                    client_id: Some(client_id.to_owned()),
                    limit: Limit::QueuedMessages,
                    detail: format!("{max} messages queued; dropping new ones"),
                });
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_level_of_an_oversized_connect_only() {
        // CONNECT announcing 200 MB (four length bytes), then "MQTT", level 5.
        let full = [
            0x10, 0x80, 0x84, 0xAF, 0x5F, 0, 4, b'M', b'Q', b'T', b'T', 5,
        ];
        for cut in 5..full.len() {
            assert!(connect_level_missing(&full[..cut]), "{cut}");
        }
        assert!(!connect_level_missing(&full));
        // Not a CONNECT: nothing to wait for.
        assert!(!connect_level_missing(&[0x30, 0x80, 0x84, 0xAF, 0x5F]));
    }

    #[test]
    fn every_limit_closes_with_a_disconnect_code() {
        assert_eq!(
            Limit::MaxPacketSize.reason_code(),
            ReasonCode::PACKET_TOO_LARGE
        );
        assert_eq!(
            Limit::ReceiveMaximum.reason_code(),
            ReasonCode::RECEIVE_MAXIMUM_EXCEEDED
        );
        assert_eq!(
            Limit::QueuedMessages.reason_code(),
            ReasonCode::QUOTA_EXCEEDED
        );
        assert_eq!(Limit::MaxPendingConnections.to_string(), "max-pending");
    }
}
