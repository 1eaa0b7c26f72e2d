use super::*;

#[test]
fn connack_reserved_flags() {
    let e = reject(V5, "20 03 02 00 00", "MQTT-3.2.2-1", 0x81);
    assert_eq!(
        e,
        DecodeError::ConnAckReservedFlags {
            flags: 2,
            version: V5
        }
    );
    reject(V3, "20 02 80 00", "§3.2.2.1", 0x81);
}

/// MQTT-3.2.2-8 (5.0): a CONNACK carries only Table 3-1 reason codes (3.1.1:
/// return codes 0-5).
#[test]
fn connack_codes() {
    let e = reject(V3, "20 02 00 06", "§3.2.2.3", 0x81);
    assert!(matches!(
        e,
        DecodeError::InvalidReasonCode {
            packet_type: PacketType::ConnAck,
            ..
        }
    ));
    reject(V5, "20 03 00 01 00", "MQTT-3.2.2-8", 0x81);
    reject(V5, "20 03 00 8b 00", "MQTT-3.2.2-8", 0x81);
    assert!(matches!(accept(V3, "20 02 00 05"), Packet::ConnAck(_)));
    assert!(matches!(accept(V5, "20 03 00 99 00"), Packet::ConnAck(_)));
}

/// MQTT-3.2.2-4 (3.1.1), MQTT-3.2.2-6 (5.0): a refusing CONNACK has Session
/// Present 0.
#[test]
fn session_present_with_a_refusal() {
    let e = reject(V3, "20 02 01 05", "MQTT-3.2.2-4", 0x82);
    assert!(matches!(e, DecodeError::SessionPresentWithError { .. }));
    reject(V5, "20 03 01 87 00", "MQTT-3.2.2-6", 0x82);
}

#[test]
fn publish_response_codes() {
    let e = reject(V5, "40 03 00 01 05", "MQTT-3.4.2-1", 0x81);
    assert_eq!(
        e,
        DecodeError::InvalidReasonCode {
            packet_type: PacketType::PubAck,
            code: ReasonCode(5),
            version: V5
        }
    );
    reject(V5, "50 03 00 01 92", "MQTT-3.5.2-1", 0x81);
    reject(V5, "62 03 00 01 10", "MQTT-3.6.2-1", 0x81);
    reject(V5, "70 03 00 01 80", "MQTT-3.7.2-1", 0x81);
    // The short forms.
    assert_eq!(
        accept(V5, "40 02 00 01"),
        Packet::PubAck(PublishResponse::new(1))
    );
    let Packet::PubRec(r) = accept(V5, "50 03 00 01 10") else {
        panic!()
    };
    assert_eq!(r.reason_code, ReasonCode::NO_MATCHING_SUBSCRIBERS);
}

#[test]
fn suback_codes() {
    let e = reject(V3, "90 03 00 01 03", "MQTT-3.9.3-2", 0x81);
    assert!(matches!(
        e,
        DecodeError::InvalidReasonCode {
            packet_type: PacketType::SubAck,
            ..
        }
    ));
    reject(V3, "90 03 00 01 87", "MQTT-3.9.3-2", 0x81);
    reject(V5, "90 04 00 01 00 03", "MQTT-3.9.3-2", 0x81);
    let e = reject(V3, "90 02 00 01", "§3.9.3", 0x81);
    assert_eq!(
        e,
        DecodeError::MissingReasonCodes {
            packet_type: PacketType::SubAck
        }
    );
}

#[test]
fn unsuback_codes() {
    reject(V5, "b0 04 00 01 00 01", "MQTT-3.11.3-2", 0x81);
    let e = reject(V5, "b0 03 00 01 00", "§3.11.3", 0x81);
    assert_eq!(
        e,
        DecodeError::MissingReasonCodes {
            packet_type: PacketType::UnsubAck
        }
    );
}

/// MQTT-3.14.2-1 (5.0): DISCONNECT 0x04 decodes; a reserved or CONNACK-only
/// reason code is malformed, not a normal disconnection.
#[test]
fn disconnect_reason_codes() {
    assert_eq!(
        accept(V5, "e0 00"),
        Packet::Disconnect(Disconnect::default())
    );
    assert_eq!(
        accept(V5, "e0 01 04"),
        Packet::Disconnect(Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE))
    );
    // A reserved code (mosquitto #3743) is malformed, not a normal disconnection.
    let e = reject(V5, "e0 01 ff", "MQTT-3.14.2-1", 0x81);
    assert_eq!(
        e,
        DecodeError::InvalidReasonCode {
            packet_type: PacketType::Disconnect,
            code: ReasonCode(0xff),
            version: V5
        }
    );
    // 0x8C is a CONNACK code, not a DISCONNECT one.
    reject(V5, "e0 01 8c", "MQTT-3.14.2-1", 0x81);
}

#[test]
fn disconnect_properties() {
    let Packet::Disconnect(d) = accept(V5, "e0 0e 00 0c 11 00 00 00 05 1c 00 01 73 1f 00 00")
    else {
        panic!()
    };
    assert_eq!(d.properties.session_expiry_interval, Some(5));
    assert_eq!(d.properties.server_reference.as_deref(), Some("s"));
    assert_eq!(d.properties.reason_string.as_deref(), Some(""));
}

#[test]
fn auth_reason_codes() {
    let e = reject(V5, "f0 01 05", "MQTT-3.15.2-1", 0x81);
    assert!(matches!(
        e,
        DecodeError::InvalidReasonCode {
            packet_type: PacketType::Auth,
            ..
        }
    ));
}
