//! The will inside CONNECT: Will Topic, Will Payload and Will Properties.

use super::*;

/// MQTT-4.7.3-1 (3.1.1), MQTT-4.7.3-1 (5.0): the will topic is a Topic Name,
/// at least one character long.
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

/// MQTT-4.7.1-1 (3.1.1), MQTT-4.7.0-1 (5.0): no wildcards in the will topic.
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

/// MQTT-1.5.3-3 (3.1.1), MQTT-1.5.4-3 (5.0): a BOM at the start of the will
/// topic is kept. Catalogue A17, B34: a zero-length Will Payload is legal.
/// Will QoS 2 with Will Retain decodes as such.
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
    let Packet::Connect(c) = accept(
        V5,
        "10 17 00 04 4d 51 54 54 05 36 00 3c 00 00 01 63 00 00 04 ef bb bf 74 00 00",
    ) else {
        panic!()
    };
    let will = c.will.unwrap();
    assert_eq!(will.topic, "\u{FEFF}t");
    assert!(will.payload.is_empty());
}

/// Catalogue B32: Will Delay Interval belongs in Will Properties only, and
/// Will Properties accept only the properties defined for them.
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

/// Catalogue B26: Payload Format Indicator is 0 or 1; checking the payload
/// against it is left to the server (its MAY, CONNACK 0x99).
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

/// MQTT-3.3.2-14 (5.0), Catalogue B29: a will Response Topic is a Topic Name:
/// no wildcards, not empty.
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

/// §3.1.3.2.2 (row B24's text): Will Delay Interval included twice is a
/// Protocol Error.
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

/// MQTT-3.1.3-10 (5.0), Catalogue B23: will User Properties may repeat a name
/// and are decoded in wire order.
#[test]
fn will_user_properties_may_repeat_and_keep_their_order() {
    let Packet::Connect(c) = accept(
        V5,
        "10 22 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 0e 26 00 01 6b 00 01 32 26 00 01 6b 00 01 31 00 01 74 00 00",
    ) else {
        panic!()
    };
    let users = c.will.unwrap().properties.into_values().user_properties;
    assert_eq!(
        users,
        vec![UserProperty::new("k", "2"), UserProperty::new("k", "1")]
    );
}

/// Catalogue B26, B27, B28, B29, B30: Payload Format Indicator, Message
/// Expiry Interval, Content Type, Response Topic and Correlation Data may each
/// appear once in Will Properties; twice is a Protocol Error.
#[test]
fn will_properties_may_each_appear_once() {
    let cases = [
        ("01 00 01 00", PropertyId::PAYLOAD_FORMAT_INDICATOR),
        (
            "02 00 00 00 0a 02 00 00 00 0a",
            PropertyId::MESSAGE_EXPIRY_INTERVAL,
        ),
        ("03 00 01 61 03 00 01 62", PropertyId::CONTENT_TYPE),
        ("08 00 01 61 08 00 01 62", PropertyId::RESPONSE_TOPIC),
        ("09 00 01 01 09 00 01 02", PropertyId::CORRELATION_DATA),
    ];
    for (props, property) in cases {
        let n = hex(props).len();
        let bytes = format!(
            "10 {:02x} 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 {n:02x} {props} 00 01 74 00 00",
            20 + n
        );
        let e = reject(V5, &bytes, "§2.2.2.2", 0x82);
        assert_eq!(e, DecodeError::DuplicateProperty(property));
        // Once is fine.
        let once = props[..props.len() / 2].trim();
        let m = hex(once).len();
        let bytes = format!(
            "10 {:02x} 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 {m:02x} {once} 00 01 74 00 00",
            20 + m
        );
        assert!(
            matches!(accept(V5, &bytes), Packet::Connect(_)),
            "{property:?}"
        );
    }
}

/// MQTT-3.1.3-11 (5.0), MQTT-1.5.4-1 (5.0), MQTT-1.5.4-2 (5.0): the 5.0 will
/// topic is a well-formed UTF-8 string without U+0000. MQTT-3.3.2-19 (5.0),
/// MQTT-3.3.2-13 (5.0), MQTT-1.5.7-1 (5.0): so are a will's Content Type,
/// Response Topic and both strings of a User Property.
#[test]
fn will_strings_must_be_utf8_in_5_0() {
    let cases: [(&str, &str, &str); 6] = [
        ("00 00 03 ed a0 80", "MQTT-1.5.4-1", "will topic"),
        ("00 00 03 61 00 62", "MQTT-1.5.4-2", "will topic"),
        ("04 03 00 01 ff 00 01 74", "MQTT-1.5.4-1", "Content Type"),
        ("04 08 00 01 ff 00 01 74", "MQTT-1.5.4-1", "Response Topic"),
        (
            "07 26 00 01 ff 00 01 76 00 01 74",
            "MQTT-1.5.4-1",
            "user property name",
        ),
        (
            "07 26 00 01 6b 00 01 00 00 01 74",
            "MQTT-1.5.4-2",
            "user property value",
        ),
    ];
    for (will, rule, field) in cases {
        let rl = 14 + hex(will).len() + 2;
        let bytes = format!("10 {rl:02x} 00 04 4d 51 54 54 05 06 00 3c 00 00 01 63 {will} 00 00");
        let e = reject(V5, &bytes, rule, 0x81);
        let got = match &e {
            DecodeError::InvalidUtf8 { field: f, .. }
            | DecodeError::NullCharacter { field: f, .. } => f.to_string(),
            other => panic!("{field}: {other:?}"),
        };
        assert_eq!(got, field);
    }
}
