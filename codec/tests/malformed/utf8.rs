use super::*;

/// MQTT-1.5.3-1 (3.1.1), MQTT-1.5.4-1 (5.0): a surrogate code point is
/// ill-formed UTF-8.
#[test]
fn surrogate() {
    let e = reject(V3, "30 05 00 03 ed a0 80", "MQTT-1.5.3-1", 0x81);
    assert!(matches!(
        e,
        DecodeError::InvalidUtf8 {
            field: "topic name",
            ..
        }
    ));
    reject(V5, "30 06 00 03 ed a0 80 00", "MQTT-1.5.4-1", 0x81);
}

#[test]
fn overlong_and_truncated_sequences() {
    reject(V3, "30 04 00 02 c0 80", "MQTT-1.5.3-1", 0x81);
    reject(V3, "30 03 00 01 e2", "MQTT-1.5.3-1", 0x81);
    reject(V5, "30 05 00 01 ff 00 00", "MQTT-1.5.4-1", 0x81);
}

#[test]
fn null_character() {
    let e = reject(V3, "30 04 00 02 61 00", "MQTT-1.5.3-2", 0x81);
    assert!(matches!(
        e,
        DecodeError::NullCharacter {
            field: "topic name",
            ..
        }
    ));
    reject(V5, "30 05 00 02 61 00 00", "MQTT-1.5.4-2", 0x81);
}

/// MQTT-1.5.3-1 (3.1.1), MQTT-1.5.3-2 (3.1.1), MQTT-1.5.4-1 (5.0),
/// MQTT-1.5.4-2 (5.0): every string field is checked, among them the 3.1.1
/// will topic (MQTT-3.1.3-10 (3.1.1)) and both strings of a User Property
/// (MQTT-1.5.7-1 (5.0)).
#[test]
fn every_string_field_is_checked() {
    // Client identifier.
    let e = reject(
        V3,
        "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 ff",
        "MQTT-1.5.3-1",
        0x81,
    );
    assert!(matches!(
        e,
        DecodeError::InvalidUtf8 {
            field: "client identifier",
            ..
        }
    ));
    // User name.
    let e = reject(
        V3,
        "10 10 00 04 4d 51 54 54 04 82 00 3c 00 01 63 00 01 00",
        "MQTT-1.5.3-2",
        0x81,
    );
    assert!(matches!(
        e,
        DecodeError::NullCharacter {
            field: "user name",
            ..
        }
    ));
    // Will topic (mosquitto 07-will-invalid-utf8).
    let e = reject(
        V3,
        "10 14 00 04 4d 51 54 54 04 06 00 3c 00 01 63 00 03 61 00 62 00 00",
        "MQTT-1.5.3-2",
        0x81,
    );
    assert!(matches!(
        e,
        DecodeError::NullCharacter {
            field: "will topic",
            ..
        }
    ));
    // User property name and value in 5.0.
    let e = reject(
        V5,
        "30 0b 00 01 61 07 26 00 01 00 00 01 61",
        "MQTT-1.5.4-2",
        0x81,
    );
    assert!(matches!(
        e,
        DecodeError::NullCharacter {
            field: "user property name",
            ..
        }
    ));
    let e = reject(
        V5,
        "30 0b 00 01 61 07 26 00 01 61 00 01 ff",
        "MQTT-1.5.4-1",
        0x81,
    );
    assert!(matches!(
        e,
        DecodeError::InvalidUtf8 {
            field: "user property value",
            ..
        }
    ));
    // A property string (Content Type).
    let e = reject(V5, "30 08 00 01 61 04 03 00 01 ff", "MQTT-1.5.4-1", 0x81);
    assert!(matches!(
        e,
        DecodeError::InvalidUtf8 {
            field: "Content Type",
            ..
        }
    ));
    // Topic filters.
    reject(V3, "82 06 00 01 00 01 ff 00", "MQTT-1.5.3-1", 0x81);
    reject(V5, "a2 06 00 01 00 00 01 00", "MQTT-1.5.4-2", 0x81);
}

/// MQTT-1.5.3-3 (3.1.1): a BOM is not stripped from a topic.
#[test]
fn byte_order_mark_is_kept() {
    let Packet::Publish(publish) = accept(V3, "30 06 00 04 ef bb bf 61") else {
        panic!("not a PUBLISH")
    };
    assert_eq!(publish.topic, "\u{FEFF}a");
}
