//! Per-connection state: what the CONNECT negotiated, the read buffer, the
//! keep-alive deadline, inbound topic aliases and the armed will.

use super::ClientId;
use std::collections::HashMap;

use bytes::BytesMut;
use lastwill_codec::{MqttString, ProtocolVersion};

use super::timer::{SessionTimer, TimerTable};
use super::will::WillState;
use crate::faults::{Fault, FaultSet};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Opened; nothing but CONNECT is acceptable (MQTT-3.1.0-1).
    AwaitingConnect,
    /// CONNACK 0x00 sent.
    Connected,
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub phase: Phase,
    /// 3.1.1 until CONNECT says otherwise; CONNECT carries its own level.
    pub version: ProtocolVersion,
    pub client_id: Option<ClientId>,
    /// The CONNECT's User Name, for topic authorization (`crate::auth`).
    pub username: Option<MqttString>,
    pub read_buf: BytesMut,
    /// [`SessionTimer::ConnectTimeout`] and [`SessionTimer::KeepAlive`].
    pub timers: TimerTable,
    /// 1.5 × effective Keep Alive in milliseconds; 0 turns the timer off.
    pub keep_alive_ms: u64,
    pub will: WillState,
    /// Session Expiry Interval as the CONNECT sent it (absent = 0). A
    /// DISCONNECT may not raise it from 0 (§3.14.2.2.2).
    pub connect_session_expiry: u32,
    /// The client's Receive Maximum: QoS 1/2 PUBLISH in flight to it at once.
    pub receive_maximum: u16,
    /// The client's Maximum Packet Size; larger PUBLISH are not sent to it
    /// (MQTT-3.1.2-24 / -25).
    pub max_packet_size: Option<u32>,
    /// Client-to-server Topic Aliases (§3.3.2.3.4).
    pub topic_aliases: TopicAliases,
    /// QoS 0 PUBLISH to this client are being dropped for its backlog
    /// (`core::limits`); reported once until the backlog drains.
    pub shedding: bool,
}

impl Connection {
    pub fn new() -> Self {
        Self {
            phase: Phase::AwaitingConnect,
            version: ProtocolVersion::V3_1_1,
            client_id: None,
            username: None,
            read_buf: BytesMut::new(),
            timers: TimerTable::default(),
            keep_alive_ms: 0,
            will: WillState::Absent,
            connect_session_expiry: 0,
            receive_maximum: u16::MAX,
            max_packet_size: None,
            topic_aliases: TopicAliases::default(),
            shedding: false,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// Sets the keep-alive period from the effective Keep Alive in seconds:
    /// exactly 1.5 × in milliseconds, with no rounding (3.1.1 MQTT-3.1.2-24,
    /// 5.0 MQTT-3.1.2-22). The `keep-alive-truncated` fault rounds down to
    /// whole seconds the way some brokers do (catalogue E11).
    pub fn set_keep_alive(&mut self, keep_alive_secs: u16, faults: FaultSet) {
        let secs = u64::from(keep_alive_secs);
        self.keep_alive_ms = if faults.contains(Fault::KeepAliveTruncated) {
            secs * 3 / 2 * 1000
        } else {
            secs * 1500
        };
    }

    /// Restarts the keep-alive timer: a control packet arrived.
    pub fn touch(&mut self, now: Timestamp) {
        if self.keep_alive_ms > 0 {
            self.timers
                .set(SessionTimer::KeepAlive, now.plus_millis(self.keep_alive_ms));
        }
    }
}

/// Client-to-server Topic Aliases. Few clients use them, so the map is
/// allocated by the first alias: an empty `HashMap` inline would cost every
/// connection 48 bytes.
#[derive(Debug, Default)]
#[expect(
    clippy::box_collection,
    reason = "an unused map costs 48 bytes inline and 8 boxed"
)]
pub(crate) struct TopicAliases(Option<Box<HashMap<u16, MqttString>>>);

impl TopicAliases {
    pub fn get(&self, alias: &u16) -> Option<&MqttString> {
        self.0.as_ref().and_then(|map| map.get(alias))
    }

    pub fn insert(&mut self, alias: u16, topic: MqttString) -> Option<MqttString> {
        self.0.get_or_insert_default().insert(alias, topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_is_exactly_one_and_a_half() {
        let mut c = Connection::new();
        c.set_keep_alive(1, FaultSet::EMPTY);
        assert_eq!(c.keep_alive_ms, 1500);
        c.set_keep_alive(3, FaultSet::EMPTY);
        assert_eq!(c.keep_alive_ms, 4500);
        c.set_keep_alive(3, Fault::KeepAliveTruncated.into());
        assert_eq!(c.keep_alive_ms, 4000);
        c.set_keep_alive(0, FaultSet::EMPTY);
        c.touch(Timestamp(10));
        assert_eq!(c.timers.get(SessionTimer::KeepAlive), None);
        c.set_keep_alive(u16::MAX, FaultSet::EMPTY);
        c.touch(Timestamp(10));
        assert_eq!(
            c.timers.get(SessionTimer::KeepAlive),
            Some(Timestamp(10 + 65_535 * 1500))
        );
    }
}
