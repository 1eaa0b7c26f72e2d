//! Decode and encode errors.
//!
//! A [`DecodeError`] names the violation, not the place it was found, and
//! carries enough context to cite the rule in the numbering of the protocol
//! version it arose in (3.1.1 and 5.0 number the same concept differently,
//! see catalogue table 1.D). [`DecodeError::rule`] and
//! [`DecodeError::reason_code`] live in `rule.rs` and `reason.rs`, each one
//! exhaustive `match`, so adding a variant forces both decisions.

mod reason;
mod rule;

use crate::types::{PacketType, PropertyId, ProtocolVersion, ReasonCode};

/// Where a property list sits: a packet's own properties, or the Will
/// Properties inside a CONNECT payload, which allow a different set (§2.2.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropertyContext {
    Packet(PacketType),
    Will,
}

impl std::fmt::Display for PropertyContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Packet(packet_type) => write!(f, "{packet_type}"),
            Self::Will => f.write_str("Will Properties"),
        }
    }
}

/// Why bytes from a peer are not a valid MQTT packet.
///
/// `version` fields record the protocol version the error arose in, so that
/// [`rule`](Self::rule) can cite the right numbering. For a CONNECT that is
/// the packet's own protocol level once it has been read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    // ----- fixed header and framing -----
    /// Packet type 0, or 15 (AUTH) outside 5.0: a type the spec reserves
    /// (§2.2.1 in 3.1.1, §2.1.2 in 5.0).
    #[error("reserved packet type {packet_type} in MQTT {version}")]
    ReservedPacketType {
        packet_type: u8,
        version: ProtocolVersion,
    },
    /// A fixed-header flag nibble other than the one the packet type requires
    /// (MQTT-2.2.2-1 / MQTT-2.1.3-1; MQTT-3.6.1-1, -3.8.1-1, -3.10.1-1,
    /// -3.14.1-1, -3.15.1-1 for the types that have their own rule).
    #[error("{packet_type} with fixed-header flags {flags:#06b}")]
    InvalidFixedHeaderFlags {
        packet_type: PacketType,
        flags: u8,
        version: ProtocolVersion,
    },
    /// PUBLISH with both QoS bits set (MQTT-3.3.1-4).
    #[error("PUBLISH with QoS 3")]
    PublishQos3,
    /// PUBLISH with DUP=1 and QoS 0 (MQTT-3.3.1-2).
    #[error("PUBLISH with DUP set at QoS 0")]
    DupWithQos0,
    /// A Variable Byte Integer whose fourth byte still has the continuation
    /// bit (§2.2.3 in 3.1.1, MQTT-1.5.5-1 in 5.0).
    #[error("variable byte integer longer than four bytes")]
    VarIntTooLong { version: ProtocolVersion },
    /// A Variable Byte Integer not in its shortest form, i.e. ending in a 0x00
    /// byte (MQTT-1.5.5-1 in 5.0; 3.1.1 §2.2.3 has no number).
    #[error("variable byte integer not minimally encoded")]
    NonMinimalVarInt { version: ProtocolVersion },
    /// The whole packet would exceed [`Limits::max_packet_size`](crate::Limits)
    /// (MQTT-3.2.2-15 in 5.0; 0x95 Packet too large).
    #[error("packet of {size} bytes exceeds the limit of {limit}")]
    PacketTooLarge {
        size: u64,
        limit: u32,
        version: ProtocolVersion,
    },
    /// Bytes left inside the Remaining Length after the packet's last field
    /// (§2.2.3 / §2.1.4: the length and the content disagree).
    #[error("{count} unexpected bytes at the end of {packet_type}")]
    TrailingBytes {
        packet_type: PacketType,
        count: usize,
        version: ProtocolVersion,
    },
    /// A field runs past the end of the Remaining Length (§2.2.3 / §2.1.4).
    #[error("{packet_type} ends inside its {field}")]
    UnexpectedEnd {
        packet_type: PacketType,
        field: &'static str,
        version: ProtocolVersion,
    },
    /// [`decode_packet`](crate::decode_packet) was given less than one whole packet.
    #[error("frame holds {actual} bytes, packet needs {expected:?}")]
    FrameIncomplete {
        expected: Option<usize>,
        actual: usize,
        version: ProtocolVersion,
    },
    /// [`decode_packet`](crate::decode_packet) was given bytes after the packet.
    #[error("{count} bytes after the end of the packet")]
    BytesAfterFrame {
        count: usize,
        version: ProtocolVersion,
    },

    // ----- strings -----
    /// Ill-formed UTF-8, including encoded surrogates and overlong forms
    /// (MQTT-1.5.3-1 / MQTT-1.5.4-1).
    #[error("ill-formed UTF-8 in {field}")]
    InvalidUtf8 {
        field: &'static str,
        version: ProtocolVersion,
    },
    /// A string containing U+0000 (MQTT-1.5.3-2 / MQTT-1.5.4-2).
    #[error("U+0000 in {field}")]
    NullCharacter {
        field: &'static str,
        version: ProtocolVersion,
    },

    // ----- CONNECT -----
    /// A protocol name other than `MQTT` (or `MQIsdp` for 3.1) (MQTT-3.1.2-1).
    /// 5.0 lets the server answer 0x84.
    #[error("protocol name {name:?}")]
    InvalidProtocolName { name: String },
    /// A protocol level this codec does not speak, or one that does not fit
    /// the name (MQTT-3.1.2-2; 3.1.1 CONNACK 0x01, 5.0 CONNACK 0x84).
    #[error("unsupported protocol level {level}")]
    UnsupportedProtocolVersion { level: u8 },
    /// Bit 0 of the Connect Flags set (MQTT-3.1.2-3).
    #[error("reserved connect flag set")]
    ReservedConnectFlag,
    /// Will Flag 0 with Will QoS bits non-zero (MQTT-3.1.2-11 in both
    /// versions; 3.1.1 repeats it as MQTT-3.1.2-13).
    #[error("Will QoS set without the Will Flag")]
    WillQosWithoutWillFlag,
    /// Will Flag 0 with Will Retain set (3.1.1 MQTT-3.1.2-11, repeated as
    /// -15; 5.0 MQTT-3.1.2-13).
    #[error("Will Retain set without the Will Flag")]
    WillRetainWithoutWillFlag { version: ProtocolVersion },
    /// Will QoS 3 (3.1.1 MQTT-3.1.2-14; 5.0 MQTT-3.1.2-12, a Malformed Packet).
    #[error("Will QoS 3")]
    WillQos3 { version: ProtocolVersion },
    /// Will Flag 1 but the payload ends before the will fields are complete
    /// (MQTT-3.1.2-9).
    #[error("Will Flag set but the will fields are missing or cut short")]
    WillFieldsMissing,
    /// 3.1.1: Password Flag 1 with User Name Flag 0 (MQTT-3.1.2-22). Legal
    /// in 5.0.
    #[error("password without user name")]
    PasswordWithoutUsername,
    /// Bytes after the last payload field the Connect Flags announce, such as
    /// will fields with Will Flag 0 (MQTT-3.1.3-1: the flags fix the fields).
    #[error("{count} bytes in the CONNECT payload beyond the fields its flags announce")]
    ConnectPayloadTrailingBytes { count: usize },
    /// A zero-length Will Topic (MQTT-4.7.3-1).
    #[error("empty Will Topic")]
    WillTopicEmpty,
    /// A Will Topic containing `+` or `#` (MQTT-4.7.1-1 / MQTT-4.7.0-1).
    #[error("wildcard in Will Topic")]
    WillTopicWildcard { version: ProtocolVersion },

    // ----- topics -----
    /// A PUBLISH Topic Name containing `+` or `#` (MQTT-3.3.2-2).
    #[error("wildcard in PUBLISH Topic Name")]
    PublishTopicWildcard,
    /// A zero-length PUBLISH Topic Name: always in 3.1.1 (MQTT-4.7.3-1), in
    /// 5.0 only without a Topic Alias (§3.3.2.3.4 calls it a Protocol Error).
    #[error("empty PUBLISH Topic Name")]
    PublishTopicEmpty { version: ProtocolVersion },
    /// A Response Topic (a Topic Name) containing `+` or `#` (MQTT-3.3.2-14).
    #[error("wildcard in Response Topic")]
    ResponseTopicWildcard,
    /// A zero-length Response Topic (MQTT-4.7.3-1: it is a Topic Name).
    #[error("empty Response Topic")]
    ResponseTopicEmpty,
    /// A zero-length Topic Filter (MQTT-4.7.3-1).
    #[error("empty Topic Filter in {packet_type}")]
    TopicFilterEmpty { packet_type: PacketType },
    /// `#` not alone in the last level of a filter (3.1.1 MQTT-4.7.1-2,
    /// 5.0 MQTT-4.7.1-1).
    #[error("multi-level wildcard not alone in the last level of {filter:?}")]
    MultiLevelWildcardNotLast {
        filter: String,
        version: ProtocolVersion,
    },
    /// `+` sharing a level with other characters (3.1.1 MQTT-4.7.1-3, 5.0
    /// MQTT-4.7.1-2).
    #[error("single-level wildcard not alone in its level of {filter:?}")]
    SingleLevelWildcardNotAlone {
        filter: String,
        version: ProtocolVersion,
    },
    /// 5.0: `$share/` filter without a valid ShareName and Topic Filter
    /// (MQTT-4.8.2-1, MQTT-4.8.2-2).
    #[error("invalid shared subscription {filter:?}")]
    InvalidSharedSubscription { filter: String },
    /// 5.0: No Local set on a shared subscription (MQTT-3.8.3-4).
    #[error("No Local on shared subscription {filter:?}")]
    NoLocalOnSharedSubscription { filter: String },

    // ----- packet identifiers -----
    /// Packet Identifier 0 on PUBLISH (QoS > 0), SUBSCRIBE or UNSUBSCRIBE
    /// (3.1.1 MQTT-2.3.1-1, 5.0 MQTT-2.2.1-3). Acknowledgements are not
    /// checked: an unknown identifier is the receiver's business.
    #[error("packet identifier 0 in {packet_type}")]
    ZeroPacketId {
        packet_type: PacketType,
        version: ProtocolVersion,
    },

    // ----- SUBSCRIBE / UNSUBSCRIBE -----
    /// SUBSCRIBE without any Topic Filter (3.1.1 MQTT-3.8.3-3, 5.0 MQTT-3.8.3-2).
    #[error("SUBSCRIBE without topic filters")]
    SubscribeWithoutFilters { version: ProtocolVersion },
    /// UNSUBSCRIBE without any Topic Filter (MQTT-3.10.3-2).
    #[error("UNSUBSCRIBE without topic filters")]
    UnsubscribeWithoutFilters,
    /// Reserved bits of a Subscription Options byte set; 3.1.1 reserves bits
    /// 7-2 (MQTT-3.8.3-4), 5.0 bits 7-6 (MQTT-3.8.3-5).
    #[error("reserved subscription option bits set: {options:#010b}")]
    ReservedSubscriptionOptionBits {
        options: u8,
        version: ProtocolVersion,
    },
    /// Requested QoS 3 in a subscription (3.1.1 MQTT-3.8.3-4, malformed; 5.0
    /// §3.8.3.1, a Protocol Error).
    #[error("subscription requests QoS 3")]
    SubscriptionQos3 { version: ProtocolVersion },
    /// 5.0: Retain Handling 3 (§3.8.3.1, a Protocol Error).
    #[error("Retain Handling 3")]
    RetainHandling3,

    // ----- properties (5.0) -----
    /// A property identifier §2.2.2.2 does not define (Malformed Packet).
    #[error("unknown property identifier {id:#04x}")]
    UnknownProperty { id: u32 },
    /// A defined property on a packet that may not carry it (§2.2.2.2:
    /// Malformed Packet), e.g. Will Delay Interval outside Will Properties.
    #[error("property {property} not allowed in {context}")]
    PropertyNotAllowed {
        property: PropertyId,
        context: PropertyContext,
    },
    /// A property that may appear once, included twice (a Protocol Error in
    /// each property's section; cited as §2.2.2.2).
    #[error("property {0} included more than once")]
    DuplicateProperty(PropertyId),
    /// The Property Length disagrees with the properties it covers or runs
    /// past the packet.
    #[error("property length does not match the properties")]
    PropertyLengthMismatch,
    /// A property value the spec rules out as a Protocol Error: Receive
    /// Maximum 0, Maximum Packet Size 0, Topic Alias 0 (MQTT-3.3.2-8),
    /// Subscription Identifier 0, Maximum QoS or a 0/1 property above 1, and
    /// a Payload Format Indicator other than 0/1 (our reading: no code is named).
    #[error("property {property} has invalid value {value}")]
    InvalidPropertyValue { property: PropertyId, value: u32 },
    /// Authentication Data without Authentication Method (§3.1.2.11.10).
    #[error("Authentication Data without Authentication Method")]
    AuthenticationDataWithoutMethod,

    // ----- acknowledgements and reason codes -----
    /// A reason / return code not defined for this packet type (5.0
    /// MQTT-3.2.2-8, -3.4.2-1, -3.5.2-1, -3.6.2-1, -3.7.2-1, -3.9.3-2,
    /// -3.11.3-2, -3.14.2-1, -3.15.2-1; 3.1.1 MQTT-3.9.3-2, §3.2.2.3).
    #[error("{packet_type} with reason code {code}")]
    InvalidReasonCode {
        packet_type: PacketType,
        code: ReasonCode,
        version: ProtocolVersion,
    },
    /// CONNACK acknowledge flags bits 7-1 set (5.0 MQTT-3.2.2-1; 3.1.1 §3.2.2.1).
    #[error("reserved CONNACK flags set: {flags:#010b}")]
    ConnAckReservedFlags { flags: u8, version: ProtocolVersion },
    /// CONNACK with Session Present 1 and a non-zero code (3.1.1
    /// MQTT-3.2.2-4, 5.0 MQTT-3.2.2-6).
    #[error("CONNACK with Session Present and an error code")]
    SessionPresentWithError { version: ProtocolVersion },
    /// SUBACK (or 5.0 UNSUBACK) with no reason codes at all: one is owed per
    /// filter (§3.9.3, §3.11.3).
    #[error("{packet_type} without reason codes")]
    MissingReasonCodes { packet_type: PacketType },
}

