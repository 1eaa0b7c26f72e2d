//! Retained messages, one per topic. A retained will is stored here exactly
//! like a retained PUBLISH (MQTT-3.1.2-17 / 5.0 MQTT-3.1.2-15).

use std::collections::BTreeMap;

use lastwill_codec::MqttString;

use super::message::Message;
use super::router::topic_matches;
use crate::time::Timestamp;

#[derive(Debug, Default)]
pub(crate) struct RetainedStore {
    messages: BTreeMap<MqttString, Message>,
}

impl RetainedStore {
    /// Stores a message published with RETAIN 1, replacing the previous one
    /// (3.1.1 MQTT-3.3.1-5 / 5.0 MQTT-3.3.1-5). An empty payload removes the
    /// topic's retained message and is not stored itself (3.1.1
    /// MQTT-3.3.1-10/-11, 5.0 MQTT-3.3.1-6/-7).
    pub fn apply(&mut self, message: &Message) {
        if message.payload.is_empty() {
            self.messages.remove(&message.topic);
        } else {
            let mut stored = message.clone();
            stored.retain = true;
            self.messages.insert(message.topic.clone(), stored);
        }
    }

    /// Unexpired retained messages matching `filter`, in topic order. Expired
    /// ones are dropped on the way (MQTT-3.3.2-5).
    pub fn matching(&mut self, filter: &str, now: Timestamp) -> Vec<Message> {
        self.messages.retain(|_, m| !m.is_expired(now));
        self.messages
            .iter()
            .filter(|(topic, _)| topic_matches(filter, topic))
            .map(|(_, m)| m.clone())
            .collect()
    }

    #[cfg(test)]
    pub fn get(&self, topic: &str) -> Option<&Message> {
        self.messages.get(topic)
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use lastwill_codec::{Properties, QoS};

    use super::*;
    use crate::core::message::Origin;

    fn msg(topic: &str, payload: &'static [u8], expires_at: Option<Timestamp>) -> Message {
        Message {
            topic: topic.into(),
            payload: Bytes::from_static(payload),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::default(),
            expiry_interval: None,
            expires_at,
            publisher: None,
            origin: Origin::Will,
        }
    }

    #[test]
    fn empty_payload_clears_and_expired_messages_vanish() {
        let mut store = RetainedStore::default();
        store.apply(&msg("a/1", b"x", None));
        store.apply(&msg("a/2", b"y", Some(Timestamp(100))));
        assert_eq!(store.matching("a/+", Timestamp(0)).len(), 2);
        assert_eq!(store.matching("a/+", Timestamp(100)).len(), 1);
        store.apply(&msg("a/1", b"", None));
        assert_eq!(store.len(), 0);
        assert!(store.get("a/1").is_none());
    }
}
