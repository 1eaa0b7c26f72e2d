//! Refusing a connection before it is accepted: CONNACK codes in the
//! CONNECT's version, malformed CONNECTs, and first packets that are not
//! CONNECT. Nothing a refused connection sent is stored (MQTT-3.1.4-5 /
//! 5.0 MQTT-3.1.4-6).

use lastwill_codec::{
    decode, ConnAck, Connect, DecodeError, Limits, Packet, Properties, ProtocolVersion, ReasonCode,
};

use super::close_cause::{CloseCause, WillTrigger};
use super::connect::Refusal;
use super::event::BrokerEvent;
use super::limits::Limit;
use super::will::StoredWill;
use super::{Broker, ClientId};
use crate::faults::Fault;
use crate::time::{ConnectionId, Timestamp};

impl Broker {
    /// Answers a refused CONNECT and closes. Nothing is stored and no existing
    /// session is touched (MQTT-3.1.4-5 / 5.0 MQTT-3.1.4-6).
    pub(super) fn reject_connect(
        &mut self,
        conn: ConnectionId,
        connect: Connect,
        refusal: Refusal,
        now: Timestamp,
    ) {
        let version = connect.version;
        if refusal.code == ReasonCode::QUOTA_EXCEEDED {
            // The one quota a CONNECT is refused for (core::limits).
            let max = self.config.max_connections.unwrap_or(0);
            let detail = format!("{max} clients already connected");
            self.limit_reached(conn, Limit::MaxConnections, detail);
        }
        let code = connack_code(refusal.code, version);
        let connack = ConnAck {
            session_present: false,
            reason_code: code,
            properties: Properties::default(),
        };
        self.out.send(conn, version, &Packet::ConnAck(connack));
        self.out.event(BrokerEvent::ConnectionRejected {
            conn,
            client_id: Some(connect.client_id.to_string()),
            reason: Some(code),
            rule: refusal.rule,
        });
        if let Some(will) = connect.will {
            if self.config.faults.contains(Fault::WillOnRejectedConnect) {
                let stored = StoredWill {
                    client_id: ClientId::from(connect.client_id.as_str()),
                    username: connect.username,
                    version,
                    will,
                };
                self.publish_will(stored, WillTrigger::RejectedConnect, now);
            }
        }
        self.close_connection(conn, CloseCause::ConnectRejected(code), now);
    }

    /// Closes a connection whose first packet was not an acceptable CONNECT,
    /// without CONNACK.
    pub(super) fn reject_without_connack(
        &mut self,
        conn: ConnectionId,
        rule: &'static str,
        detail: String,
        now: Timestamp,
    ) {
        self.out.event(BrokerEvent::ProtocolViolation {
            conn,
            client_id: None,
            rule,
            reason: ReasonCode::PROTOCOL_ERROR,
            detail,
        });
        self.out.event(BrokerEvent::ConnectionRejected {
            conn,
            client_id: None,
            reason: None,
            rule,
        });
        self.close_connection(
            conn,
            CloseCause::ConnectRejected(ReasonCode::PROTOCOL_ERROR),
            now,
        );
    }

    /// A first packet that failed to decode. A 5.0 CONNECT gets a CONNACK with
    /// the error's reason code (allowed by MQTT-3.1.4-1 in 5.0); 3.1.1 closes
    /// without CONNACK (MQTT-3.1.4-1), except for an unknown protocol level
    /// (0x01, MQTT-3.1.2-2) and an oversized CONNECT (0x05). Returns whether
    /// decoding should go on (only under `accept-malformed-will-flags`).
    pub(super) fn on_connect_decode_error(
        &mut self,
        conn: ConnectionId,
        error: DecodeError,
        now: Timestamp,
    ) -> bool {
        let will_flags = matches!(
            error,
            DecodeError::WillQosWithoutWillFlag | DecodeError::WillRetainWithoutWillFlag { .. }
        );
        if will_flags && self.config.faults.contains(Fault::AcceptMalformedWillFlags) {
            if let Some(packet) = self.decode_with_will_bits_cleared(conn) {
                self.handle_packet(conn, packet, now);
                return true;
            }
        }
        let Some(c) = self.connections.get(&conn) else {
            return false;
        };
        let level = sniff_connect_level(&c.read_buf);
        let reason = error.reason_code();
        let reply = match level.and_then(ProtocolVersion::from_level) {
            Some(ProtocolVersion::V5) => Some((ProtocolVersion::V5, reason)),
            _ if level.is_some() && reason == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION => Some((
                ProtocolVersion::V3_1_1,
                ReasonCode::V3_UNACCEPTABLE_PROTOCOL_VERSION,
            )),
            Some(v) if reason == ReasonCode::PACKET_TOO_LARGE => {
                Some((v, ReasonCode::V3_NOT_AUTHORIZED))
            }
            _ => None,
        };
        let reply = if self.config.faults.contains(Fault::AcceptMalformedConnect) {
            let version = level
                .and_then(ProtocolVersion::from_level)
                .unwrap_or(ProtocolVersion::V3_1_1);
            Some((version, ReasonCode::SUCCESS))
        } else {
            reply
        };
        self.out.event(BrokerEvent::ProtocolViolation {
            conn,
            client_id: None,
            rule: error.rule(),
            reason,
            detail: error.to_string(),
        });
        if let Some((version, code)) = reply {
            let connack = ConnAck {
                session_present: false,
                reason_code: code,
                properties: Properties::default(),
            };
            self.out.send(conn, version, &Packet::ConnAck(connack));
        }
        self.out.event(BrokerEvent::ConnectionRejected {
            conn,
            client_id: None,
            reason: reply.map(|(_, code)| code),
            rule: error.rule(),
        });
        self.close_connection(conn, CloseCause::ConnectRejected(reason), now);
        false
    }

