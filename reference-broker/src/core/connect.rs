//! An accepted CONNECT: the checks that would refuse it, takeover, Clean
//! Start, the armed will and CONNACK. Refusals live in `connect_reject.rs`.

use lastwill_codec::{
    payload_matches_format, ConnAck, Connect, MqttString, Packet, Properties, PropertyValues, QoS,
    ReasonCode,
};

use super::close_cause::{CloseCause, WillDiscardReason};
use super::connection::Phase;
use super::event::{BrokerEvent, SessionEndReason};
use super::session::{Session, NEVER_EXPIRES};
use super::timer::SessionTimer;
use super::will::{StoredWill, WillState};
use super::{Broker, ClientId};
use crate::faults::Fault;
use crate::time::{ConnectionId, Timestamp};

/// Why a decoded CONNECT is refused: the 5.0 CONNACK code and the rule.
pub(super) struct Refusal {
    pub code: ReasonCode,
    pub rule: &'static str,
}

/// What the session part of a CONNECT comes to.
struct SessionTerms {
    /// As the client asked (5.0 property, absent = 0).
    requested: u32,
    /// After the server's cap; [`NEVER_EXPIRES`] for 3.1.1 Clean Session 0.
    effective: u32,
}

impl Broker {
    pub(super) fn on_connect(&mut self, conn: ConnectionId, connect: Connect, now: Timestamp) {
        let version = connect.version;
        if let Some(c) = self.connections.get_mut(&conn) {
            c.version = version;
        }
        let checked = self
            .check_connect(&connect)
            .and_then(|()| self.authorize_connect(&connect));
        if let Err(refusal) = checked {
            self.reject_connect(conn, connect, refusal, now);
            return;
        }
        let (client_id, assigned) = self.client_id_for(&connect);

        if let Some(old) = self.sessions.get(&client_id).and_then(|s| s.connection) {
            self.out.event(BrokerEvent::SessionTakenOver {
                client_id: client_id.to_string(),
                old,
                new: conn,
            });
            let cause = CloseCause::SessionTakenOver {
                new_clean_start: connect.clean_start,
            };
            self.close_connection(old, cause, now);
        }

        let terms = self.session_terms(&connect);
        let session_present =
            self.open_session(&client_id, conn, connect.clean_start, terms.effective, now);

        let faults = self.config.faults;
        let keep_alive = match (version.is_v5(), self.config.server_keep_alive) {
            (true, Some(server)) => server,
            _ => connect.keep_alive,
        };
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        c.phase = Phase::Connected;
        self.connected += 1;
        c.client_id = Some(client_id.clone());
        c.username = connect.username.clone();
        c.timers.stop(SessionTimer::ConnectTimeout);
        c.set_keep_alive(keep_alive, faults);
        c.touch(now);
        c.connect_session_expiry = terms.requested;
        c.receive_maximum = connect
            .properties
            .receive_maximum
            .unwrap_or(u16::MAX)
            .max(1);
        c.max_packet_size = connect.properties.maximum_packet_size;
        let has_will = connect.will.is_some();
        c.will = match connect.will {
            Some(will) => WillState::Armed(Box::new(StoredWill {
                client_id: client_id.clone(),
                username: connect.username.clone(),
                version,
                will,
            })),
            None => WillState::Absent,
        };

        let connack = ConnAck {
            session_present,
            reason_code: ReasonCode::SUCCESS,
            properties: self.connack_properties(&terms, assigned.then_some(&*client_id)),
        };
        self.out.send(conn, version, &Packet::ConnAck(connack));
        self.out.event(BrokerEvent::ConnectionAccepted {
            conn,
            client_id: client_id.to_string(),
            version,
            clean_start: connect.clean_start,
            session_present,
            keep_alive,
            has_will,
        });

        if session_present {
            if let Some(session) = self.sessions.get(&client_id) {
                for packet in session.flows.outbound.resend() {
                    self.out.send(conn, version, &packet);
                }
            }
        }
        self.flush_session(&client_id, now);
    }

