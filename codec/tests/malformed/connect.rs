use super::*;

// Minimal valid CONNECTs, client id "c", Clean Start 1, keep alive 60:
//   3.1.1: 10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63
//   5.0:   10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 63

#[test]
fn minimal_connects_decode() {
    let Packet::Connect(c) = accept(V3, "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63") else {
        panic!()
    };
    assert_eq!(*c, Connect::new(V3, "c"));
    // The version argument is ignored for CONNECT.
    let Packet::Connect(c) = accept(V3, "10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 63") else {
        panic!()
    };
    assert_eq!(*c, Connect::new(V5, "c"));
    let Packet::Connect(c) = accept(V5, "10 0f 00 06 4d 51 49 73 64 70 03 02 00 3c 00 01 63")
    else {
        panic!()
    };
    assert_eq!(c.version, ProtocolVersion::V3_1);
}

#[test]
fn protocol_name() {
    let e = reject(
        V5,
        "10 0d 00 04 4d 51 54 58 04 02 00 3c 00 01 63",
        "MQTT-3.1.2-1",
        0x84,
    );
    assert_eq!(
        e,
        DecodeError::InvalidProtocolName {
            name: "MQTX".into()
        }
    );
}

#[test]
fn protocol_level() {
    let e = reject(
        V5,
        "10 0d 00 04 4d 51 54 54 06 02 00 3c 00 01 63",
        "MQTT-3.1.2-2",
        0x84,
    );
    assert_eq!(e, DecodeError::UnsupportedProtocolVersion { level: 6 });
    assert_eq!(
        e.reason_code().to_v3_connack(),
        ReasonCode::V3_UNACCEPTABLE_PROTOCOL_VERSION
    );
    // "MQTT" with level 3 and "MQIsdp" with level 4 are not versions either.
    reject(
        V3,
        "10 0d 00 04 4d 51 54 54 03 02 00 3c 00 01 63",
        "MQTT-3.1.2-2",
        0x84,
    );
    reject(
        V3,
        "10 0f 00 06 4d 51 49 73 64 70 04 02 00 3c 00 01 63",
        "MQTT-3.1.2-2",
        0x84,
    );
}

/// MQTT-3.1.2-3 (3.1.1), MQTT-3.1.2-3 (5.0): the reserved connect flag must
/// be 0.
#[test]
fn reserved_flag() {
    let e = reject(
        V3,
        "10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 63",
        "MQTT-3.1.2-3",
        0x81,
    );
    assert_eq!(e, DecodeError::ReservedConnectFlag);
    reject(
        V5,
        "10 0e 00 04 4d 51 54 54 05 03 00 3c 00 00 01 63",
        "MQTT-3.1.2-3",
        0x81,
    );
}

/// MQTT-3.1.2-11 (3.1.1), MQTT-3.1.2-13 (3.1.1), MQTT-3.1.2-11 (5.0): Will
/// Flag 0 with Will QoS bits set is rejected (the 3.1.1 error names the
/// combined rule -11).
#[test]
fn will_qos_without_will_flag() {
    let e = reject(
        V3,
        "10 0d 00 04 4d 51 54 54 04 0a 00 3c 00 01 63",
        "MQTT-3.1.2-11",
        0x82,
    );
    assert_eq!(e, DecodeError::WillQosWithoutWillFlag);
    // QoS bits 3 without the flag is still "QoS without flag".
    reject(
        V5,
        "10 0e 00 04 4d 51 54 54 05 1a 00 3c 00 00 01 63",
        "MQTT-3.1.2-11",
        0x82,
    );
}

/// MQTT-3.1.2-11 (3.1.1), MQTT-3.1.2-15 (3.1.1), MQTT-3.1.2-13 (5.0): Will
/// Flag 0 with Will Retain set is rejected (the 3.1.1 error names the
/// combined rule -11).
#[test]
fn will_retain_without_will_flag() {
    let e = reject(
        V3,
        "10 0d 00 04 4d 51 54 54 04 22 00 3c 00 01 63",
        "MQTT-3.1.2-11",
        0x82,
    );
    assert!(matches!(e, DecodeError::WillRetainWithoutWillFlag { .. }));
    reject(
        V5,
        "10 0e 00 04 4d 51 54 54 05 22 00 3c 00 00 01 63",
        "MQTT-3.1.2-13",
        0x82,
    );
}

