//! [`DecodeError::rule`]: the normative statement each error rests on.
//!
//! Numbered statements are cited as `MQTT-x.y.z-n`. Where the spec states a
//! rule without a number, the section is cited as `§x.y.z` of the version the
//! error arose in (3.1.1 and 5.0 section numbers differ too).

use super::{DecodeError, PropertyContext};
use crate::types::{PacketType, PropertyId, ProtocolVersion};

/// Chooses between the 3.1.1 (also used for 3.1) and the 5.0 citation.
fn by_version(version: ProtocolVersion, v3: &'static str, v5: &'static str) -> &'static str {
    if version.is_v5() {
        v5
    } else {
        v3
    }
}

/// The Remaining Length section: where a packet's length is defined, so the
/// rule any length/content disagreement breaks.
fn remaining_length(version: ProtocolVersion) -> &'static str {
    by_version(version, "§2.2.3", "§2.1.4")
}

impl DecodeError {
    /// The spec rule the packet broke, e.g. `"MQTT-3.1.2-11"`, cited in the
    /// numbering of the protocol version the error arose in.
    pub fn rule(&self) -> &'static str {
        use DecodeError as E;
        match self {
            E::ReservedPacketType { version, .. } => by_version(*version, "§2.2.1", "§2.1.2"),
            E::InvalidFixedHeaderFlags {
                packet_type,
                version,
                ..
            } => flags_rule(*packet_type, *version),
            E::PublishQos3 => "MQTT-3.3.1-4",
            E::DupWithQos0 => "MQTT-3.3.1-2",
            E::VarIntTooLong { version } | E::NonMinimalVarInt { version } => {
                by_version(*version, "§2.2.3", "MQTT-1.5.5-1")
            }
            E::PacketTooLarge { version, .. } => by_version(*version, "§2.2.3", "MQTT-3.2.2-15"),
            E::TrailingBytes { version, .. }
            | E::UnexpectedEnd { version, .. }
            | E::FrameIncomplete { version, .. }
            | E::BytesAfterFrame { version, .. } => remaining_length(*version),
            E::InvalidUtf8 { version, .. } => by_version(*version, "MQTT-1.5.3-1", "MQTT-1.5.4-1"),
            E::NullCharacter { version, .. } => {
                by_version(*version, "MQTT-1.5.3-2", "MQTT-1.5.4-2")
            }
            E::InvalidProtocolName { .. } => "MQTT-3.1.2-1",
            E::UnsupportedProtocolVersion { .. } => "MQTT-3.1.2-2",
            E::ReservedConnectFlag => "MQTT-3.1.2-3",
            E::WillQosWithoutWillFlag => "MQTT-3.1.2-11",
            E::WillRetainWithoutWillFlag { version } => {
                by_version(*version, "MQTT-3.1.2-11", "MQTT-3.1.2-13")
            }
            E::WillQos3 { version } => by_version(*version, "MQTT-3.1.2-14", "MQTT-3.1.2-12"),
            E::WillFieldsMissing => "MQTT-3.1.2-9",
            E::PasswordWithoutUsername => "MQTT-3.1.2-22",
            E::ConnectPayloadTrailingBytes { .. } => "MQTT-3.1.3-1",
            E::WillTopicEmpty | E::ResponseTopicEmpty | E::TopicFilterEmpty { .. } => {
                "MQTT-4.7.3-1"
            }
            E::WillTopicWildcard { version } => {
                by_version(*version, "MQTT-4.7.1-1", "MQTT-4.7.0-1")
            }
            E::PublishTopicWildcard => "MQTT-3.3.2-2",
            E::PublishTopicEmpty { version } => by_version(*version, "MQTT-4.7.3-1", "§3.3.2.3.4"),
            E::ResponseTopicWildcard => "MQTT-3.3.2-14",
            E::MultiLevelWildcardNotLast { version, .. } => {
                by_version(*version, "MQTT-4.7.1-2", "MQTT-4.7.1-1")
            }
            E::SingleLevelWildcardNotAlone { version, .. } => {
                by_version(*version, "MQTT-4.7.1-3", "MQTT-4.7.1-2")
            }
            E::InvalidSharedSubscription { .. } => "MQTT-4.8.2-2",
            E::NoLocalOnSharedSubscription { .. } => "MQTT-3.8.3-4",
            E::ZeroPacketId { version, .. } => by_version(*version, "MQTT-2.3.1-1", "MQTT-2.2.1-3"),
            E::SubscribeWithoutFilters { version } => {
                by_version(*version, "MQTT-3.8.3-3", "MQTT-3.8.3-2")
            }
            E::UnsubscribeWithoutFilters => "MQTT-3.10.3-2",
            E::ReservedSubscriptionOptionBits { version, .. } => {
                by_version(*version, "MQTT-3.8.3-4", "MQTT-3.8.3-5")
            }
            E::SubscriptionQos3 { version } => by_version(*version, "MQTT-3.8.3-4", "§3.8.3.1"),
            E::RetainHandling3 => "§3.8.3.1",
            E::UnknownProperty { .. } | E::PropertyNotAllowed { .. } => "§2.2.2.2",
            E::DuplicateProperty(_) => "§2.2.2.2",
            E::PropertyLengthMismatch => "§2.2.2.1",
            E::InvalidPropertyValue { property, .. } => property_value_rule(*property),
            E::AuthenticationDataWithoutMethod => "§3.1.2.11.10",
            E::InvalidReasonCode {
                packet_type,
                version,
                ..
            } => reason_code_rule(*packet_type, *version),
            E::ConnAckReservedFlags { version, .. } => {
                by_version(*version, "§3.2.2.1", "MQTT-3.2.2-1")
            }
            E::SessionPresentWithError { version } => {
                by_version(*version, "MQTT-3.2.2-4", "MQTT-3.2.2-6")
            }
            E::MissingReasonCodes { packet_type } => match packet_type {
                PacketType::UnsubAck => "§3.11.3",
                _ => "§3.9.3",
            },
        }
    }

    /// Where the property list was, for errors that concern one.
    pub fn property_context(&self) -> Option<PropertyContext> {
        match self {
            Self::PropertyNotAllowed { context, .. } => Some(*context),
            _ => None,
        }
    }
}

