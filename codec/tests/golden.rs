//! Golden bytes of every packet type (insta snapshots of a hex dump), and
//! every truncation of every golden packet.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::BytesMut;
use lastwill_codec::*;
use support::fixtures;

#[test]
fn golden_bytes() {
    for fixture in fixtures::all() {
        let bytes = encode_to_bytes(&fixture.packet, fixture.version).unwrap();
        let dump = format!(
            "MQTT {} {} ({} bytes)\n{}",
            fixture.version,
            fixture.packet.packet_type(),
            bytes.len(),
            support::hex_dump(&bytes)
        );
        insta::assert_snapshot!(fixture.name, dump);
        // The golden bytes decode to the fixture.
        let decoded = decode_packet(&bytes, fixture.version, &Limits::default());
        assert_eq!(decoded.as_ref(), Ok(&fixture.packet), "{}", fixture.name);
    }
}

#[test]
fn every_packet_type_has_golden_bytes() {
    let mut seen: Vec<(PacketType, bool)> = fixtures::all()
        .iter()
        .map(|f| (f.packet.packet_type(), f.version.is_v5()))
        .collect();
    seen.sort_by_key(|(t, v5)| (*t as u8, *v5));
    seen.dedup();
    // 15 types in 5.0, 14 in 3.1.1 (no AUTH).
    assert_eq!(seen.len(), 29, "{seen:?}");
}

#[test]
fn every_truncation_fails_cleanly() {
    for fixture in fixtures::all() {
        let bytes = encode_to_bytes(&fixture.packet, fixture.version).unwrap();
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            let mut buf = BytesMut::from(prefix);
            assert_eq!(
                decode(&mut buf, fixture.version, &Limits::default()),
                Ok(None),
                "{} cut at {cut}",
                fixture.name
            );
            assert_eq!(
                &buf[..],
                prefix,
                "{} cut at {cut}: buffer touched",
                fixture.name
            );
            assert!(
                decode_packet(prefix, fixture.version, &Limits::default()).is_err(),
                "{} cut at {cut}",
                fixture.name
            );
        }
    }
}

/// A body cut short but framed with a matching Remaining Length may still be
/// a valid (different) packet; it must never panic, and when it is rejected
/// the error must be one the fixed header was fine with.
#[test]
fn every_reframed_truncation_is_handled() {
    for fixture in fixtures::all() {
        let bytes = encode_to_bytes(&fixture.packet, fixture.version).unwrap();
        let header_len = 1 + bytes[1..].iter().position(|b| b & 0x80 == 0).unwrap() + 1;
        let body = &bytes[header_len..];
        for cut in 0..body.len() {
            let raw = RawPacket::new(bytes[0], body[..cut].to_vec()).to_bytes();
            if let Err(error) = decode_packet(&raw, fixture.version, &Limits::default()) {
                assert!(
                    !matches!(
                        error,
                        DecodeError::FrameIncomplete { .. } | DecodeError::BytesAfterFrame { .. }
                    ),
                    "{} cut at {cut}: {error:?}",
                    fixture.name
                );
            }
        }
    }
}

#[test]
fn encoder_writes_what_it_is_given() {
    // Zero packet identifier, reserved reason code, PFI 7, a property the
    // packet may not carry: all written as held, all rejected on decode.
    let publish = Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "a".into(),
        packet_id: Some(0),
        properties: Properties::from(PropertyValues {
            payload_format_indicator: Some(7),
            will_delay_interval: Some(1),
            ..PropertyValues::default()
        })
        .into(),
        payload: bytes::Bytes::new(),
    });
    let bytes = encode_to_bytes(&publish, ProtocolVersion::V5).unwrap();
    assert_eq!(
        support::hex_dump(&bytes),
        "32 0d 00 01 61 00 00 07 01 07 18 00 00 00 01"
    );
    let disconnect = Packet::Disconnect(Disconnect::new(ReasonCode(0xFF)));
    let bytes = encode_to_bytes(&disconnect, ProtocolVersion::V5).unwrap();
    assert_eq!(&bytes[..], &[0xE0, 0x01, 0xFF]);
    // 3.1.1 drops what it has no field for.
    let bytes = encode_to_bytes(&disconnect, ProtocolVersion::V3_1_1).unwrap();
    assert_eq!(&bytes[..], &[0xE0, 0x00]);
    let bytes = encode_to_bytes(&Packet::Auth(Auth::default()), ProtocolVersion::V3_1_1).unwrap();
    assert_eq!(&bytes[..], &[0xF0, 0x00]);
}

#[test]
fn encoder_fails_only_on_the_unrepresentable() {
    let long = "x".repeat(65_536);
    let connect = Packet::Connect(Box::new(Connect::new(ProtocolVersion::V5, long)));
    assert!(matches!(
        encode_to_bytes(&connect, ProtocolVersion::V5),
        Err(EncodeError::StringTooLong {
            field: "client identifier",
            len: 65_536
        })
    ));
    let mut publish = Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "a".into(),
        packet_id: None,
        properties: Default::default(),
        payload: bytes::Bytes::new(),
    };
    assert_eq!(
        encode_to_bytes(&Packet::Publish(publish.clone()), ProtocolVersion::V3_1_1),
        Err(EncodeError::MissingPacketId)
    );
    publish.packet_id = Some(1);
    publish.properties.rest.subscription_identifiers = vec![268_435_456];
    assert!(matches!(
        encode_to_bytes(&Packet::Publish(publish.clone()), ProtocolVersion::V5),
        Err(EncodeError::VarIntTooLarge { .. })
    ));
    publish.properties.rest.subscription_identifiers.clear();
    publish.payload = vec![0u8; 268_435_455].into();
    assert!(matches!(
        encode_to_bytes(&Packet::Publish(publish), ProtocolVersion::V5),
        Err(EncodeError::PacketTooLarge { .. })
    ));
}

/// A client may send packets right after CONNECT without waiting for
/// CONNACK: a server decodes the CONNECT with any version, then the rest
/// with the CONNECT's.
#[test]
fn pipelined_packets_come_out_one_at_a_time() {
    let connect = Packet::Connect(Box::new(Connect::new(ProtocolVersion::V5, "p")));
    let publish = Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "t".into(),
        packet_id: Some(1),
        properties: Default::default(),
        payload: bytes::Bytes::from_static(b"x"),
    });
    let mut buf = BytesMut::new();
    encode(&connect, ProtocolVersion::V5, &mut buf).unwrap();
    encode(&publish, ProtocolVersion::V5, &mut buf).unwrap();
    encode(
        &Packet::Disconnect(Disconnect::default()),
        ProtocolVersion::V5,
        &mut buf,
    )
    .unwrap();
    let limits = Limits::default();
    let Some(Packet::Connect(c)) = decode(&mut buf, ProtocolVersion::V3_1_1, &limits).unwrap()
    else {
        panic!("expected CONNECT first")
    };
    assert_eq!(decode(&mut buf, c.version, &limits), Ok(Some(publish)));
    assert_eq!(
        decode(&mut buf, c.version, &limits),
        Ok(Some(Packet::Disconnect(Disconnect::default())))
    );
    assert_eq!(decode(&mut buf, c.version, &limits), Ok(None));
    assert!(buf.is_empty());
}
