//! Application messages inside the broker: what a client PUBLISH or a will
//! becomes before routing, and what one subscriber is owed.

use super::ClientId;
use bytes::Bytes;
use lastwill_codec::{MqttString, Properties, PropertyValues, Publish, PublishProperties, QoS};

use super::will::StoredWill;
use crate::faults::{Fault, FaultSet};
use crate::time::Timestamp;

/// Where a message came from; the faults that bend only wills need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Client,
    Will,
}

/// An application message as routed: topic, payload, QoS, RETAIN, the
/// properties forwarded to subscribers, and its absolute expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    pub topic: MqttString,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// Forwarded unchanged (MQTT-3.3.2-4, -15, -16, -17, -18, -20). Message
    /// Expiry is kept apart, in `expiry_interval`, because it is rewritten on
    /// every delivery.
    pub properties: Properties,
    /// Message Expiry Interval as received, in seconds.
    pub expiry_interval: Option<u32>,
    /// When the message expires (received time + interval).
    pub expires_at: Option<Timestamp>,
    /// The publishing client, for No Local (MQTT-3.8.3-3).
    pub publisher: Option<ClientId>,
    pub origin: Origin,
}

impl Message {
    /// The message a client PUBLISH carries. Only the properties a server
    /// forwards are kept; Topic Alias and Subscription Identifiers are
    /// per-connection and per-subscription, so they are not.
    pub fn from_publish(
        publish: Publish,
        topic: MqttString,
        publisher: &ClientId,
        now: Timestamp,
    ) -> Self {
        let p = publish.properties.into_values();
        let properties = Properties::from(PropertyValues {
            payload_format_indicator: p.payload_format_indicator,
            content_type: p.content_type,
            response_topic: p.response_topic,
            correlation_data: p.correlation_data,
            user_properties: p.user_properties,
            ..PropertyValues::default()
        });
        Self {
            topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            properties,
            expiry_interval: p.message_expiry_interval,
            expires_at: p.message_expiry_interval.map(|s| now.plus_secs(s)),
            publisher: Some(publisher.clone()),
            origin: Origin::Client,
        }
    }

    /// The message a will becomes when published at `now`. Its Message Expiry
    /// starts now (the will's lifetime counts from publication, §3.1.3.2.4);
    /// the Will Delay Interval governs publication and is never forwarded.
    pub fn from_will(stored: &StoredWill, now: Timestamp, faults: FaultSet) -> Self {
        let will = &stored.will;
        let mut properties = will.properties.clone();
        let expiry_interval = properties.message_expiry_interval.take();
        if !faults.contains(Fault::ForwardWillDelayProperty) {
            properties.will_delay_interval = None;
        }
        let expiry_interval = if faults.contains(Fault::DropWillProperties) {
            properties = Properties::from(PropertyValues {
                will_delay_interval: properties.will_delay_interval,
                ..PropertyValues::default()
            });
            None
        } else {
            expiry_interval
        };
        if faults.contains(Fault::ReorderWillUserProperties) {
            properties.user_properties.reverse();
        }
        let topic = if faults.contains(Fault::StripBomFromWillTopic) {
            let levels = will.topic.split('/');
            let stripped: Vec<&str> = levels.map(|l| l.trim_start_matches('\u{FEFF}')).collect();
            stripped.join("/").into()
        } else {
            will.topic.clone()
        };
        let retain = will.retain || faults.contains(Fault::RetainEveryWill);
        Self {
            topic,
            payload: will.payload.clone(),
            qos: will.qos,
            retain: retain && !faults.contains(Fault::WillNotRetained),
            properties,
            expiry_interval,
            expires_at: expiry_interval.map(|s| now.plus_secs(s)),
            publisher: Some(stored.client_id.clone()),
            origin: Origin::Will,
        }
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The Message Expiry Interval to forward at `now`: what was received minus
    /// the time waited (MQTT-3.3.2-6), rounded up so that a message still
    /// alive never claims 0.
    pub fn remaining_expiry(&self, now: Timestamp, faults: FaultSet) -> Option<u32> {
        if faults.contains(Fault::NoMessageExpiryCountdown) {
            return self.expiry_interval;
        }
        let at = self.expires_at?;
        let left_ms = at.as_millis().saturating_sub(now.as_millis());
        Some(u32::try_from(left_ms.div_ceil(1000)).unwrap_or(u32::MAX))
    }
}

/// A message owed to one session: the shared message plus what its
/// subscriptions made of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub message: Message,
    /// min(message QoS, granted QoS) (MQTT-3.8.4-6 / 5.0 MQTT-3.8.4-8).
    pub qos: QoS,
    /// The RETAIN flag to send (Retain As Published, or 1 for retained
    /// messages sent because of a subscription).
    pub retain: bool,
    pub subscription_ids: Vec<u32>,
}

