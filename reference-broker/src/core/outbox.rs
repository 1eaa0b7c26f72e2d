//! The core's outputs, queued until the driver polls them. Kept apart from
//! the rest of the broker state so that code holding a session or a
//! connection mutably can still send.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use lastwill_codec::{encode_to_bytes, Packet, ProtocolVersion};

use super::event::{Action, BrokerEvent};
use crate::time::ConnectionId;

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    actions: VecDeque<Action>,
    events: VecDeque<BrokerEvent>,
    /// Bytes sent to each connection that its transport has not reported
    /// written (`Broker::handle_bytes_written`); only non-zero entries, so
    /// idle connections cost nothing here. Bounds what a client that never
    /// reads can make the broker hold (`core::limits`).
    unwritten: HashMap<ConnectionId, usize>,
}

impl Outbox {
    /// Encodes `packet` for `version` and queues it. A packet the core built
    /// that cannot be encoded is reported, not sent.
    pub fn send(&mut self, conn: ConnectionId, version: ProtocolVersion, packet: &Packet) {
        if let Some(bytes) = self.encode(conn, version, packet) {
            self.send_bytes(conn, bytes);
        }
    }

    pub fn encode(
        &mut self,
        conn: ConnectionId,
        version: ProtocolVersion,
        packet: &Packet,
    ) -> Option<Bytes> {
        match encode_to_bytes(packet, version) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                self.event(BrokerEvent::EncodeFailed {
                    conn,
                    packet_type: packet.packet_type(),
                    error: error.to_string(),
                });
                None
            }
        }
    }

    pub fn send_bytes(&mut self, conn: ConnectionId, bytes: Bytes) {
        *self.unwritten.entry(conn).or_default() += bytes.len();
        self.actions.push_back(Action::Send { conn, bytes });
    }

    /// Queues the close; the connection's backlog is no longer the core's
    /// concern (the driver bounds how long a close may take to flush).
    pub fn close(&mut self, conn: ConnectionId) {
        self.unwritten.remove(&conn);
        self.actions.push_back(Action::Close { conn });
    }

    /// Bytes sent to `conn` and not yet reported written.
    pub fn unwritten(&self, conn: ConnectionId) -> usize {
        self.unwritten.get(&conn).copied().unwrap_or(0)
    }

    /// The transport wrote `count` bytes of what was sent to `conn`.
    pub fn written(&mut self, conn: ConnectionId, count: usize) {
        if let Some(left) = self.unwritten.get_mut(&conn) {
            *left = left.saturating_sub(count);
            if *left == 0 {
                self.unwritten.remove(&conn);
            }
        }
    }

    pub fn event(&mut self, event: BrokerEvent) {
        self.events.push_back(event);
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<BrokerEvent> {
        self.events.pop_front()
    }
}
