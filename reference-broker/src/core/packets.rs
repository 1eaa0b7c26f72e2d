//! Packets after CONNACK: PUBLISH and its acknowledgements, SUBSCRIBE,
//! UNSUBSCRIBE, PINGREQ, DISCONNECT, and the protocol violations among them.

use lastwill_codec::{
    DecodeError, Disconnect, MqttString, Packet, PacketType, Publish, PublishResponse, QoS,
    ReasonCode,
};

use super::close_cause::CloseCause;
use super::message::Message;
use super::qos::PubRecOutcome;
use super::Broker;
use crate::time::{ConnectionId, Timestamp};

/// DISCONNECT reason codes §3.14.2.1 defines (either sender). Any other value
/// is a Malformed Packet (MQTT-3.14.2-1).
fn is_disconnect_reason(code: ReasonCode) -> bool {
    matches!(
        code.0,
        0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8B | 0x8D..=0x90 | 0x93..=0xA2
    )
}

impl Broker {
    pub(super) fn on_packet(&mut self, conn: ConnectionId, packet: Packet, now: Timestamp) {
        match packet {
            Packet::Connect(_) => self.violation(
                conn,
                "MQTT-3.1.0-2",
                ReasonCode::PROTOCOL_ERROR,
                "second CONNECT",
                now,
            ),
            Packet::Publish(publish) => self.on_publish(conn, publish, now),
            Packet::PubAck(ack) => {
                if let Some(session) = self.session_of(conn) {
                    session.flows.outbound.on_puback(ack.packet_id);
                }
                self.flush_connection(conn, now);
            }
            Packet::PubRec(rec) => self.on_pubrec(conn, &rec, now),
            Packet::PubRel(rel) => {
                let known = self
                    .session_of(conn)
                    .is_some_and(|s| s.flows.inbound.on_pubrel(rel.packet_id));
                let mut comp = PublishResponse::new(rel.packet_id);
                if !known {
                    comp.reason_code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
                }
                self.reply(conn, &Packet::PubComp(comp));
            }
            Packet::PubComp(comp) => {
                if let Some(session) = self.session_of(conn) {
                    session.flows.outbound.on_pubcomp(comp.packet_id);
                }
                self.flush_connection(conn, now);
            }
            Packet::Subscribe(subscribe) => self.on_subscribe(conn, subscribe, now),
            Packet::Unsubscribe(unsubscribe) => self.on_unsubscribe(conn, unsubscribe),
            Packet::PingReq => self.reply(conn, &Packet::PingResp),
            Packet::Disconnect(disconnect) => self.on_disconnect(conn, &disconnect, now),
            Packet::Auth(_) => self.violation(
                conn,
                "§4.12",
                ReasonCode::PROTOCOL_ERROR,
                "AUTH without an Authentication Method in CONNECT",
                now,
            ),
            other @ (Packet::ConnAck(_)
            | Packet::SubAck(_)
            | Packet::UnsubAck(_)
            | Packet::PingResp) => {
                let detail = format!("{} is sent by servers only", other.packet_type());
                self.violation(conn, "§2.1.2", ReasonCode::PROTOCOL_ERROR, &detail, now);
            }
        }
    }

    /// A packet after CONNACK failed to decode. A bad DISCONNECT is not a
    /// normal disconnection (catalogue E6), anything else is a protocol
    /// violation; both publish the will.
    pub(super) fn on_decode_error(
        &mut self,
        conn: ConnectionId,
        first_byte: u8,
        error: &DecodeError,
        now: Timestamp,
    ) {
        let (rule, reason) = (error.rule(), error.reason_code());
        self.report_violation(conn, rule, reason, &error.to_string());
        let cause = if PacketType::from_nibble(first_byte >> 4) == Some(PacketType::Disconnect) {
            CloseCause::InvalidDisconnect { rule, reason }
        } else {
            CloseCause::ProtocolViolation { rule, reason }
        };
        self.close_connection(conn, cause, now);
    }

