use super::*;

// 5.0 CONNECT with properties P (length L) and client id "c":
//   10 (0x0e + L) 00 04 4d 51 54 54 05 02 00 3c L P 00 01 63

#[test]
fn unknown_identifier() {
    let e = reject(
        V5,
        "10 10 00 04 4d 51 54 54 05 02 00 3c 02 7f 00 00 01 63",
        "§2.2.2.2",
        0x81,
    );
    assert_eq!(e, DecodeError::UnknownProperty { id: 0x7f });
    // A two-byte identifier (128) names no property either.
    let e = reject(
        V5,
        "10 11 00 04 4d 51 54 54 05 02 00 3c 03 80 01 00 00 01 63",
        "§2.2.2.2",
        0x81,
    );
    assert_eq!(e, DecodeError::UnknownProperty { id: 128 });
    // Identifier 0 is not defined.
    reject(V5, "e0 03 00 01 00", "§2.2.2.2", 0x81);
}

#[test]
fn not_allowed_on_the_packet() {
    // Session Expiry Interval on PUBLISH.
    let e = reject(V5, "30 09 00 01 61 05 11 00 00 00 01", "§2.2.2.2", 0x81);
    assert_eq!(
        e,
        DecodeError::PropertyNotAllowed {
            property: PropertyId::SESSION_EXPIRY_INTERVAL,
            context: PropertyContext::Packet(PacketType::Publish)
        }
    );
    // Will Delay Interval on DISCONNECT (the aedes #1098 leak, seen from the receiver).
    reject(V5, "e0 07 00 05 18 00 00 00 01", "§2.2.2.2", 0x81);
    // Topic Alias on CONNACK, Server Reference on PUBACK.
    reject(V5, "20 06 00 00 03 23 00 01", "§2.2.2.2", 0x81);
    reject(V5, "40 0a 00 01 00 06 1c 00 03 61 62 63", "§2.2.2.2", 0x81);
}

#[test]
fn duplicate() {
    let e = reject(
        V5,
        "10 18 00 04 4d 51 54 54 05 02 00 3c 0a 11 00 00 00 0a 11 00 00 00 0a 00 01 63",
        "§2.2.2.2",
        0x82,
    );
    assert_eq!(
        e,
        DecodeError::DuplicateProperty(PropertyId::SESSION_EXPIRY_INTERVAL)
    );
    let e = reject(V5, "e0 0a 00 08 1f 00 01 61 1f 00 01 62", "§2.2.2.2", 0x82);
    assert_eq!(e, DecodeError::DuplicateProperty(PropertyId::REASON_STRING));
}

#[test]
fn length_disagrees_with_the_properties() {
    // Property Length runs past the packet.
    let e = reject(
        V5,
        "10 0e 00 04 4d 51 54 54 05 02 00 3c 20 00 01 63",
        "§2.2.2.1",
        0x81,
    );
    assert_eq!(e, DecodeError::PropertyLengthMismatch);
    // A value runs past the Property Length (SEI needs four bytes, gets one).
    reject(
        V5,
        "10 10 00 04 4d 51 54 54 05 02 00 3c 02 11 00 00 01 63",
        "§2.2.2.1",
        0x81,
    );
    // A string property cut by the Property Length.
    reject(V5, "e0 07 00 03 1f 00 05 61 62", "§2.2.2.1", 0x81);
}

#[test]
fn value_ranges() {
    let cases: &[(&str, PropertyId, u32, &str)] = &[
        ("03 21 00 00", PropertyId::RECEIVE_MAXIMUM, 0, "§3.1.2.11.3"),
        (
            "05 27 00 00 00 00",
            PropertyId::MAXIMUM_PACKET_SIZE,
            0,
            "§3.1.2.11.4",
        ),
        (
            "02 17 02",
            PropertyId::REQUEST_PROBLEM_INFORMATION,
            2,
            "§3.1.2.11.7",
        ),
        (
            "02 19 05",
            PropertyId::REQUEST_RESPONSE_INFORMATION,
            5,
            "§3.1.2.11.6",
        ),
    ];
    for (props, property, value, rule) in cases {
        let props = hex(props);
        let rl = 0x0e + props.len() - 1;
        let bytes = format!(
            "10 {rl:02x} 00 04 4d 51 54 54 05 02 00 3c {} 00 01 63",
            support::hex_dump(&props).replace('\n', " ")
        );
        let e = reject(V5, &bytes, rule, 0x82);
        assert_eq!(
            e,
            DecodeError::InvalidPropertyValue {
                property: *property,
                value: *value
            }
        );
    }
    // CONNACK booleans and Maximum QoS.
    for id in [0x24u8, 0x25, 0x28, 0x29, 0x2a] {
        let e = reject(
            V5,
            &format!("20 05 00 00 02 {id:02x} 02"),
            match id {
                0x24 => "§3.2.2.3.4",
                0x25 => "§3.2.2.3.5",
                0x28 => "§3.2.2.3.11",
                0x29 => "§3.2.2.3.12",
                _ => "§3.2.2.3.13",
            },
            0x82,
        );
        assert_eq!(
            e,
            DecodeError::InvalidPropertyValue {
                property: PropertyId(id),
                value: 2
            }
        );
    }
    // Topic Alias 0 and Subscription Identifier 0 on PUBLISH.
    let e = reject(V5, "30 07 00 01 61 03 23 00 00", "MQTT-3.3.2-8", 0x82);
    assert_eq!(
        e,
        DecodeError::InvalidPropertyValue {
            property: PropertyId::TOPIC_ALIAS,
            value: 0
        }
    );
    let e = reject(V5, "30 06 00 01 61 02 0b 00", "§3.8.2.1.2", 0x82);
    assert_eq!(
        e,
        DecodeError::InvalidPropertyValue {
            property: PropertyId::SUBSCRIPTION_IDENTIFIER,
            value: 0
        }
    );
}

#[test]
fn authentication_data_without_method() {
    let e = reject(
        V5,
        "10 13 00 04 4d 51 54 54 05 02 00 3c 05 16 00 02 01 02 00 01 63",
        "§3.1.2.11.10",
        0x82,
    );
    assert_eq!(e, DecodeError::AuthenticationDataWithoutMethod);
    reject(V5, "f0 06 18 04 16 00 01 07", "§3.1.2.11.10", 0x82);
}