impl Outgoing {
    /// The PUBLISH that carries this message at `now`.
    pub fn to_publish(&self, packet_id: Option<u16>, now: Timestamp, faults: FaultSet) -> Publish {
        // Split first, then set: the Message Expiry Interval goes inline, and
        // `rest` is written (which allocates it) only when the identifiers
        // differ, so a delivery whose message has no other property
        // allocates nothing for its properties.
        let mut properties = PublishProperties::from(self.message.properties.clone());
        properties.message_expiry_interval = self.message.remaining_expiry(now, faults);
        if properties.rest.subscription_identifiers != self.subscription_ids {
            properties.rest.subscription_identifiers = self.subscription_ids.clone();
        }
        Publish {
            dup: false,
            qos: self.qos,
            retain: self.retain,
            topic: self.message.topic.clone(),
            packet_id,
            properties,
            payload: self.message.payload.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use lastwill_codec::{ProtocolVersion, UserProperty, Will};

    use super::*;

    fn stored() -> StoredWill {
        StoredWill {
            client_id: ClientId::from("dev"),
            username: None,
            version: ProtocolVersion::V5,
            will: Will {
                topic: "status".into(),
                payload: Bytes::from_static(b"offline"),
                qos: QoS::AtLeastOnce,
                retain: true,
                properties: Properties::from(PropertyValues {
                    will_delay_interval: Some(30),
                    message_expiry_interval: Some(10),
                    content_type: Some("text/plain".into()),
                    user_properties: vec![UserProperty::new("a", "1"), UserProperty::new("b", "2")],
                    ..PropertyValues::default()
                }),
            },
        }
    }

    #[test]
    fn will_message_strips_delay_and_starts_expiry_at_publication() {
        let m = Message::from_will(&stored(), Timestamp(5_000), FaultSet::EMPTY);
        assert_eq!(m.properties.will_delay_interval, None);
        assert_eq!(m.properties.message_expiry_interval, None);
        assert_eq!(m.expires_at, Some(Timestamp(15_000)));
        assert_eq!(
            m.remaining_expiry(Timestamp(5_000), FaultSet::EMPTY),
            Some(10)
        );
        assert_eq!(
            m.remaining_expiry(Timestamp(9_200), FaultSet::EMPTY),
            Some(6)
        );
        assert_eq!(
            m.remaining_expiry(Timestamp(14_999), FaultSet::EMPTY),
            Some(1)
        );
        assert!(!m.is_expired(Timestamp(14_999)));
        assert!(m.is_expired(Timestamp(15_000)));
        assert!(m.retain);
        assert_eq!(m.properties.user_properties[0].name, "a");
    }

    #[test]
    fn faults_bend_the_will_message() {
        let m = Message::from_will(
            &stored(),
            Timestamp(0),
            [
                Fault::ForwardWillDelayProperty,
                Fault::ReorderWillUserProperties,
                Fault::WillNotRetained,
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(m.properties.will_delay_interval, Some(30));
        assert_eq!(m.properties.user_properties[0].name, "b");
        assert!(!m.retain);
        let dropped = Message::from_will(&stored(), Timestamp(0), Fault::DropWillProperties.into());
        assert_eq!(dropped.properties, Properties::default());
        assert_eq!(dropped.expires_at, None);
        let frozen = Message::from_will(&stored(), Timestamp(0), FaultSet::EMPTY);
        assert_eq!(
            frozen.remaining_expiry(Timestamp(4_000), Fault::NoMessageExpiryCountdown.into()),
            Some(10)
        );
    }
}