    /// For `accept-malformed-will-flags`: clears the Will QoS and Will Retain
    /// bits of a CONNECT whose Will Flag is 0 and decodes it again.
    fn decode_with_will_bits_cleared(&mut self, conn: ConnectionId) -> Option<Packet> {
        let c = self.connections.get_mut(&conn)?;
        let offset = connect_flags_offset(&c.read_buf)?;
        let flags = c.read_buf.get_mut(offset)?;
        *flags &= !0b0011_1000;
        let limits = Limits {
            max_packet_size: self.config.max_packet_size,
        };
        decode(&mut c.read_buf, c.version, &limits).ok().flatten()
    }
}

/// A 5.0 CONNACK code in the CONNECT's own version.
fn connack_code(code: ReasonCode, version: ProtocolVersion) -> ReasonCode {
    if version.is_v5() {
        code
    } else if code == ReasonCode::QUOTA_EXCEEDED {
        ReasonCode::V3_SERVER_UNAVAILABLE
    } else {
        code.to_v3_connack()
    }
}

/// Offset of the Protocol Name length in a buffered CONNECT: after the first
/// byte and the Remaining Length.
fn variable_header_offset(buf: &[u8]) -> Option<usize> {
    if buf.first().copied()? != 0x10 {
        return None;
    }
    (1..=4)
        .find(|&i| buf.get(i).is_some_and(|b| b & 0x80 == 0))
        .map(|i| i + 1)
}

/// The protocol level byte of a CONNECT at the front of `buf`, if present.
fn sniff_connect_level(buf: &[u8]) -> Option<u8> {
    let at = variable_header_offset(buf)?;
    let name_len = usize::from(u16::from_be_bytes([*buf.get(at)?, *buf.get(at + 1)?]));
    buf.get(at + 2 + name_len).copied()
}

/// Offset of the Connect Flags byte, right after the protocol level.
fn connect_flags_offset(buf: &[u8]) -> Option<usize> {
    let at = variable_header_offset(buf)?;
    let name_len = usize::from(u16::from_be_bytes([*buf.get(at)?, *buf.get(at + 1)?]));
    let offset = at + 2 + name_len + 1;
    (offset < buf.len()).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_level_of_partial_connects() {
        // CONNECT, remaining length 16, "MQTT", level 5, flags 0x02.
        let v5 = [0x10, 16, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02];
        assert_eq!(sniff_connect_level(&v5), Some(5));
        assert_eq!(connect_flags_offset(&v5), Some(9));
        // Two-byte remaining length.
        let long = [0x10, 0x80, 0x01, 0, 4, b'M', b'Q', b'T', b'T', 4];
        assert_eq!(sniff_connect_level(&long), Some(4));
        assert_eq!(sniff_connect_level(&[0x10, 16, 0]), None);
        assert_eq!(sniff_connect_level(&[0x30, 2, 0, 0]), None);
        assert_eq!(sniff_connect_level(&[0x10, 0xFF, 0xFF, 0xFF, 0xFF]), None);
        assert_eq!(sniff_connect_level(&[]), None);
    }

    #[test]
    fn v3_connack_codes() {
        let v3 = ProtocolVersion::V3_1_1;
        assert_eq!(
            connack_code(ReasonCode::QOS_NOT_SUPPORTED, v3),
            ReasonCode::V3_NOT_AUTHORIZED
        );
        assert_eq!(
            connack_code(ReasonCode::QUOTA_EXCEEDED, v3),
            ReasonCode::V3_SERVER_UNAVAILABLE
        );
        assert_eq!(
            connack_code(ReasonCode::CLIENT_IDENTIFIER_NOT_VALID, v3),
            ReasonCode::V3_IDENTIFIER_REJECTED
        );
        assert_eq!(
            connack_code(ReasonCode::QOS_NOT_SUPPORTED, ProtocolVersion::V5),
            ReasonCode::QOS_NOT_SUPPORTED
        );
    }
}