impl DecodeError {
    /// Whether a 5.0 server answers this with 0x81 Malformed Packet (as
    /// opposed to 0x82 Protocol Error or a more specific code).
    pub fn is_malformed(&self) -> bool {
        self.reason_code() == ReasonCode::MALFORMED_PACKET
    }
}

/// Why a packet value cannot be written. The encoder is permissive: it only
/// fails when the wire format has no way to carry a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A UTF-8 string longer than 65,535 bytes.
    #[error("{field} is {len} bytes, more than 65535")]
    StringTooLong { field: &'static str, len: usize },
    /// Binary data longer than 65,535 bytes.
    #[error("{field} is {len} bytes, more than 65535")]
    BinaryTooLong { field: &'static str, len: usize },
    /// A value for a Variable Byte Integer above 268,435,455.
    #[error("{field} value {value} does not fit a variable byte integer")]
    VarIntTooLarge { field: &'static str, value: u64 },
    /// A body longer than the largest Remaining Length (268,435,455).
    #[error("remaining length {remaining_length} exceeds 268435455")]
    PacketTooLarge { remaining_length: usize },
    /// A PUBLISH with QoS 1 or 2 and no packet identifier to write.
    #[error("PUBLISH with QoS > 0 has no packet identifier")]
    MissingPacketId,
}