/// The rule for a wrong flag nibble: the packet's own fixed-header rule
/// where it has one (same number in both versions), else the general one.
fn flags_rule(packet_type: PacketType, version: ProtocolVersion) -> &'static str {
    match packet_type {
        PacketType::PubRel => "MQTT-3.6.1-1",
        PacketType::Subscribe => "MQTT-3.8.1-1",
        PacketType::Unsubscribe => "MQTT-3.10.1-1",
        PacketType::Disconnect => "MQTT-3.14.1-1",
        PacketType::Auth => "MQTT-3.15.1-1",
        _ => by_version(version, "MQTT-2.2.2-1", "MQTT-2.1.3-1"),
    }
}

/// The 5.0 section that restricts a property's value.
fn property_value_rule(property: PropertyId) -> &'static str {
    match property {
        PropertyId::PAYLOAD_FORMAT_INDICATOR => "§3.3.2.3.2",
        PropertyId::SUBSCRIPTION_IDENTIFIER => "§3.8.2.1.2",
        PropertyId::REQUEST_PROBLEM_INFORMATION => "§3.1.2.11.7",
        PropertyId::REQUEST_RESPONSE_INFORMATION => "§3.1.2.11.6",
        PropertyId::RECEIVE_MAXIMUM => "§3.1.2.11.3",
        PropertyId::TOPIC_ALIAS => "MQTT-3.3.2-8",
        PropertyId::MAXIMUM_QOS => "§3.2.2.3.4",
        PropertyId::RETAIN_AVAILABLE => "§3.2.2.3.5",
        PropertyId::MAXIMUM_PACKET_SIZE => "§3.1.2.11.4",
        PropertyId::WILDCARD_SUBSCRIPTION_AVAILABLE => "§3.2.2.3.11",
        PropertyId::SUBSCRIPTION_IDENTIFIER_AVAILABLE => "§3.2.2.3.12",
        PropertyId::SHARED_SUBSCRIPTION_AVAILABLE => "§3.2.2.3.13",
        _ => "§2.2.2.2",
    }
}

/// The rule that lists the reason / return codes a packet type may carry.
fn reason_code_rule(packet_type: PacketType, version: ProtocolVersion) -> &'static str {
    if !version.is_v5() {
        return match packet_type {
            PacketType::SubAck => "MQTT-3.9.3-2",
            _ => "§3.2.2.3",
        };
    }
    match packet_type {
        PacketType::ConnAck => "MQTT-3.2.2-8",
        PacketType::PubAck => "MQTT-3.4.2-1",
        PacketType::PubRec => "MQTT-3.5.2-1",
        PacketType::PubRel => "MQTT-3.6.2-1",
        PacketType::PubComp => "MQTT-3.7.2-1",
        PacketType::SubAck => "MQTT-3.9.3-2",
        PacketType::UnsubAck => "MQTT-3.11.3-2",
        PacketType::Disconnect => "MQTT-3.14.2-1",
        PacketType::Auth => "MQTT-3.15.2-1",
        _ => "§2.4",
    }
}
