use super::*;

#[test]
fn no_filters() {
    let e = reject(V3, "82 02 00 01", "MQTT-3.8.3-3", 0x82);
    assert!(matches!(e, DecodeError::SubscribeWithoutFilters { .. }));
    reject(V5, "82 03 00 01 00", "MQTT-3.8.3-2", 0x82);
    let e = reject(V3, "a2 02 00 01", "MQTT-3.10.3-2", 0x82);
    assert_eq!(e, DecodeError::UnsubscribeWithoutFilters);
    reject(V5, "a2 03 00 01 00", "MQTT-3.10.3-2", 0x82);
}

#[test]
fn reserved_option_bits() {
    // 3.1.1: bits 7-2 are reserved (No Local does not exist).
    let e = reject(V3, "82 06 00 01 00 01 61 04", "MQTT-3.8.3-4", 0x81);
    assert_eq!(
        e,
        DecodeError::ReservedSubscriptionOptionBits {
            options: 4,
            version: V3
        }
    );
    reject(V3, "82 06 00 01 00 01 61 80", "MQTT-3.8.3-4", 0x81);
    reject(V5, "82 07 00 01 00 00 01 61 40", "MQTT-3.8.3-5", 0x81);
}

#[test]
fn requested_qos_3() {
    let e = reject(V3, "82 06 00 01 00 01 61 03", "MQTT-3.8.3-4", 0x81);
    assert!(matches!(
        e,
        DecodeError::ReservedSubscriptionOptionBits { .. } | DecodeError::SubscriptionQos3 { .. }
    ));
    let e = reject(V5, "82 07 00 01 00 00 01 61 03", "§3.8.3.1", 0x82);
    assert!(matches!(e, DecodeError::SubscriptionQos3 { .. }));
}

#[test]
fn retain_handling_3() {
    let e = reject(V5, "82 07 00 01 00 00 01 61 30", "§3.8.3.1", 0x82);
    assert_eq!(e, DecodeError::RetainHandling3);
}

#[test]
fn multi_level_wildcard_not_last() {
    let e = reject(
        V3,
        "82 0a 00 01 00 05 61 2f 23 2f 62 00",
        "MQTT-4.7.1-2",
        0x8f,
    );
    assert!(matches!(e, DecodeError::MultiLevelWildcardNotLast { .. }));
    reject(V5, "82 09 00 01 00 00 03 61 62 23 00", "MQTT-4.7.1-1", 0x8f);
    reject(V3, "a2 08 00 01 00 04 61 2f 23 23", "MQTT-4.7.1-2", 0x8f);
}

#[test]
fn single_level_wildcard_not_alone() {
    let e = reject(V3, "82 07 00 01 00 02 61 2b 00", "MQTT-4.7.1-3", 0x8f);
    assert!(matches!(e, DecodeError::SingleLevelWildcardNotAlone { .. }));
    reject(
        V5,
        "82 0a 00 01 00 00 04 2b 2f 62 2b 00",
        "MQTT-4.7.1-2",
        0x8f,
    );
    reject(V5, "a2 07 00 01 00 00 02 2b 2b", "MQTT-4.7.1-2", 0x8f);
}

#[test]
fn empty_filter() {
    let e = reject(V3, "82 05 00 01 00 00 00", "MQTT-4.7.3-1", 0x8f);
    assert_eq!(
        e,
        DecodeError::TopicFilterEmpty {
            packet_type: PacketType::Subscribe
        }
    );
    let e = reject(V5, "a2 05 00 01 00 00 00", "MQTT-4.7.3-1", 0x8f);
    assert_eq!(
        e,
        DecodeError::TopicFilterEmpty {
            packet_type: PacketType::Unsubscribe
        }
    );
}

#[test]
fn zero_packet_identifier() {
    let e = reject(V3, "82 06 00 00 00 01 61 00", "MQTT-2.3.1-1", 0x82);
    assert!(matches!(
        e,
        DecodeError::ZeroPacketId {
            packet_type: PacketType::Subscribe,
            ..
        }
    ));
    reject(V5, "a2 06 00 00 00 00 01 61", "MQTT-2.2.1-3", 0x82);
}

#[test]
fn subscription_identifier_twice() {
    let e = reject(
        V5,
        "82 0b 00 01 04 0b 01 0b 02 00 01 61 00",
        "§2.2.2.2",
        0x82,
    );
    assert_eq!(
        e,
        DecodeError::DuplicateProperty(PropertyId::SUBSCRIPTION_IDENTIFIER)
    );
}

#[test]
fn shared_subscriptions() {
    // No Local on $share/g/a.
    let e = reject(
        V5,
        "82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 61 04",
        "MQTT-3.8.3-4",
        0x82,
    );
    assert!(matches!(e, DecodeError::NoLocalOnSharedSubscription { .. }));
    // $share/+/a: the ShareName holds a wildcard.
    let e = reject(
        V5,
        "82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 2b 2f 61 00",
        "MQTT-4.8.2-2",
        0x8f,
    );
    assert!(matches!(e, DecodeError::InvalidSharedSubscription { .. }));
    // In 3.1.1 the same filter is an ordinary one.
    assert!(matches!(
        accept(V3, "82 0f 00 01 00 0a 24 73 68 61 72 65 2f 2b 2f 61 00"),
        Packet::Subscribe(_)
    ));
}
