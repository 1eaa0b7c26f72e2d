//! QoS 1 and 2 flows (§4.3). Both directions belong to the session, so they
//! survive a reconnect with Clean Start 0 and unacknowledged PUBLISH and
//! PUBREL packets are sent again then (MQTT-4.4.0-1).

use std::collections::BTreeSet;

use lastwill_codec::{Packet, PacketId, Publish, PublishResponse, QoS, ReasonCode};

/// Where one server-to-client QoS 1/2 message is.
///
/// ```text
///  QoS 1:  PUBLISH ──► Published ──PUBACK──► done
///  QoS 2:  PUBLISH ──► Published ──PUBREC──► (send PUBREL) Released ──PUBCOMP──► done
///                                └─PUBREC ≥ 0x80──► done (§4.3.3 error path)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutboundState {
    /// PUBLISH sent; PUBACK (QoS 1) or PUBREC (QoS 2) due.
    Published,
    /// PUBREL sent; PUBCOMP due.
    Released,
}

#[derive(Clone, Debug)]
pub(crate) struct OutboundEntry {
    pub publish: Publish,
    pub state: OutboundState,
}

/// What a PUBREC did to the outbound flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PubRecOutcome {
    /// Send PUBREL; the message now awaits PUBCOMP.
    Release,
    /// The receiver refused it (reason ≥ 0x80); the flow is over.
    Ended,
    /// No such QoS 2 message awaits PUBREC: answer PUBREL 0x92.
    Unknown,
}

/// Server-to-client messages in flight, in the order they were sent.
#[derive(Debug, Default)]
pub(crate) struct OutboundFlows {
    inflight: Vec<OutboundEntry>,
    last_id: PacketId,
}

impl OutboundFlows {
    pub const fn new() -> Self {
        Self {
            inflight: Vec::new(),
            last_id: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.inflight.len()
    }

    /// A packet identifier not in use, or `None` if all 65,535 are.
    pub fn allocate(&mut self) -> Option<PacketId> {
        for _ in 0..u16::MAX {
            self.last_id = self.last_id.checked_add(1).unwrap_or(1);
            let id = self.last_id;
            if !self
                .inflight
                .iter()
                .any(|e| e.publish.packet_id == Some(id))
            {
                return Some(id);
            }
        }
        None
    }

    /// Records a QoS 1/2 PUBLISH that has been sent.
    pub fn start(&mut self, publish: Publish) {
        self.inflight.push(OutboundEntry {
            publish,
            state: OutboundState::Published,
        });
    }

    fn position(&self, id: PacketId, qos: QoS, state: OutboundState) -> Option<usize> {
        self.inflight.iter().position(|e| {
            e.publish.packet_id == Some(id) && e.publish.qos == qos && e.state == state
        })
    }

    /// PUBACK: true if it completed a QoS 1 flow.
    pub fn on_puback(&mut self, id: PacketId) -> bool {
        match self.position(id, QoS::AtLeastOnce, OutboundState::Published) {
            Some(i) => {
                self.inflight.remove(i);
                true
            }
            None => false,
        }
    }

    pub fn on_pubrec(&mut self, id: PacketId, reason: ReasonCode) -> PubRecOutcome {
        let Some(i) = self.position(id, QoS::ExactlyOnce, OutboundState::Published) else {
            return if self
                .position(id, QoS::ExactlyOnce, OutboundState::Released)
                .is_some()
            {
                PubRecOutcome::Release
            } else {
                PubRecOutcome::Unknown
            };
        };
        if reason.is_error() {
            self.inflight.remove(i);
            PubRecOutcome::Ended
        } else {
            self.inflight[i].state = OutboundState::Released;
            PubRecOutcome::Release
        }
    }

    /// PUBCOMP: true if it completed a QoS 2 flow.
    pub fn on_pubcomp(&mut self, id: PacketId) -> bool {
        match self.position(id, QoS::ExactlyOnce, OutboundState::Released) {
            Some(i) => {
                self.inflight.remove(i);
                true
            }
            None => false,
        }
    }

    /// What to send again when the session is resumed: PUBLISH with DUP 1 for
    /// messages not yet acknowledged, PUBREL for those awaiting PUBCOMP.
    pub fn resend(&self) -> Vec<Packet> {
        self.inflight
            .iter()
            .map(|e| match (e.state, e.publish.packet_id) {
                (OutboundState::Released, Some(id)) => Packet::PubRel(PublishResponse::new(id)),
                _ => {
                    let mut publish = e.publish.clone();
                    publish.dup = true;
                    Packet::Publish(publish)
                }
            })
            .collect()
    }
}

/// Client-to-server QoS 2 messages received and not yet released.
#[derive(Debug, Default)]
pub(crate) struct InboundFlows {
    awaiting_pubrel: BTreeSet<PacketId>,
}

impl InboundFlows {
    pub const fn new() -> Self {
        Self {
            awaiting_pubrel: BTreeSet::new(),
        }
    }

