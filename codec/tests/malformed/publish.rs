use super::*;

/// MQTT-3.3.2-2 (3.1.1), MQTT-3.3.2-2 (5.0): no wildcards in a PUBLISH Topic
/// Name, the will's PUBLISH included.
#[test]
fn topic_with_wildcards() {
    let e = reject(V3, "30 05 00 03 61 2f 2b", "MQTT-3.3.2-2", 0x90);
    assert_eq!(e, DecodeError::PublishTopicWildcard);
    reject(V5, "30 04 00 01 23 00", "MQTT-3.3.2-2", 0x90);
}

#[test]
fn empty_topic() {
    let e = reject(V3, "30 02 00 00", "MQTT-4.7.3-1", 0x82);
    assert!(matches!(e, DecodeError::PublishTopicEmpty { .. }));
    reject(V5, "30 03 00 00 00", "§3.3.2.3.4", 0x82);
    // 5.0 with a Topic Alias: allowed.
    let Packet::Publish(p) = accept(V5, "30 06 00 00 03 23 00 01") else {
        panic!()
    };
    assert_eq!((p.topic.as_str(), p.properties.topic_alias), ("", Some(1)));
}

#[test]
fn zero_packet_identifier() {
    let e = reject(V3, "32 05 00 01 61 00 00", "MQTT-2.3.1-1", 0x82);
    assert!(matches!(
        e,
        DecodeError::ZeroPacketId {
            packet_type: PacketType::Publish,
            ..
        }
    ));
    reject(V5, "34 06 00 01 61 00 00 00", "MQTT-2.2.1-3", 0x82);
}

#[test]
fn subscription_identifiers_are_allowed_and_ordered() {
    let Packet::Publish(p) = accept(V5, "30 09 00 01 61 04 0b 05 0b 02 78") else {
        panic!()
    };
    assert_eq!(p.properties.rest.subscription_identifiers, vec![5, 2]);
    assert_eq!(&p.payload[..], b"x");
}
