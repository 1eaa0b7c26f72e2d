//! [`DecodeError::reason_code`]: what a 5.0 server puts in its CONNACK or
//! DISCONNECT for each error. One exhaustive match, no wildcard arm.
//!
//! Policy: the spec's own word wins where it gives one (Malformed Packet,
//! Protocol Error, Packet too large, Unsupported Protocol Version). Where it
//! gives none, errors in the *content* of a topic get the topic-specific code
//! (0x90 Topic Name invalid, 0x8F Topic Filter invalid); structural errors
//! are Malformed Packet; rule breaks in well-formed fields are Protocol Error.

use super::DecodeError;
use crate::types::{ProtocolVersion, ReasonCode};

impl DecodeError {
    /// The reason code a 5.0 server sends (CONNACK for an error in CONNECT,
    /// DISCONNECT otherwise). A 3.1.1 server maps it with
    /// [`ReasonCode::to_v3_connack`] or just closes the connection.
    pub fn reason_code(&self) -> ReasonCode {
        use DecodeError as E;
        match self {
            E::ReservedPacketType { .. }
            | E::InvalidFixedHeaderFlags { .. }
            | E::PublishQos3
            | E::DupWithQos0
            | E::VarIntTooLong { .. }
            | E::NonMinimalVarInt { .. }
            | E::TrailingBytes { .. }
            | E::UnexpectedEnd { .. }
            | E::FrameIncomplete { .. }
            | E::BytesAfterFrame { .. }
            | E::InvalidUtf8 { .. }
            | E::NullCharacter { .. }
            | E::ReservedConnectFlag
            | E::WillQos3 { .. }
            | E::WillFieldsMissing
            | E::PasswordWithoutUsername
            | E::ConnectPayloadTrailingBytes { .. }
            | E::ReservedSubscriptionOptionBits { .. }
            // 3.1.1 calls a requested QoS 3 malformed (MQTT-3.8.3-4); 5.0 a
            // Protocol Error (§3.8.3.1).
            | E::SubscriptionQos3 {
                version: ProtocolVersion::V3_1 | ProtocolVersion::V3_1_1,
            }
            | E::UnknownProperty { .. }
            | E::PropertyNotAllowed { .. }
            | E::PropertyLengthMismatch
            | E::InvalidReasonCode { .. }
            | E::ConnAckReservedFlags { .. }
            | E::MissingReasonCodes { .. } => ReasonCode::MALFORMED_PACKET,

            E::WillQosWithoutWillFlag
            | E::WillRetainWithoutWillFlag { .. }
            | E::PublishTopicEmpty { .. }
            | E::ResponseTopicWildcard
            | E::ResponseTopicEmpty
            | E::NoLocalOnSharedSubscription { .. }
            | E::ZeroPacketId { .. }
            | E::SubscribeWithoutFilters { .. }
            | E::UnsubscribeWithoutFilters
            | E::SubscriptionQos3 {
                version: ProtocolVersion::V5,
            }
            | E::RetainHandling3
            | E::DuplicateProperty(_)
            | E::InvalidPropertyValue { .. }
            | E::AuthenticationDataWithoutMethod
            | E::SessionPresentWithError { .. } => ReasonCode::PROTOCOL_ERROR,

            E::InvalidProtocolName { .. } | E::UnsupportedProtocolVersion { .. } => {
                ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
            }
            E::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,

            E::WillTopicEmpty | E::WillTopicWildcard { .. } | E::PublishTopicWildcard => {
                ReasonCode::TOPIC_NAME_INVALID
            }
            E::TopicFilterEmpty { .. }
            | E::MultiLevelWildcardNotLast { .. }
            | E::SingleLevelWildcardNotAlone { .. }
            | E::InvalidSharedSubscription { .. } => ReasonCode::TOPIC_FILTER_INVALID,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::reason_code_allowed;
    use crate::types::{PacketType, PropertyId};

    const V5: ProtocolVersion = ProtocolVersion::V5;

    /// Every code `reason_code` hands out must be one the server may put on
    /// the wire: CONNACK for errors a CONNECT can raise, DISCONNECT for the rest.
    #[test]
    fn every_reason_code_is_sendable() {
        use DecodeError as E;
        let connect_errors = [
            E::InvalidProtocolName { name: "x".into() },
            E::UnsupportedProtocolVersion { level: 9 },
            E::ReservedConnectFlag,
            E::WillQosWithoutWillFlag,
            E::WillRetainWithoutWillFlag { version: V5 },
            E::WillQos3 { version: V5 },
            E::WillFieldsMissing,
            E::ConnectPayloadTrailingBytes { count: 1 },
            E::WillTopicEmpty,
            E::WillTopicWildcard { version: V5 },
            E::ResponseTopicWildcard,
            E::ResponseTopicEmpty,
            E::AuthenticationDataWithoutMethod,
            E::PacketTooLarge {
                size: 9,
                limit: 8,
                version: V5,
            },
            E::DuplicateProperty(PropertyId::WILL_DELAY_INTERVAL),
            E::InvalidPropertyValue {
                property: PropertyId::RECEIVE_MAXIMUM,
                value: 0,
            },
            E::UnknownProperty { id: 0 },
            E::PropertyLengthMismatch,
            E::InvalidUtf8 {
                field: "f",
                version: V5,
            },
            E::NullCharacter {
                field: "f",
                version: V5,
            },
            E::UnexpectedEnd {
                packet_type: PacketType::Connect,
                field: "f",
                version: V5,
            },
            E::VarIntTooLong { version: V5 },
            E::NonMinimalVarInt { version: V5 },
        ];
        for error in &connect_errors {
            let code = error.reason_code().0;
            assert!(
                reason_code_allowed(PacketType::ConnAck, ReasonCode(code), V5),
                "{error:?}"
            );
        }
        let other_errors = [
            E::ReservedPacketType {
                packet_type: 0,
                version: V5,
            },
            E::InvalidFixedHeaderFlags {
                packet_type: PacketType::PingReq,
                flags: 1,
                version: V5,
            },
            E::PublishQos3,
            E::DupWithQos0,
            E::TrailingBytes {
                packet_type: PacketType::PingReq,
                count: 1,
                version: V5,
            },
            E::FrameIncomplete {
                expected: None,
                actual: 0,
                version: V5,
            },
            E::BytesAfterFrame {
                count: 1,
                version: V5,
            },
            E::PasswordWithoutUsername,
            E::PublishTopicWildcard,
            E::PublishTopicEmpty { version: V5 },
            E::TopicFilterEmpty {
                packet_type: PacketType::Subscribe,
            },
            E::MultiLevelWildcardNotLast {
                filter: "#/a".into(),
                version: V5,
            },
            E::SingleLevelWildcardNotAlone {
                filter: "a+".into(),
                version: V5,
            },
            E::InvalidSharedSubscription {
                filter: "$share/".into(),
            },
            E::NoLocalOnSharedSubscription {
                filter: "$share/g/a".into(),
            },
            E::ZeroPacketId {
                packet_type: PacketType::Subscribe,
                version: V5,
            },
            E::SubscribeWithoutFilters { version: V5 },
            E::UnsubscribeWithoutFilters,
            E::ReservedSubscriptionOptionBits {
                options: 0xC0,
                version: V5,
            },
            E::SubscriptionQos3 { version: V5 },
            E::RetainHandling3,
            E::PropertyNotAllowed {
                property: PropertyId::WILL_DELAY_INTERVAL,
                context: crate::PropertyContext::Packet(PacketType::Publish),
            },
            E::InvalidReasonCode {
                packet_type: PacketType::Disconnect,
                code: ReasonCode(0xFF),
                version: V5,
            },
            E::ConnAckReservedFlags {
                flags: 2,
                version: V5,
            },
            E::SessionPresentWithError { version: V5 },
            E::MissingReasonCodes {
                packet_type: PacketType::SubAck,
            },
        ];
        for error in connect_errors.iter().chain(&other_errors) {
            let code = error.reason_code();
            // 0x84 exists only in CONNACK, and only CONNECT raises it.
            if code != ReasonCode::UNSUPPORTED_PROTOCOL_VERSION {
                assert!(
                    reason_code_allowed(PacketType::Disconnect, code, V5),
                    "{error:?}"
                );
            }
            assert!(code.is_error(), "{error:?}");
            assert!(!error.rule().is_empty());
        }
    }

    #[test]
    fn requested_qos_3_is_malformed_only_in_3_1_1() {
        let v3 = DecodeError::SubscriptionQos3 {
            version: ProtocolVersion::V3_1_1,
        };
        assert!(v3.is_malformed());
        assert!(!DecodeError::SubscriptionQos3 { version: V5 }.is_malformed());
    }
}
