use super::*;

#[test]
fn packet_type_zero_is_reserved() {
    let e = reject(V3, "00 00", "§2.2.1", 0x81);
    assert!(matches!(
        e,
        DecodeError::ReservedPacketType { packet_type: 0, .. }
    ));
    reject(V5, "00 00", "§2.1.2", 0x81);
    // Rejected on the first byte, before any length arrives.
    let mut buf = BytesMut::from(&[0x00u8][..]);
    assert!(decode(&mut buf, V5, &Limits::default()).is_err());
}

#[test]
fn auth_is_reserved_in_3_1_1() {
    let e = reject(V3, "f0 00", "§2.2.1", 0x81);
    assert!(matches!(
        e,
        DecodeError::ReservedPacketType {
            packet_type: 15,
            ..
        }
    ));
    assert_eq!(accept(V5, "f0 00"), Packet::Auth(Auth::default()));
}

/// MQTT-3.14.1-1 (3.1.1), MQTT-3.14.1-1 (5.0): DISCONNECT with reserved
/// flag bits set is malformed, as are other packets with wrong flags.
#[test]
fn wrong_flags() {
    let e = reject(V3, "c1 00", "MQTT-2.2.2-1", 0x81);
    assert!(matches!(
        e,
        DecodeError::InvalidFixedHeaderFlags {
            packet_type: PacketType::PingReq,
            flags: 1,
            ..
        }
    ));
    reject(V5, "c1 00", "MQTT-2.1.3-1", 0x81);
    reject(V5, "60 02 00 01", "MQTT-3.6.1-1", 0x81);
    reject(V3, "80 06 00 01 00 01 61 00", "MQTT-3.8.1-1", 0x81);
    reject(V3, "a0 05 00 01 00 01 61", "MQTT-3.10.1-1", 0x81);
    reject(V3, "e1 00", "MQTT-3.14.1-1", 0x81);
    reject(V5, "e8 00", "MQTT-3.14.1-1", 0x81);
    reject(V5, "f1 00", "MQTT-3.15.1-1", 0x81);
}

#[test]
fn connect_flags_are_reported_in_the_connects_own_version() {
    // A 3.1.1 CONNECT with flags 1, decoded by a server that passed V5.
    let e = reject(
        V5,
        "11 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63",
        "MQTT-2.2.2-1",
        0x81,
    );
    assert!(matches!(
        e,
        DecodeError::InvalidFixedHeaderFlags {
            packet_type: PacketType::Connect,
            ..
        }
    ));
    reject(
        V3,
        "11 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 63",
        "MQTT-2.1.3-1",
        0x81,
    );
}

#[test]
fn publish_qos_3() {
    let e = reject(V3, "36 05 00 01 61 00 01", "MQTT-3.3.1-4", 0x81);
    assert_eq!(e, DecodeError::PublishQos3);
}

#[test]
fn dup_with_qos_0() {
    let e = reject(V5, "38 04 00 01 61 00", "MQTT-3.3.1-2", 0x81);
    assert_eq!(e, DecodeError::DupWithQos0);
}

#[test]
fn remaining_length_of_five_bytes() {
    let e = reject(V5, "30 ff ff ff ff 01", "MQTT-1.5.5-1", 0x81);
    assert!(matches!(e, DecodeError::VarIntTooLong { .. }));
    reject(V3, "30 ff ff ff ff 01", "§2.2.3", 0x81);
    // Rejected as soon as the fourth byte shows a fifth must follow.
    let mut buf = BytesMut::from(&hex("30 80 80 80 80")[..]);
    assert!(matches!(
        decode(&mut buf, V5, &Limits::default()),
        Err(DecodeError::VarIntTooLong { .. })
    ));
}

#[test]
fn non_minimal_remaining_length() {
    let e = reject(V5, "c0 80 00", "MQTT-1.5.5-1", 0x81);
    assert!(matches!(e, DecodeError::NonMinimalVarInt { .. }));
    reject(V3, "30 85 00 00 01 61 00 00", "§2.2.3", 0x81);
    // Rejected without waiting for the body it announces.
    let mut buf = BytesMut::from(&hex("30 85 00")[..]);
    assert!(decode(&mut buf, V5, &Limits::default()).is_err());
}

#[test]
fn non_minimal_property_length() {
    let e = reject(V5, "30 05 00 01 61 80 00", "MQTT-1.5.5-1", 0x81);
    assert!(matches!(e, DecodeError::NonMinimalVarInt { .. }));
}

/// Catalogue B73: a packet larger than the receiver's Maximum Packet Size is
/// rejected with 0x95 as soon as its fixed header arrives.
#[test]
fn packet_too_large_is_rejected_from_the_fixed_header() {
    let limits = Limits::new(10);
    // 2-byte header + 9 = 11 > 10; only the header has arrived.
    let mut buf = BytesMut::from(&hex("30 09")[..]);
    let e = decode(&mut buf, V5, &limits).unwrap_err();
    assert_eq!(
        e,
        DecodeError::PacketTooLarge {
            size: 11,
            limit: 10,
            version: V5
        }
    );
    assert_eq!(e.rule(), "MQTT-3.2.2-15");
    assert_eq!(e.reason_code(), ReasonCode::PACKET_TOO_LARGE);
    assert!(!e.is_malformed());
    // Exactly at the limit is fine.
    let ok = decode_packet(&hex("30 08 00 01 61 00 61 62 63 64"), V5, &limits);
    assert!(ok.is_ok(), "{ok:?}");
    // A CONNECT reports in its own version once name and level are in.
    let mut buf = BytesMut::from(&hex("10 7f 00 04 4d 51 54 54 04")[..]);
    assert_eq!(decode(&mut buf, V5, &limits).unwrap_err().rule(), "§2.2.3");
}

#[test]
fn bytes_left_inside_the_packet() {
    let e = reject(V5, "c0 01 00", "§2.1.4", 0x81);
    assert!(matches!(
        e,
        DecodeError::TrailingBytes {
            packet_type: PacketType::PingReq,
            count: 1,
            ..
        }
    ));
    reject(V3, "d0 01 00", "§2.2.3", 0x81);
    // 3.1.1 DISCONNECT has no variable header.
    reject(V3, "e0 01 00", "§2.2.3", 0x81);
    reject(V3, "40 03 00 01 00", "§2.2.3", 0x81);
    reject(V3, "b0 03 00 01 00", "§2.2.3", 0x81);
    reject(V5, "20 04 00 00 00 00", "§2.1.4", 0x81);
}

#[test]
fn field_runs_past_the_packet() {
    let e = reject(V5, "30 03 00 05 61", "§2.1.4", 0x81);
    assert!(matches!(
        e,
        DecodeError::UnexpectedEnd {
            field: "topic name",
            ..
        }
    ));
    reject(V3, "32 04 00 01 61 00", "§2.2.3", 0x81);
    reject(V3, "40 01 00", "§2.2.3", 0x81);
}

#[test]
fn decode_packet_wants_exactly_one_packet() {
    let e = decode_packet(&hex("c0 00 c0"), V5, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        DecodeError::BytesAfterFrame {
            count: 1,
            version: V5
        }
    );
    let e = decode_packet(&hex("30 05 00"), V5, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        DecodeError::FrameIncomplete {
            expected: Some(7),
            actual: 3,
            version: V5
        }
    );
    let e = decode_packet(&hex("30"), V3, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        DecodeError::FrameIncomplete {
            expected: None,
            actual: 1,
            version: V3
        }
    );
    assert_eq!(e.rule(), "§2.2.3");
}
