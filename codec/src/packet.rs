//! The fifteen MQTT control packets as plain data. Version-specific fields
//! (properties, reason codes) are ignored when encoding for 3.1.1 and left at
//! their defaults when decoding 3.1.1.

use bytes::Bytes;

use crate::properties::Properties;
use crate::publish_properties::PublishProperties;
use crate::string::MqttString;
use crate::types::{PacketType, ProtocolVersion, QoS, ReasonCode};

/// A packet identifier. Zero is invalid on the wire (MQTT-2.3.1-1 / MQTT-2.2.1-3);
/// the decoder rejects it but the encoder writes it, so scenarios can send it.
pub type PacketId = u16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(PublishResponse),
    PubRec(PublishResponse),
    PubRel(PublishResponse),
    PubComp(PublishResponse),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(UnsubAck),
    PingReq,
    PingResp,
    Disconnect(Disconnect),
    Auth(Auth),
}

impl Packet {
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Connect(_) => PacketType::Connect,
            Self::ConnAck(_) => PacketType::ConnAck,
            Self::Publish(_) => PacketType::Publish,
            Self::PubAck(_) => PacketType::PubAck,
            Self::PubRec(_) => PacketType::PubRec,
            Self::PubRel(_) => PacketType::PubRel,
            Self::PubComp(_) => PacketType::PubComp,
            Self::Subscribe(_) => PacketType::Subscribe,
            Self::SubAck(_) => PacketType::SubAck,
            Self::Unsubscribe(_) => PacketType::Unsubscribe,
            Self::UnsubAck(_) => PacketType::UnsubAck,
            Self::PingReq => PacketType::PingReq,
            Self::PingResp => PacketType::PingResp,
            Self::Disconnect(_) => PacketType::Disconnect,
            Self::Auth(_) => PacketType::Auth,
        }
    }
}

/// CONNECT (§3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    pub version: ProtocolVersion,
    /// Clean Session in 3.1.1, Clean Start in 5.0.
    pub clean_start: bool,
    /// Seconds; 0 turns keep-alive off (MQTT-3.1.2-22 / MQTT-3.1.2-24).
    pub keep_alive: u16,
    pub properties: Properties,
    pub client_id: MqttString,
    pub will: Option<Will>,
    pub username: Option<MqttString>,
    pub password: Option<Bytes>,
}

impl Connect {
    /// A CONNECT with no will, no credentials, Clean Start 1 and keep-alive 60.
    pub fn new(version: ProtocolVersion, client_id: impl Into<MqttString>) -> Self {
        Self {
            version,
            clean_start: true,
            keep_alive: 60,
            properties: Properties::default(),
            client_id: client_id.into(),
            will: None,
            username: None,
            password: None,
        }
    }
}

/// The Will Message of a CONNECT: its topic, payload, QoS, retain flag and,
/// in 5.0, its Will Properties (§3.1.3.2), which include the Will Delay
/// Interval that governs publication but is never forwarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Will {
    pub topic: MqttString,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub properties: Properties,
}

/// CONNACK (§3.2). In 3.1.1 `reason_code` holds the return code.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConnAck {
    pub session_present: bool,
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

/// PUBLISH (§3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    /// May be empty in 5.0 only when a Topic Alias is present (MQTT-3.3.2-8... §3.3.2.3.4).
    pub topic: MqttString,
    /// Present exactly when `qos` is 1 or 2 (MQTT-2.3.1-5 / MQTT-2.2.1-2).
    pub packet_id: Option<PacketId>,
    pub properties: PublishProperties,
    pub payload: Bytes,
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape (§3.4–§3.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishResponse {
    pub packet_id: PacketId,
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl PublishResponse {
    pub fn new(packet_id: PacketId) -> Self {
        Self {
            packet_id,
            reason_code: ReasonCode::SUCCESS,
            properties: Properties::default(),
        }
    }
}

/// Retain Handling option of a subscription (§3.8.3.1). Value 3 is a
/// Protocol Error; the decoder rejects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RetainHandling {
    #[default]
    SendAtSubscribe = 0,
    SendAtSubscribeIfNew = 1,
    DoNotSend = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SubscriptionOptions {
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    pub retain_handling: RetainHandling,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub filter: MqttString,
    pub options: SubscriptionOptions,
}

/// SUBSCRIBE (§3.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribe {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub subscriptions: Vec<Subscription>,
}

/// SUBACK (§3.9). In 3.1.1 each code is a granted QoS or 0x80.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubAck {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub reason_codes: Vec<ReasonCode>,
}

/// UNSUBSCRIBE (§3.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub filters: Vec<MqttString>,
}

/// UNSUBACK (§3.11). 3.1.1 carries no reason codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubAck {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub reason_codes: Vec<ReasonCode>,
}

/// DISCONNECT (§3.14). In 3.1.1 it carries nothing.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Disconnect {
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl Disconnect {
    pub fn new(reason_code: ReasonCode) -> Self {
        Self {
            reason_code,
            properties: Properties::default(),
        }
    }
}

/// AUTH (§3.15, 5.0 only).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Auth {
    pub reason_code: ReasonCode,
    pub properties: Properties,
}
