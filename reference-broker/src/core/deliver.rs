//! Routing application messages (client PUBLISH and wills alike) to
//! sessions, and sending what a session is owed as its client's Receive
//! Maximum allows. SUBSCRIBE and UNSUBSCRIBE live here because they feed
//! the same queues.

use lastwill_codec::{
    topic::is_shared_filter, Packet, QoS, ReasonCode, RetainHandling, SubAck, Subscribe, UnsubAck,
    Unsubscribe,
};

use super::event::{BrokerEvent, DropReason};
use super::message::{Message, Origin, Outgoing};
use super::router::{resolve, Delivery, SubscriptionEntry};
use super::{Broker, ClientId};
use crate::faults::Fault;
use crate::time::{ConnectionId, Timestamp};

impl Broker {
    /// Publishes `message`: the retained store first, then one delivery per
    /// session with a matching subscription. Returns the number of sessions
    /// it was sent or queued to.
    pub(super) fn route(&mut self, message: Message, now: Timestamp) -> usize {
        if message.retain && self.config.retain_available {
            self.retained.apply(&message);
        }
        let faults = self.config.faults;
        let dollar_rule = !faults.contains(Fault::DollarTopicsMatchWildcards);
        let will = message.origin == Origin::Will;
        let targets: Vec<(ClientId, Delivery)> = self
            .sessions
            .subscribers()
            .filter_map(|s| {
                let own = message.publisher.as_deref() == Some(&*s.client_id)
                    && !(will && faults.contains(Fault::NoLocalIgnoredForWills));
                resolve(&s.subscriptions, &message.topic, own, dollar_rule)
                    .map(|d| (s.client_id.clone(), d))
            })
            .collect();
        targets
            .into_iter()
            .filter(|(client_id, delivery)| self.enqueue(client_id, &message, delivery, now))
            .count()
    }

    /// Adds `message` to a session's queue at the delivery's QoS and flushes.
    /// QoS 0 is not kept for an offline session.
    fn enqueue(
        &mut self,
        client_id: &str,
        message: &Message,
        delivery: &Delivery,
        now: Timestamp,
    ) -> bool {
        let faults = self.config.faults;
        let will = message.origin == Origin::Will;
        let qos = if will && faults.contains(Fault::WillAtWillQos) {
            message.qos
        } else if will && faults.contains(Fault::WillQosUpgraded) {
            delivery.max_qos
        } else {
            message.qos.min(delivery.max_qos)
        };
        let Some(session) = self.sessions.get_mut(client_id) else {
            return false;
        };
        let version = session
            .connection
            .and_then(|id| self.connections.get(&id))
            .map(|c| c.version);
        if version.is_none()
            && (qos == QoS::AtMostOnce || (will && faults.contains(Fault::DropQueuedWills)))
        {
            return false;
        }
        // Bounded so that an absent or non-reading client cannot make an
        // in-memory broker grow without end (`core::limits`).
        if session.flows.queue.len() >= self.config.max_queued_messages {
            self.out.event(BrokerEvent::MessageDropped {
                client_id: client_id.to_owned(),
                topic: message.topic.clone(),
                reason: DropReason::QueueFull,
            });
            self.queue_overflow(client_id, now);
            return false;
        }
        // 3.1.1 live delivery always has RETAIN 0 (MQTT-3.3.1-9); 5.0 keeps the
        // flag only under Retain As Published (MQTT-3.3.1-12 / -13). The
        // `live-delivery-retained` fault keeps it for wills regardless.
        let v5 = version.is_none_or(|v| v.is_v5());
        session.flows.queue.push_back(Outgoing {
            message: message.clone(),
            qos,
            retain: message.retain
                && ((v5 && delivery.retain_as_published)
                    || (will && faults.contains(Fault::LiveDeliveryRetained))),
            subscription_ids: if v5 {
                delivery.subscription_ids.clone()
            } else {
                Vec::new()
            },
        });
        self.flush_session(client_id, now);
        true
    }