    /// A QoS 2 PUBLISH arrived: true if it is new and must be delivered
    /// onwards, false if it repeats one not yet released (deliver once).
    pub fn on_publish(&mut self, id: PacketId) -> bool {
        self.awaiting_pubrel.insert(id)
    }

    /// PUBREL: true if the identifier was awaiting release.
    pub fn on_pubrel(&mut self, id: PacketId) -> bool {
        self.awaiting_pubrel.remove(&id)
    }

    /// Whether a QoS 2 PUBLISH with `id` would take one more slot than
    /// `receive_maximum` allows (a repeat of an unreleased one takes none).
    pub fn would_exceed(&self, id: PacketId, receive_maximum: u16) -> bool {
        !self.awaiting_pubrel.contains(&id)
            && self.awaiting_pubrel.len() >= usize::from(receive_maximum)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn publish(qos: QoS, id: PacketId) -> Publish {
        Publish {
            dup: false,
            qos,
            retain: false,
            topic: "t".into(),
            packet_id: Some(id),
            properties: Default::default(),
            payload: Bytes::new(),
        }
    }

    #[test]
    fn qos2_outbound_state_machine() {
        let mut out = OutboundFlows::default();
        let id = out.allocate().expect("free id");
        out.start(publish(QoS::ExactlyOnce, id));
        assert!(!out.on_puback(id));
        assert!(!out.on_pubcomp(id));
        assert_eq!(
            out.on_pubrec(id, ReasonCode::SUCCESS),
            PubRecOutcome::Release
        );
        // A repeated PUBREC is answered with PUBREL again.
        assert_eq!(
            out.on_pubrec(id, ReasonCode::SUCCESS),
            PubRecOutcome::Release
        );
        assert!(matches!(out.resend()[0], Packet::PubRel(_)));
        assert!(out.on_pubcomp(id));
        assert_eq!(out.len(), 0);
        assert_eq!(
            out.on_pubrec(id, ReasonCode::SUCCESS),
            PubRecOutcome::Unknown
        );
    }

    #[test]
    fn qos1_and_error_pubrec() {
        let mut out = OutboundFlows::default();
        out.start(publish(QoS::AtLeastOnce, 1));
        out.start(publish(QoS::ExactlyOnce, 2));
        match &out.resend()[0] {
            Packet::Publish(p) => assert!(p.dup),
            other => panic!("unexpected {other:?}"),
        }
        assert!(out.on_puback(1));
        assert_eq!(out.on_pubrec(2, ReasonCode(0x80)), PubRecOutcome::Ended);
        assert_eq!(out.len(), 0);
    }

    #[test]
    fn allocation_skips_ids_in_use_and_wraps() {
        let mut out = OutboundFlows {
            last_id: u16::MAX - 1,
            ..OutboundFlows::default()
        };
        out.start(publish(QoS::AtLeastOnce, 1));
        assert_eq!(out.allocate(), Some(u16::MAX));
        assert_eq!(out.allocate(), Some(2));
    }

    #[test]
    fn inbound_qos2_delivers_once() {
        let mut inbound = InboundFlows::default();
        assert!(inbound.on_publish(7));
        assert!(!inbound.on_publish(7));
        assert!(inbound.on_pubrel(7));
        assert!(!inbound.on_pubrel(7));
        assert!(inbound.on_publish(7));
    }
}
