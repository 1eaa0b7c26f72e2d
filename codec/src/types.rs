//! Wire code points. Each is a newtype or a closed enum; newtypes can hold
//! values a conforming peer never sends, because scenarios send them on purpose.

use std::fmt;

/// The protocol level carried in CONNECT (MQTT-3.1.2-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// MQTT 3.1 (protocol name `MQIsdp`, level 3). Decoded where cheap.
    V3_1,
    /// MQTT 3.1.1 (protocol level 4).
    V3_1_1,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte of CONNECT.
    pub fn level(self) -> u8 {
        match self {
            Self::V3_1 => 3,
            Self::V3_1_1 => 4,
            Self::V5 => 5,
        }
    }

    /// The protocol name string of CONNECT.
    pub fn protocol_name(self) -> &'static str {
        match self {
            Self::V3_1 => "MQIsdp",
            Self::V3_1_1 | Self::V5 => "MQTT",
        }
    }

    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            3 => Some(Self::V3_1),
            4 => Some(Self::V3_1_1),
            5 => Some(Self::V5),
            _ => None,
        }
    }

    /// Whether packets carry reason codes and properties.
    pub fn is_v5(self) -> bool {
        matches!(self, Self::V5)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V3_1 => "3.1",
            Self::V3_1_1 => "3.1.1",
            Self::V5 => "5.0",
        })
    }
}

/// Quality of service. Value 3 is never valid on the wire (MQTT-3.3.1-4), so it
/// has no variant; scenarios that send it use the raw-bytes path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum QoS {
    #[default]
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::AtMostOnce),
            1 => Some(Self::AtLeastOnce),
            2 => Some(Self::ExactlyOnce),
            _ => None,
        }
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

/// The control packet type in the high nibble of the fixed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
}

impl PacketType {
    pub fn from_nibble(nibble: u8) -> Option<Self> {
        Some(match nibble {
            1 => Self::Connect,
            2 => Self::ConnAck,
            3 => Self::Publish,
            4 => Self::PubAck,
            5 => Self::PubRec,
            6 => Self::PubRel,
            7 => Self::PubComp,
            8 => Self::Subscribe,
            9 => Self::SubAck,
            10 => Self::Unsubscribe,
            11 => Self::UnsubAck,
            12 => Self::PingReq,
            13 => Self::PingResp,
            14 => Self::Disconnect,
            15 => Self::Auth,
            _ => return None,
        })
    }