    fn on_publish(&mut self, conn: ConnectionId, publish: Publish, now: Timestamp) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        let (version, client_id) = (c.version, c.client_id.clone().unwrap_or_default());
        if version.is_v5() {
            if publish.qos > self.config.max_qos {
                let rc = ReasonCode::QOS_NOT_SUPPORTED;
                return self.violation(conn, "MQTT-3.2.2-11", rc, "PUBLISH above Maximum QoS", now);
            }
            if publish.retain && !self.config.retain_available {
                let rc = ReasonCode::RETAIN_NOT_SUPPORTED;
                return self.violation(
                    conn,
                    "MQTT-3.2.2-14",
                    rc,
                    "RETAIN with Retain Available 0",
                    now,
                );
            }
            if !publish.properties.rest.subscription_identifiers.is_empty() {
                let rc = ReasonCode::PROTOCOL_ERROR;
                let detail = "Subscription Identifier in a client PUBLISH";
                return self.violation(conn, "MQTT-3.3.4-6", rc, detail, now);
            }
        }
        let topic = match publish.properties.topic_alias {
            None => publish.topic.clone(),
            Some(alias) if alias == 0 || alias > self.config.topic_alias_maximum => {
                let rc = ReasonCode::TOPIC_ALIAS_INVALID;
                let detail = format!(
                    "Topic Alias {alias} above the maximum {}",
                    self.config.topic_alias_maximum
                );
                return self.violation(conn, "MQTT-3.3.2-9", rc, &detail, now);
            }
            Some(alias) if publish.topic.is_empty() => match c.topic_aliases.get(&alias) {
                Some(topic) => topic.clone(),
                None => {
                    let rc = ReasonCode::PROTOCOL_ERROR;
                    let detail = format!("unknown Topic Alias {alias} with an empty Topic Name");
                    return self.violation(conn, "§3.3.2.3.4", rc, &detail, now);
                }
            },
            Some(alias) => {
                c.topic_aliases.insert(alias, publish.topic.clone());
                publish.topic.clone()
            }
        };
        if publish.topic.is_empty() && publish.properties.topic_alias.is_none() {
            let rc = ReasonCode::PROTOCOL_ERROR;
            return self.violation(conn, "MQTT-4.7.3-1", rc, "empty Topic Name", now);
        }