/// MQTT-3.1.2-14 (3.1.1), MQTT-3.1.2-12 (5.0): Will QoS 3 is malformed.
#[test]
fn will_qos_3() {
    let e = reject(
        V3,
        "10 12 00 04 4d 51 54 54 04 1e 00 3c 00 01 63 00 01 74 00 00",
        "MQTT-3.1.2-14",
        0x81,
    );
    assert!(matches!(e, DecodeError::WillQos3 { .. }));
    reject(
        V5,
        "10 14 00 04 4d 51 54 54 05 1e 00 3c 00 00 01 63 00 00 01 74 00 00",
        "MQTT-3.1.2-12",
        0x81,
    );
}

/// MQTT-3.1.2-9 (3.1.1), MQTT-3.1.2-9 (5.0): with Will Flag 1 the will
/// fields (5.0: and Will Properties) must be present in full.
#[test]
fn will_fields_missing() {
    // Will Flag set, payload ends after the client identifier.
    let e = reject(
        V3,
        "10 0d 00 04 4d 51 54 54 04 06 00 3c 00 01 63",
        "MQTT-3.1.2-9",
        0x81,
    );
    assert_eq!(e, DecodeError::WillFieldsMissing);
    // Will payload length 5 with one byte (mosquitto 07-will-no-flag).
    reject(
        V3,
        "10 13 00 04 4d 51 54 54 04 06 00 3c 00 01 63 00 01 74 00 05 61",
        "MQTT-3.1.2-9",
        0x81,
    );
    // 5.0: Will Properties length runs past the packet.
    reject(
        V5,
        "10 10 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 09 01",
        "MQTT-3.1.2-9",
        0x81,
    );
    // 5.0: no Will Properties at all.
    reject(
        V5,
        "10 0e 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63",
        "MQTT-3.1.2-9",
        0x81,
    );
}

/// §2.2.2.1: a Will Property Length that fits in the packet but ends inside
/// a property is a property-length error, not missing will fields. Found by
/// `decode_v5`; the fuzzer's input is kept as
/// fuzz/regressions/decode_v5/will-property-length-ends-inside-message-expiry.
#[test]
fn will_property_length_ends_inside_a_property() {
    // Will Property Length 1 holding `02`: a Message Expiry Interval with
    // none of its four bytes, then bytes enough for a will topic and payload.
    let e = reject(
        V5,
        "10 18 00 04 4d 51 54 54 05 04 00 00 00 00 00 01 02 00 00 00 00 00 01 61 00 00",
        "§2.2.2.1",
        0x81,
    );
    assert_eq!(e, DecodeError::PropertyLengthMismatch);
    // Will Property Length 2 holding `18 00`: a Will Delay Interval cut
    // after one byte, then a complete will topic and payload.
    let e = reject(
        V5,
        "10 17 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 02 18 00 00 01 74 00 01 78",
        "§2.2.2.1",
        0x81,
    );
    assert_eq!(e, DecodeError::PropertyLengthMismatch);
}

#[test]
fn password_without_user_name() {
    let e = reject(
        V3,
        "10 10 00 04 4d 51 54 54 04 42 00 3c 00 01 63 00 01 70",
        "MQTT-3.1.2-22",
        0x81,
    );
    assert_eq!(e, DecodeError::PasswordWithoutUsername);
    // Legal in 5.0.
    let Packet::Connect(c) = accept(
        V5,
        "10 11 00 04 4d 51 54 54 05 42 00 3c 00 00 01 63 00 01 70",
    ) else {
        panic!()
    };
    assert_eq!((c.username, c.password.as_deref()), (None, Some(&b"p"[..])));
}

/// MQTT-3.1.3-1 (3.1.1), MQTT-3.1.3-1 (5.0): the payload holds the announced
/// fields in order and nothing else; MQTT-3.1.2-11 (3.1.1): with Will Flag 0
/// no will fields may follow.
#[test]
fn bytes_beyond_the_announced_fields() {
    // Will Flag 0 but will-like fields present (wolfMQTT #532).
    let e = reject(
        V3,
        "10 13 00 04 4d 51 54 54 04 02 00 3c 00 01 63 00 01 74 00 01 61",
        "MQTT-3.1.3-1",
        0x81,
    );
    assert_eq!(e, DecodeError::ConnectPayloadTrailingBytes { count: 6 });
    reject(
        V5,
        "10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 01 63 ff",
        "MQTT-3.1.3-1",
        0x81,
    );
}