    /// The fixed-header flag nibble every packet type except PUBLISH must carry
    /// (MQTT-2.2.2-1 in 3.1.1, MQTT-2.1.3-1 in 5.0).
    pub fn required_flags(self) -> Option<u8> {
        match self {
            Self::Publish => None,
            Self::PubRel | Self::Subscribe | Self::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::ConnAck => "CONNACK",
            Self::Publish => "PUBLISH",
            Self::PubAck => "PUBACK",
            Self::PubRec => "PUBREC",
            Self::PubRel => "PUBREL",
            Self::PubComp => "PUBCOMP",
            Self::Subscribe => "SUBSCRIBE",
            Self::SubAck => "SUBACK",
            Self::Unsubscribe => "UNSUBSCRIBE",
            Self::UnsubAck => "UNSUBACK",
            Self::PingReq => "PINGREQ",
            Self::PingResp => "PINGRESP",
            Self::Disconnect => "DISCONNECT",
            Self::Auth => "AUTH",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An MQTT 5.0 reason code (§2.4), or an MQTT 3.1.1 CONNACK return code /
/// SUBACK return code, which share the byte. Holds any byte so that a
/// scenario can send a reserved value and a report can show what a broker sent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    pub const SUCCESS: Self = Self(0x00);
    pub const NORMAL_DISCONNECTION: Self = Self(0x00);
    pub const GRANTED_QOS_0: Self = Self(0x00);
    pub const GRANTED_QOS_1: Self = Self(0x01);
    pub const GRANTED_QOS_2: Self = Self(0x02);
    pub const DISCONNECT_WITH_WILL_MESSAGE: Self = Self(0x04);
    pub const NO_MATCHING_SUBSCRIBERS: Self = Self(0x10);
    pub const NO_SUBSCRIPTION_EXISTED: Self = Self(0x11);
    pub const CONTINUE_AUTHENTICATION: Self = Self(0x18);
    pub const RE_AUTHENTICATE: Self = Self(0x19);
    pub const UNSPECIFIED_ERROR: Self = Self(0x80);
    pub const MALFORMED_PACKET: Self = Self(0x81);
    pub const PROTOCOL_ERROR: Self = Self(0x82);
    pub const IMPLEMENTATION_SPECIFIC_ERROR: Self = Self(0x83);
    pub const UNSUPPORTED_PROTOCOL_VERSION: Self = Self(0x84);
    pub const CLIENT_IDENTIFIER_NOT_VALID: Self = Self(0x85);
    pub const BAD_USER_NAME_OR_PASSWORD: Self = Self(0x86);
    pub const NOT_AUTHORIZED: Self = Self(0x87);
    pub const SERVER_UNAVAILABLE: Self = Self(0x88);
    pub const SERVER_BUSY: Self = Self(0x89);
    pub const BANNED: Self = Self(0x8A);
    pub const SERVER_SHUTTING_DOWN: Self = Self(0x8B);
    pub const BAD_AUTHENTICATION_METHOD: Self = Self(0x8C);
    pub const KEEP_ALIVE_TIMEOUT: Self = Self(0x8D);
    pub const SESSION_TAKEN_OVER: Self = Self(0x8E);
    pub const TOPIC_FILTER_INVALID: Self = Self(0x8F);
    pub const TOPIC_NAME_INVALID: Self = Self(0x90);
    pub const PACKET_IDENTIFIER_IN_USE: Self = Self(0x91);
    pub const PACKET_IDENTIFIER_NOT_FOUND: Self = Self(0x92);
    pub const RECEIVE_MAXIMUM_EXCEEDED: Self = Self(0x93);
    pub const TOPIC_ALIAS_INVALID: Self = Self(0x94);
    pub const PACKET_TOO_LARGE: Self = Self(0x95);
    pub const MESSAGE_RATE_TOO_HIGH: Self = Self(0x96);
    pub const QUOTA_EXCEEDED: Self = Self(0x97);
    pub const ADMINISTRATIVE_ACTION: Self = Self(0x98);
    pub const PAYLOAD_FORMAT_INVALID: Self = Self(0x99);
    pub const RETAIN_NOT_SUPPORTED: Self = Self(0x9A);
    pub const QOS_NOT_SUPPORTED: Self = Self(0x9B);
    pub const USE_ANOTHER_SERVER: Self = Self(0x9C);
    pub const SERVER_MOVED: Self = Self(0x9D);
    pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: Self = Self(0x9E);
    pub const CONNECTION_RATE_EXCEEDED: Self = Self(0x9F);
    pub const MAXIMUM_CONNECT_TIME: Self = Self(0xA0);
    pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: Self = Self(0xA1);
    pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: Self = Self(0xA2);

    /// MQTT 3.1.1 CONNACK return codes (§3.2.2.3).
    pub const V3_ACCEPTED: Self = Self(0x00);
    pub const V3_UNACCEPTABLE_PROTOCOL_VERSION: Self = Self(0x01);
    pub const V3_IDENTIFIER_REJECTED: Self = Self(0x02);
    pub const V3_SERVER_UNAVAILABLE: Self = Self(0x03);
    pub const V3_BAD_USER_NAME_OR_PASSWORD: Self = Self(0x04);
    pub const V3_NOT_AUTHORIZED: Self = Self(0x05);
    /// MQTT 3.1.1 SUBACK failure return code.
    pub const V3_SUBSCRIBE_FAILURE: Self = Self(0x80);

    pub fn is_error(self) -> bool {
        self.0 >= 0x80
    }

    /// The 3.1.1 CONNACK return code closest to a 5.0 CONNACK reason code.
    pub fn to_v3_connack(self) -> Self {
        match self {
            Self::SUCCESS => Self::V3_ACCEPTED,
            Self::UNSUPPORTED_PROTOCOL_VERSION => Self::V3_UNACCEPTABLE_PROTOCOL_VERSION,
            Self::CLIENT_IDENTIFIER_NOT_VALID => Self::V3_IDENTIFIER_REJECTED,
            Self::SERVER_UNAVAILABLE | Self::SERVER_BUSY | Self::SERVER_SHUTTING_DOWN => {
                Self::V3_SERVER_UNAVAILABLE
            }
            Self::BAD_USER_NAME_OR_PASSWORD => Self::V3_BAD_USER_NAME_OR_PASSWORD,
            _ => Self::V3_NOT_AUTHORIZED,
        }
    }

    /// The name the 5.0 spec gives this code in the context of a DISCONNECT
    /// or CONNACK, or `None` for a reserved value.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "Success",
            0x01 => "Granted QoS 1",
            0x02 => "Granted QoS 2",
            0x04 => "Disconnect with Will Message",
            0x10 => "No matching subscribers",
            0x11 => "No subscription existed",
            0x18 => "Continue authentication",
            0x19 => "Re-authenticate",
            0x80 => "Unspecified error",
            0x81 => "Malformed Packet",
            0x82 => "Protocol Error",
            0x83 => "Implementation specific error",
            0x84 => "Unsupported Protocol Version",
            0x85 => "Client Identifier not valid",
            0x86 => "Bad User Name or Password",
            0x87 => "Not authorized",
            0x88 => "Server unavailable",
            0x89 => "Server busy",
            0x8A => "Banned",
            0x8B => "Server shutting down",
            0x8C => "Bad authentication method",
            0x8D => "Keep Alive timeout",
            0x8E => "Session taken over",
            0x8F => "Topic Filter invalid",
            0x90 => "Topic Name invalid",
            0x91 => "Packet Identifier in use",
            0x92 => "Packet Identifier not found",
            0x93 => "Receive Maximum exceeded",
            0x94 => "Topic Alias invalid",
            0x95 => "Packet too large",
            0x96 => "Message rate too high",
            0x97 => "Quota exceeded",
            0x98 => "Administrative action",
            0x99 => "Payload format invalid",
            0x9A => "Retain not supported",
            0x9B => "QoS not supported",
            0x9C => "Use another server",
            0x9D => "Server moved",
            0x9E => "Shared Subscriptions not supported",
            0x9F => "Connection rate exceeded",
            0xA0 => "Maximum connect time",
            0xA1 => "Subscription Identifiers not supported",
            0xA2 => "Wildcard Subscriptions not supported",
            _ => return None,
        })
    }
}