    /// Checks a well-formed CONNECT against what this server supports.
    fn check_connect(&self, connect: &Connect) -> Result<(), Refusal> {
        let v5 = connect.version.is_v5();
        let refuse = |code, rule| Err(Refusal { code, rule });
        if self.shut_down {
            return refuse(ReasonCode::SERVER_UNAVAILABLE, "§3.2.2.2");
        }
        if connect.client_id.is_empty() && !connect.clean_start && !v5 {
            return refuse(ReasonCode::CLIENT_IDENTIFIER_NOT_VALID, "MQTT-3.1.3-8");
        }
        if v5 && connect.properties.authentication_method.is_some() {
            // No enhanced authentication method is implemented (§4.12).
            return refuse(ReasonCode::BAD_AUTHENTICATION_METHOD, "§4.12");
        }
        if let Some(will) = &connect.will {
            if will.qos > self.config.max_qos {
                return refuse(ReasonCode::QOS_NOT_SUPPORTED, "MQTT-3.2.2-12");
            }
            if will.retain && !self.config.retain_available {
                return refuse(ReasonCode::RETAIN_NOT_SUPPORTED, "MQTT-3.2.2-13");
            }
            let pfi = will.properties.payload_format_indicator;
            if v5 && !payload_matches_format(pfi, &will.payload) {
                return refuse(ReasonCode::PAYLOAD_FORMAT_INVALID, "§3.1.3.2.3");
            }
        }
        if let Some(max) = self.config.max_connections {
            // The client's own live connection, which a takeover replaces,
            // does not count.
            let own = self
                .sessions
                .get(&connect.client_id)
                .and_then(|s| s.connection)
                .and_then(|id| self.connections.get(&id))
                .is_some_and(|c| {
                    c.is_connected() && c.client_id.as_deref() == Some(connect.client_id.as_str())
                });
            let others = self.connected - usize::from(own);
            if others >= max {
                return refuse(ReasonCode::QUOTA_EXCEEDED, "§3.2.2.2");
            }
        }
        Ok(())
    }

    /// The Client Identifier to use, and whether the server assigned it.
    fn client_id_for(&mut self, connect: &Connect) -> (ClientId, bool) {
        if !connect.client_id.is_empty() {
            return (ClientId::from(connect.client_id.as_str()), false);
        }
        loop {
            let id = format!(
                "{}{}",
                self.config.assigned_client_id_prefix, self.next_assigned_id
            );
            self.next_assigned_id += 1;
            if !self.sessions.contains(&id) {
                // 3.1.1 cannot tell the client; 5.0 sends it in CONNACK.
                return (ClientId::from(id), connect.version.is_v5());
            }
        }
    }

    fn session_terms(&self, connect: &Connect) -> SessionTerms {
        if !connect.version.is_v5() {
            let interval = if connect.clean_start {
                0
            } else {
                NEVER_EXPIRES
            };
            return SessionTerms {
                requested: interval,
                effective: interval,
            };
        }
        let requested = connect.properties.session_expiry_interval.unwrap_or(0);
        let effective = self
            .config
            .max_session_expiry
            .map_or(requested, |max| requested.min(max));
        SessionTerms {
            requested,
            effective,
        }
    }

    /// Applies Clean Start and returns Session Present. Clean Start 1 ends an
    /// existing session, which publishes its pending will at once (MQTT-3.1.2-4,
    /// catalogue E3); Clean Start 0 resumes it, which cancels its pending will
    /// (MQTT-3.1.3-9).
    fn open_session(
        &mut self,
        client_id: &ClientId,
        conn: ConnectionId,
        clean_start: bool,
        expiry: u32,
        now: Timestamp,
    ) -> bool {
        if clean_start && self.sessions.contains(client_id) {
            self.end_session(client_id, SessionEndReason::CleanStart, now);
        }
        if let Some(session) = self.sessions.get_mut(client_id) {
            session.resume(conn, expiry);
            if !self.config.faults.contains(Fault::KeepWillOnReconnect) {
                for pending in self.wills.take_for(client_id) {
                    self.discard_will(&pending.will, WillDiscardReason::SessionResumed);
                }
            }
            return true;
        }
        self.sessions
            .insert(Session::new(client_id.clone(), conn, expiry));
        false
    }

    /// CONNACK properties (5.0 only; ignored by the 3.1.1 encoder): every
    /// limit that differs from the protocol default, so clients can adapt.
    fn connack_properties(&self, terms: &SessionTerms, assigned: Option<&str>) -> Properties {
        let config = &self.config;
        let mut p = Properties::from(PropertyValues {
            assigned_client_identifier: assigned.map(MqttString::from),
            server_keep_alive: config.server_keep_alive,
            maximum_packet_size: Some(config.max_packet_size),
            wildcard_subscription_available: Some(1),
            subscription_identifier_available: Some(1),
            shared_subscription_available: Some(0),
            ..PropertyValues::default()
        });
        if terms.effective != terms.requested {
            p.session_expiry_interval = Some(terms.effective);
        }
        if config.max_qos < QoS::ExactlyOnce {
            p.maximum_qos = Some(config.max_qos.as_u8());
        }
        if !config.retain_available {
            p.retain_available = Some(0);
        }
        if config.topic_alias_maximum > 0 {
            p.topic_alias_maximum = Some(config.topic_alias_maximum);
        }
        if config.receive_maximum < u16::MAX {
            // core::limits: QoS 2 beyond it gets DISCONNECT 0x93.
            p.receive_maximum = Some(config.receive_maximum.max(1));
        }
        p
    }
}