        let packet_id = publish.packet_id;
        let qos = publish.qos;
        if !self.publish_authorized(conn, &topic) {
            return self.deny_publish(conn, &client_id, topic, qos, packet_id);
        }
        if let (QoS::ExactlyOnce, Some(id)) = (qos, packet_id) {
            if self.check_receive_maximum(conn, id, now) {
                return;
            }
            let fresh = self
                .session_of(conn)
                .is_some_and(|s| s.flows.inbound.on_publish(id));
            if !fresh {
                // Already received and not released: acknowledge, deliver once.
                self.reply(conn, &Packet::PubRec(PublishResponse::new(id)));
                return;
            }
        }
        let mut message = Message::from_publish(publish, topic, &client_id, now);
        message.retain &= self.config.retain_available;
        self.route(message, now);
        match (qos, packet_id) {
            (QoS::AtLeastOnce, Some(id)) => {
                self.reply(conn, &Packet::PubAck(PublishResponse::new(id)))
            }
            (QoS::ExactlyOnce, Some(id)) => {
                self.reply(conn, &Packet::PubRec(PublishResponse::new(id)))
            }
            _ => {}
        }
    }

    /// A PUBLISH the ACL denies: not routed, logged, and acknowledged as
    /// `core::authorize` describes (5.0 QoS 1 / 2 with 0x87, otherwise
    /// normally, MQTT-3.3.5-2).
    fn deny_publish(
        &mut self,
        conn: ConnectionId,
        client_id: &str,
        topic: MqttString,
        qos: QoS,
        packet_id: Option<u16>,
    ) {
        self.out.event(super::event::BrokerEvent::MessageDropped {
            client_id: client_id.to_owned(),
            topic,
            reason: super::event::DropReason::NotAuthorized,
        });
        let Some(id) = packet_id else {
            return;
        };
        let mut response = PublishResponse::new(id);
        if self
            .connections
            .get(&conn)
            .is_some_and(|c| c.version.is_v5())
        {
            response.reason_code = ReasonCode::NOT_AUTHORIZED;
        }
        match qos {
            QoS::AtLeastOnce => self.reply(conn, &Packet::PubAck(response)),
            QoS::ExactlyOnce => self.reply(conn, &Packet::PubRec(response)),
            QoS::AtMostOnce => {}
        }
    }

    fn on_pubrec(&mut self, conn: ConnectionId, rec: &PublishResponse, now: Timestamp) {
        let outcome = match self.session_of(conn) {
            Some(session) => session
                .flows
                .outbound
                .on_pubrec(rec.packet_id, rec.reason_code),
            None => return,
        };
        let mut rel = PublishResponse::new(rec.packet_id);
        match outcome {
            PubRecOutcome::Release => self.reply(conn, &Packet::PubRel(rel)),
            PubRecOutcome::Ended => self.flush_connection(conn, now),
            PubRecOutcome::Unknown => {
                rel.reason_code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
                self.reply(conn, &Packet::PubRel(rel));
            }
        }
    }

    /// 5.0 DISCONNECT: a reserved reason code (MQTT-3.14.2-1) or a Session
    /// Expiry Interval raised from 0 (§3.14.2.2.2) makes it invalid, which
    /// keeps the will (E6). A valid one may change the Session Expiry
    /// Interval, moving when the session, and a pending will, ends.
    fn on_disconnect(&mut self, conn: ConnectionId, disconnect: &Disconnect, now: Timestamp) {
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        if !c.version.is_v5() {
            let cause = CloseCause::ClientDisconnect(ReasonCode::NORMAL_DISCONNECTION);
            return self.close_connection(conn, cause, now);
        }
        let rc = disconnect.reason_code;
        if !is_disconnect_reason(rc) {
            let (rule, reason) = ("MQTT-3.14.2-1", ReasonCode::MALFORMED_PACKET);
            self.report_violation(conn, rule, reason, &format!("DISCONNECT reason code {rc}"));
            return self.close_connection(
                conn,
                CloseCause::InvalidDisconnect { rule, reason },
                now,
            );
        }
        if let Some(requested) = disconnect.properties.session_expiry_interval {
            if c.connect_session_expiry == 0 && requested != 0 {
                let (rule, reason) = ("§3.14.2.2.2", ReasonCode::PROTOCOL_ERROR);
                let detail = "DISCONNECT sets a Session Expiry Interval after CONNECT had 0";
                self.report_violation(conn, rule, reason, detail);
                return self.close_connection(
                    conn,
                    CloseCause::InvalidDisconnect { rule, reason },
                    now,
                );
            }
            let effective = self
                .config
                .max_session_expiry
                .map_or(requested, |max| requested.min(max));
            if let Some(session) = self.session_of(conn) {
                session.expiry_interval = effective;
            }
        }
        self.close_connection(conn, CloseCause::ClientDisconnect(rc), now);
    }

    /// Reports a violation and closes the connection for it.
    pub(super) fn violation(
        &mut self,
        conn: ConnectionId,
        rule: &'static str,
        reason: ReasonCode,
        detail: &str,
        now: Timestamp,
    ) {
        self.report_violation(conn, rule, reason, detail);
        self.close_connection(conn, CloseCause::ProtocolViolation { rule, reason }, now);
    }

    fn report_violation(
        &mut self,
        conn: ConnectionId,
        rule: &'static str,
        reason: ReasonCode,
        detail: &str,
    ) {
        let client_id = self
            .connections
            .get(&conn)
            .and_then(|c| c.client_id.as_deref().map(str::to_owned));
        self.out
            .event(super::event::BrokerEvent::ProtocolViolation {
                conn,
                client_id,
                rule,
                reason,
                detail: detail.to_owned(),
            });
    }

    /// Sends `packet` on `conn` in its negotiated version.
    pub(super) fn reply(&mut self, conn: ConnectionId, packet: &Packet) {
        if let Some(c) = self.connections.get(&conn) {
            self.out.send(conn, c.version, packet);
        }
    }

    /// The session attached to a connected `conn`.
    pub(super) fn session_of(
        &mut self,
        conn: ConnectionId,
    ) -> Option<&mut super::session::Session> {
        let client_id = self.connections.get(&conn)?.client_id.as_deref()?;
        self.sessions
            .get_mut(client_id)
            .filter(|s| s.connection == Some(conn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnect_reason_codes() {
        for code in [
            0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x8E, 0x90, 0x93, 0x98, 0xA2,
        ] {
            assert!(is_disconnect_reason(ReasonCode(code)), "{code:#04x}");
        }
        for code in [
            0x01, 0x02, 0x10, 0x84, 0x85, 0x8A, 0x8C, 0x91, 0x92, 0xA3, 0xFF,
        ] {
            assert!(!is_disconnect_reason(ReasonCode(code)), "{code:#04x}");
        }
    }
}
