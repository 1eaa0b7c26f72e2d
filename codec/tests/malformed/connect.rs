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

#[test]
fn will_topic_empty() {
    // mosquitto 07-will-null-topic.
    let e = reject(
        V3,
        "10 11 00 04 4d 51 54 54 04 06 00 3c 00 01 63 00 00 00 00",
        "MQTT-4.7.3-1",
        0x90,
    );
    assert_eq!(e, DecodeError::WillTopicEmpty);
    reject(
        V5,
        "10 13 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 00 00 00 00 00",
        "MQTT-4.7.3-1",
        0x90,
    );
}

#[test]
fn will_topic_wildcard() {
    let e = reject(
        V3,
        "10 14 00 04 4d 51 54 54 04 06 00 3c 00 01 63 00 03 61 2f 23 00 00",
        "MQTT-4.7.1-1",
        0x90,
    );
    assert!(matches!(e, DecodeError::WillTopicWildcard { .. }));
    reject(
        V5,
        "10 16 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 00 00 03 61 2f 2b 00 00",
        "MQTT-4.7.0-1",
        0x90,
    );
}

#[test]
fn will_with_bom_topic_and_zero_length_payload_decodes() {
    let Packet::Connect(c) = accept(
        V3,
        "10 15 00 04 4d 51 54 54 04 36 00 3c 00 01 63 00 04 ef bb bf 74 00 00",
    ) else {
        panic!()
    };
    let will = c.will.unwrap();
    assert_eq!(
        (will.topic.as_str(), will.qos, will.retain),
        ("\u{FEFF}t", QoS::ExactlyOnce, true)
    );
    assert!(will.payload.is_empty());
}

#[test]
fn will_properties_allowed_set() {
    // Session Expiry Interval inside Will Properties.
    let e = reject(
        V5,
        "10 19 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 05 11 00 00 00 0a 00 01 74 00 00",
        "§2.2.2.2",
        0x81,
    );
    assert_eq!(
        e,
        DecodeError::PropertyNotAllowed {
            property: PropertyId::SESSION_EXPIRY_INTERVAL,
            context: PropertyContext::Will
        }
    );
    // Will Delay Interval among the CONNECT properties.
    let e = reject(
        V5,
        "10 13 00 04 4d 51 54 54 05 02 00 3c 05 18 00 00 00 0a 00 01 63",
        "§2.2.2.2",
        0x81,
    );
    assert_eq!(
        e,
        DecodeError::PropertyNotAllowed {
            property: PropertyId::WILL_DELAY_INTERVAL,
            context: PropertyContext::Packet(PacketType::Connect)
        }
    );
}

#[test]
fn will_payload_format_indicator() {
    // PFI 2 is not a format.
    let e = reject(
        V5,
        "10 16 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 02 01 02 00 01 74 00 00",
        "§3.3.2.3.2",
        0x82,
    );
    assert_eq!(
        e,
        DecodeError::InvalidPropertyValue {
            property: PropertyId::PAYLOAD_FORMAT_INDICATOR,
            value: 2
        }
    );
    // PFI 1 with a non-UTF-8 payload decodes: checking it is the server's MAY (0x99).
    let Packet::Connect(c) = accept(
        V5,
        "10 17 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 02 01 01 00 01 74 00 01 ff",
    ) else {
        panic!()
    };
    let will = c.will.unwrap();
    assert!(!payload_matches_format(
        will.properties.payload_format_indicator,
        &will.payload
    ));
}

#[test]
fn will_response_topic_with_wildcard() {
    let e = reject(
        V5,
        "10 19 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 05 08 00 02 61 23 00 01 74 00 00",
        "MQTT-3.3.2-14",
        0x82,
    );
    assert_eq!(e, DecodeError::ResponseTopicWildcard);
    let e = reject(
        V5,
        "10 17 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 03 08 00 00 00 01 74 00 00",
        "MQTT-4.7.3-1",
        0x82,
    );
    assert_eq!(e, DecodeError::ResponseTopicEmpty);
}

#[test]
fn duplicate_will_delay() {
    let e = reject(
        V5,
        "10 1e 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 0a 18 00 00 00 01 18 00 00 00 02 00 01 74 00 00",
        "§2.2.2.2",
        0x82,
    );
    assert_eq!(
        e,
        DecodeError::DuplicateProperty(PropertyId::WILL_DELAY_INTERVAL)
    );
}

#[test]
fn will_user_properties_may_repeat_and_keep_their_order() {
    let Packet::Connect(c) = accept(
        V5,
        "10 22 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 0e 26 00 01 6b 00 01 32 26 00 01 6b 00 01 31 00 01 74 00 00",
    ) else {
        panic!()
    };
    let users = c.will.unwrap().properties.user_properties;
    assert_eq!(
        users,
        vec![UserProperty::new("k", "2"), UserProperty::new("k", "1")]
    );
}