impl fmt::Debug for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReasonCode(0x{:02X})", self.0)
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "0x{:02X} ({name})", self.0),
            None => write!(f, "0x{:02X} (reserved)", self.0),
        }
    }
}

/// A property identifier (§2.2.2.2). A newtype so that a scenario can send an
/// identifier the spec does not define.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropertyId(pub u8);

impl PropertyId {
    pub const PAYLOAD_FORMAT_INDICATOR: Self = Self(0x01);
    pub const MESSAGE_EXPIRY_INTERVAL: Self = Self(0x02);
    pub const CONTENT_TYPE: Self = Self(0x03);
    pub const RESPONSE_TOPIC: Self = Self(0x08);
    pub const CORRELATION_DATA: Self = Self(0x09);
    pub const SUBSCRIPTION_IDENTIFIER: Self = Self(0x0B);
    pub const SESSION_EXPIRY_INTERVAL: Self = Self(0x11);
    pub const ASSIGNED_CLIENT_IDENTIFIER: Self = Self(0x12);
    pub const SERVER_KEEP_ALIVE: Self = Self(0x13);
    pub const AUTHENTICATION_METHOD: Self = Self(0x15);
    pub const AUTHENTICATION_DATA: Self = Self(0x16);
    pub const REQUEST_PROBLEM_INFORMATION: Self = Self(0x17);
    pub const WILL_DELAY_INTERVAL: Self = Self(0x18);
    pub const REQUEST_RESPONSE_INFORMATION: Self = Self(0x19);
    pub const RESPONSE_INFORMATION: Self = Self(0x1A);
    pub const SERVER_REFERENCE: Self = Self(0x1C);
    pub const REASON_STRING: Self = Self(0x1F);
    pub const RECEIVE_MAXIMUM: Self = Self(0x21);
    pub const TOPIC_ALIAS_MAXIMUM: Self = Self(0x22);
    pub const TOPIC_ALIAS: Self = Self(0x23);
    pub const MAXIMUM_QOS: Self = Self(0x24);
    pub const RETAIN_AVAILABLE: Self = Self(0x25);
    pub const USER_PROPERTY: Self = Self(0x26);
    pub const MAXIMUM_PACKET_SIZE: Self = Self(0x27);
    pub const WILDCARD_SUBSCRIPTION_AVAILABLE: Self = Self(0x28);
    pub const SUBSCRIPTION_IDENTIFIER_AVAILABLE: Self = Self(0x29);
    pub const SHARED_SUBSCRIPTION_AVAILABLE: Self = Self(0x2A);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x01 => "Payload Format Indicator",
            0x02 => "Message Expiry Interval",
            0x03 => "Content Type",
            0x08 => "Response Topic",
            0x09 => "Correlation Data",
            0x0B => "Subscription Identifier",
            0x11 => "Session Expiry Interval",
            0x12 => "Assigned Client Identifier",
            0x13 => "Server Keep Alive",
            0x15 => "Authentication Method",
            0x16 => "Authentication Data",
            0x17 => "Request Problem Information",
            0x18 => "Will Delay Interval",
            0x19 => "Request Response Information",
            0x1A => "Response Information",
            0x1C => "Server Reference",
            0x1F => "Reason String",
            0x21 => "Receive Maximum",
            0x22 => "Topic Alias Maximum",
            0x23 => "Topic Alias",
            0x24 => "Maximum QoS",
            0x25 => "Retain Available",
            0x26 => "User Property",
            0x27 => "Maximum Packet Size",
            0x28 => "Wildcard Subscription Available",
            0x29 => "Subscription Identifier Available",
            0x2A => "Shared Subscription Available",
            _ => return None,
        })
    }
}

impl fmt::Debug for PropertyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "0x{:02X} {name}", self.0),
            None => write!(f, "0x{:02X} (undefined)", self.0),
        }
    }
}

impl fmt::Display for PropertyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