    /// Sends queued messages while the client's Receive Maximum
    /// (MQTT-3.3.4-9) and its transport backlog (`max_outbound_bytes`)
    /// allow, dropping those that expired while they waited (MQTT-3.3.2-5)
    /// or that exceed the client's Maximum Packet Size (MQTT-3.1.2-25). Over
    /// the backlog budget QoS 0 is dropped (at most once is all it promised)
    /// and QoS 1 / 2 waits for `handle_bytes_written`.
    pub(super) fn flush_session(&mut self, client_id: &str, now: Timestamp) {
        let faults = self.config.faults;
        let Some(session) = self.sessions.get_mut(client_id) else {
            return;
        };
        let Some(conn) = session.connection else {
            return;
        };
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        let (version, receive_maximum) = (c.version, usize::from(c.receive_maximum));
        let max_packet_size = c
            .max_packet_size
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        let max_outbound = self.config.max_outbound_bytes;
        let mut shed = false;
        while let Some(front) = session.flows.queue.front() {
            let backlogged = self.out.unwritten(conn) >= max_outbound;
            let drop_reason = if front.message.is_expired(now) {
                Some(DropReason::Expired)
            } else if backlogged && front.qos == QoS::AtMostOnce {
                shed = true;
                Some(DropReason::ClientBacklog)
            } else if backlogged
                || (front.qos != QoS::AtMostOnce && session.flows.outbound.len() >= receive_maximum)
            {
                break;
            } else {
                None
            };
            let Some(item) = session.flows.queue.pop_front() else {
                break;
            };
            if let Some(reason) = drop_reason {
                self.out.event(BrokerEvent::MessageDropped {
                    client_id: client_id.to_owned(),
                    topic: item.message.topic.clone(),
                    reason,
                });
                continue;
            }
            let packet_id = match item.qos {
                QoS::AtMostOnce => None,
                _ => match session.flows.outbound.allocate() {
                    Some(id) => Some(id),
                    None => {
                        session.flows.queue.push_front(item);
                        break;
                    }
                },
            };
            let publish = item.to_publish(packet_id, now, faults);
            let packet = Packet::Publish(publish);
            let Some(bytes) = self.out.encode(conn, version, &packet) else {
                continue;
            };
            let exempt = item.message.origin == Origin::Will
                && faults.contains(Fault::IgnoreMaximumPacketSize);
            if !exempt && max_packet_size.is_some_and(|max| bytes.len() > max) {
                self.out.event(BrokerEvent::MessageDropped {
                    client_id: client_id.to_owned(),
                    topic: item.message.topic.clone(),
                    reason: DropReason::TooLargeForClient,
                });
                continue;
            }
            if let (Some(_), Packet::Publish(publish)) = (packet_id, packet) {
                session.flows.outbound.start(publish);
            }
            self.out.send_bytes(conn, bytes);
        }
        // Read before written: writing would allocate an idle session's flows.
        if session.flows.overflowed && session.flows.queue.len() < self.config.max_queued_messages {
            session.flows.overflowed = false;
        }
        if shed {
            self.note_shedding(conn);
        }
    }

    pub(super) fn flush_connection(&mut self, conn: ConnectionId, now: Timestamp) {
        if let Some(client_id) = self
            .connections
            .get(&conn)
            .and_then(|c| c.client_id.clone())
        {
            self.flush_session(&client_id, now);
        }
    }

    /// SUBSCRIBE: granted QoS is capped by the server's maximum; a repeated
    /// filter replaces its subscription (MQTT-3.8.4-3); retained messages
    /// follow the SUBACK as Retain Handling says (MQTT-3.3.1-9 … -11 in 5.0),
    /// with RETAIN 1.
    pub(super) fn on_subscribe(
        &mut self,
        conn: ConnectionId,
        subscribe: Subscribe,
        now: Timestamp,
    ) {
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        let version = c.version;
        let Some(client_id) = c.client_id.clone() else {
            return;
        };
        let identifier = subscribe
            .properties
            .subscription_identifiers
            .first()
            .copied();
        let mut codes = Vec::with_capacity(subscribe.subscriptions.len());
        let mut retained = Vec::new();
        self.sessions.mark_subscriber(&client_id);
        for sub in subscribe.subscriptions {
            if version.is_v5() && is_shared_filter(&sub.filter) {
                codes.push(ReasonCode::SHARED_SUBSCRIPTIONS_NOT_SUPPORTED);
                continue;
            }
            if !self.subscribe_authorized(conn, &sub.filter) {
                // core::authorize: 0x87 in 5.0, the 3.1.1 failure code 0x80.
                let refused = if version.is_v5() {
                    ReasonCode::NOT_AUTHORIZED
                } else {
                    ReasonCode::V3_SUBSCRIBE_FAILURE
                };
                codes.push(refused);
                continue;
            }
            let mut options = sub.options;
            options.qos = options.qos.min(self.config.max_qos);
            let Some(session) = self.session_of(conn) else {
                return;
            };
            let entry = SubscriptionEntry {
                options,
                identifier,
            };
            let existed = session
                .subscriptions
                .insert(sub.filter.clone(), entry)
                .is_some();
            codes.push(ReasonCode(options.qos.as_u8()));
            let send_retained = match options.retain_handling {
                RetainHandling::SendAtSubscribe => true,
                RetainHandling::SendAtSubscribeIfNew => !existed,
                RetainHandling::DoNotSend => false,
            };
            if send_retained {
                for message in self.retained.matching(&sub.filter, now) {
                    retained.push(Outgoing {
                        qos: message.qos.min(options.qos),
                        retain: true,
                        subscription_ids: identifier.into_iter().collect(),
                        message,
                    });
                }
            }
        }
        let suback = SubAck {
            packet_id: subscribe.packet_id,
            properties: Default::default(),
            reason_codes: codes,
        };
        self.reply(conn, &Packet::SubAck(suback));
        if let Some(session) = self.session_of(conn) {
            session.flows.queue.extend(retained);
        }
        self.flush_session(&client_id, now);
    }

    pub(super) fn on_unsubscribe(&mut self, conn: ConnectionId, unsubscribe: Unsubscribe) {
        let Some(session) = self.session_of(conn) else {
            return;
        };
        let reason_codes = unsubscribe
            .filters
            .iter()
            .map(|filter| match session.subscriptions.remove(filter) {
                Some(_) => ReasonCode::SUCCESS,
                None => ReasonCode::NO_SUBSCRIPTION_EXISTED,
            })
            .collect();
        let unsuback = UnsubAck {
            packet_id: unsubscribe.packet_id,
            properties: Default::default(),
            reason_codes,
        };
        self.reply(conn, &Packet::UnsubAck(unsuback));
    }
}
