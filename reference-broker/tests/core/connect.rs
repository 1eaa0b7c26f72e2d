//! Accepting and refusing CONNECT: a refused or malformed CONNECT stores no
//! will and disturbs no existing connection or session (3.1.1 MQTT-3.1.4-5,
//! 5.0 MQTT-3.1.4-6), with the CONNACK each version allows.

use lastwill_codec::{Packet, QoS, ReasonCode};

use crate::support::*;

/// MQTT-3.1.4-6 (5.0), MQTT-3.1.2-7 (5.0): a refused CONNECT stores no will,
/// does not take over the connected session and processes nothing after it.
/// MQTT-3.2.2-12 (5.0): a Will QoS above the server's maximum gets 0x9B;
/// MQTT-4.13.2-1 (5.0): the connection is closed after it.
#[test]
fn rejected_connect_stores_no_will_and_leaves_the_session_alone() {
    let mut net = Net::with_config(lastwill_broker::BrokerConfig {
        max_qos: QoS::AtLeastOnce,
        ..Default::default()
    });
    let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
    let device = net.connect(v5("device").sei(60).will("status", "first"));
    // Same client id, but a Will QoS the server does not support: 0x9B.
    let (intruder, connack) = net.try_connect(
        v5("device")
            .will("status", "intruder")
            .will_qos(QoS::ExactlyOnce),
    );
    assert_eq!(
        connack.map(|c| c.reason_code),
        Some(ReasonCode::QOS_NOT_SUPPORTED)
    );
    assert!(net.is_closed(intruder));
    assert!(!net.is_closed(device), "existing connection untouched");
    assert!(net.publishes(w).is_empty());
    // Bytes after a rejected CONNECT are not processed.
    net.send(intruder, &Packet::PingReq);
    assert!(net.packets(intruder).is_empty());
    net.drop_transport(device);
    assert_eq!(payloads(&net.publishes(w)), ["first"]);
}

/// MQTT-3.2.2-13 (5.0): Will Retain 1 without retained-message support gets
/// 0x9A (3.1.1: 0x05); Catalogue B26: a Will Payload that is not the UTF-8
/// its Payload Format Indicator announces gets 0x99. Catalogue A19,
/// MQTT-3.1.4-2 (5.0): a failed server check is a non-zero CONNACK and a
/// close (MQTT-3.2.2-5 (3.1.1), MQTT-4.13.2-1 (5.0)).
#[test]
fn connect_refusals_for_will_capabilities() {
    let config = lastwill_broker::BrokerConfig {
        retain_available: false,
        ..Default::default()
    };
    let mut net = Net::with_config(config);
    let (c, ack) = net.try_connect(v5("a").will("t", "x").will_retain());
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::RETAIN_NOT_SUPPORTED)
    );
    assert!(net.is_closed(c));
    let (c, ack) = net.try_connect(v3("a").will("t", "x").will_retain());
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::V3_NOT_AUTHORIZED)
    );
    assert!(net.is_closed(c));
    // PFI 1 with a payload that is not UTF-8: 0x99.
    let mut net = Net::new();
    let mut bad = v5("b")
        .will("t", "x")
        .will_props(|p| p.payload_format_indicator = Some(1));
    if let Some(will) = bad.will.as_mut() {
        will.payload = bytes::Bytes::from_static(&[0xFF, 0xFE]);
    }
    let (c, ack) = net.try_connect(bad);
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::PAYLOAD_FORMAT_INVALID)
    );
    assert!(net.is_closed(c));
    let (_, ack) = net.try_connect(
        v5("c")
            .will("t", "ok")
            .will_props(|p| p.payload_format_indicator = Some(1)),
    );
    assert_eq!(ack.map(|a| a.reason_code), Some(ReasonCode::SUCCESS));
}

/// MQTT-3.1.4-1 (3.1.1): a malformed CONNECT (Will Flag 0 with Will QoS 1,
/// MQTT-3.1.2-11 (3.1.1)) is closed without CONNACK; MQTT-3.1.4-1 (5.0),
/// MQTT-3.1.2-11 (5.0): in 5.0 a CONNACK 0x82 may precede the close.
#[test]
fn malformed_connect_gets_connack_in_v5_and_silence_in_v311() {
    let v3_bytes = [
        0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x0A, 0, 0, 0, 1, b'a',
    ];
    let v5_bytes = [
        0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x0A, 0, 0, 0, 0, 1, b'a',
    ];
    let mut net = Net::new();
    let c3 = net.open(V3);
    net.send_raw(c3, &v3_bytes);
    assert!(net.is_closed(c3));
    assert!(net.packets(c3).is_empty(), "no CONNACK in 3.1.1");
    let c5 = net.open(V5);
    net.send_raw(c5, &v5_bytes);
    assert!(net.is_closed(c5));
    match &net.packets(c5)[..] {
        [Packet::ConnAck(ack)] => assert_eq!(ack.reason_code, ReasonCode::PROTOCOL_ERROR),
        other => panic!("expected CONNACK 0x82, got {other:?}"),
    }
    // An unknown protocol level gets the 3.1.1 return code 0x01.
    let c = net.open(V3);
    net.send_raw(
        c,
        &[
            0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 9, 2, 0, 0, 0, 1, b'a',
        ],
    );
    match &net.packets(c)[..] {
        [Packet::ConnAck(ack)] => assert_eq!(ack.reason_code, ReasonCode(0x01)),
        other => panic!("expected CONNACK 0x01, got {other:?}"),
    }
}

/// MQTT-3.1.0-1 (3.1.1), MQTT-3.1.0-1 (5.0): the first packet must be
/// CONNECT, and it must come within the connect timeout.
#[test]
fn first_packet_must_be_connect_and_connect_must_come_in_time() {
    let mut net = Net::new();
    let c = net.open(V3);
    net.send(c, &Packet::PingReq);
    assert!(net.is_closed(c));
    assert!(net.packets(c).is_empty());
    let slow = net.open(V5);
    net.advance(secs(9));
    assert!(!net.is_closed(slow));
    net.advance(secs(1));
    assert!(net.is_closed(slow));
}

/// Catalogue B73: a CONNECT (here its will) larger than the server's Maximum
/// Packet Size gets CONNACK 0x95 (3.1.1: 0x05, MQTT-3.2.2-5 (3.1.1)) and a
/// close.
#[test]
fn oversized_connect_is_refused_with_0x95() {
    let mut net = Net::with_config(lastwill_broker::BrokerConfig {
        max_packet_size: 64,
        ..Default::default()
    });
    let big = "x".repeat(100);
    let (c, ack) = net.try_connect(v5("a").will("t", &big));
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::PACKET_TOO_LARGE)
    );
    assert!(net.is_closed(c));
    let (c, ack) = net.try_connect(v3("a").will("t", &big));
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::V3_NOT_AUTHORIZED)
    );
    assert!(net.is_closed(c));
}

/// MQTT-3.1.4-5 (3.1.1), MQTT-3.1.2-8 (3.1.1): a refused 3.1.1 CONNECT for a
/// connected Client Identifier stores no will, leaves the connection and its
/// will alone, and nothing it sends afterwards is processed. MQTT-3.2.2-4
/// (3.1.1), MQTT-3.2.2-5 (3.1.1): the refusal has Session Present 0 although
/// a session exists, and the connection is closed.
#[test]
fn v311_rejected_connect_stores_no_will_and_leaves_the_connection_alone() {
    let mut net = Net::with_config(lastwill_broker::BrokerConfig {
        retain_available: false,
        ..Default::default()
    });
    let w = watcher(&mut net, V3, "status", QoS::AtLeastOnce);
    let device = net.connect(v3("device").clean(false).will("status", "first"));
    let (intruder, connack) = net.try_connect(
        v3("device")
            .clean(false)
            .will("status", "intruder")
            .will_retain(),
    );
    let connack = connack.expect("CONNACK");
    assert_eq!(connack.reason_code, ReasonCode::V3_NOT_AUTHORIZED);
    assert!(!connack.session_present);
    assert!(net.is_closed(intruder));
    assert!(!net.is_closed(device), "existing connection untouched");
    net.send(intruder, &Packet::PingReq);
    assert!(net.packets(intruder).is_empty());
    assert!(net.publishes(w).is_empty());
    net.drop_transport(device);
    assert_eq!(payloads(&net.publishes(w)), ["first"]);
}

/// MQTT-3.1.4-6 (5.0): a refused Clean Start 0 CONNECT neither resumes the
/// offline session nor cancels its pending will, which still fires on time.
/// MQTT-3.2.2-6 (5.0), MQTT-3.2.2-7 (5.0): Session Present 0 with the
/// refusal, then the close.
#[test]
fn refused_connect_neither_resumes_the_session_nor_cancels_its_pending_will() {
    let mut net = Net::with_config(lastwill_broker::BrokerConfig {
        max_qos: QoS::AtLeastOnce,
        ..Default::default()
    });
    let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
    let device = net.connect(
        v5("device")
            .sei(60)
            .will("status", "offline")
            .will_delay(10),
    );
    net.drop_transport(device);
    net.advance(secs(3));
    let (intruder, connack) = net.try_connect(
        v5("device")
            .clean(false)
            .sei(60)
            .will("status", "intruder")
            .will_qos(QoS::ExactlyOnce),
    );
    let connack = connack.expect("CONNACK");
    assert_eq!(connack.reason_code, ReasonCode::QOS_NOT_SUPPORTED);
    assert!(!connack.session_present);
    assert!(net.is_closed(intruder));
    assert!(net.broker.has_session("device"));
    assert_eq!(net.broker.pending_will_count(), 1);
    net.advance(ms(6_999));
    assert!(net.publishes(w).is_empty());
    net.advance(ms(1));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
}

/// A raw CONNECT for client "c", Keep Alive 60, with `flags` and, if given,
/// a will on `will_topic` with payload "x".
fn raw_connect(level: u8, flags: u8, will_topic: Option<&[u8]>) -> Vec<u8> {
    let v5 = level == 5;
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', level, flags, 0, 60];
    if v5 {
        body.push(0);
    }
    body.extend_from_slice(&[0, 1, b'c']);
    if let Some(topic) = will_topic {
        if v5 {
            body.push(0);
        }
        let len = u16::try_from(topic.len()).expect("short topic");
        body.extend_from_slice(&len.to_be_bytes());
        body.extend_from_slice(topic);
        body.extend_from_slice(&[0, 1, b'x']);
    }
    let mut packet = vec![0x10, u8::try_from(body.len()).expect("short CONNECT")];
    packet.extend_from_slice(&body);
    packet
}

/// Malformed wills in CONNECT, seen from the broker: each is closed, 3.1.1
/// without CONNACK (MQTT-3.1.4-1 (3.1.1)), 5.0 at most with an error CONNACK
/// (MQTT-3.1.4-1 (5.0), MQTT-4.13.1-1 (5.0)); no session is created and no
/// will is ever published.
///
/// - wildcard in the will topic: MQTT-4.7.1-1 (3.1.1), MQTT-4.7.0-1 (5.0);
/// - empty will topic: MQTT-4.7.3-1 (3.1.1), MQTT-4.7.3-1 (5.0);
/// - will topic not UTF-8 or with U+0000: MQTT-3.1.3-10 (3.1.1),
///   MQTT-1.5.3-1 (3.1.1), MQTT-1.5.3-2 (3.1.1), MQTT-3.1.3-11 (5.0),
///   MQTT-1.5.4-1 (5.0), MQTT-1.5.4-2 (5.0);
/// - Will QoS 3: MQTT-3.1.2-14 (3.1.1), MQTT-3.1.2-12 (5.0);
/// - will fields missing: MQTT-3.1.2-9 (3.1.1), MQTT-3.1.2-9 (5.0);
/// - reserved flag set: MQTT-3.1.2-3 (3.1.1), MQTT-3.1.2-3 (5.0).
#[test]
fn malformed_will_in_connect_is_refused_and_stores_nothing() {
    let cases: [(&str, u8, Option<&[u8]>); 8] = [
        ("'#' in will topic", 0x06, Some(b"a/#".as_slice())),
        ("'+' in will topic", 0x06, Some(b"a/+".as_slice())),
        ("empty will topic", 0x06, Some(b"".as_slice())),
        ("U+0000 in will topic", 0x06, Some(b"a\0b".as_slice())),
        (
            "surrogate in will topic",
            0x06,
            Some([0xED, 0xA0, 0x80].as_slice()),
        ),
        ("Will QoS 3", 0x1E, Some(b"t".as_slice())),
        ("will fields missing", 0x06, None),
        ("reserved flag", 0x07, Some(b"t".as_slice())),
    ];
    for version in [V3, V5] {
        for (name, flags, topic) in cases {
            let mut net = Net::new();
            let w = watcher(&mut net, version, "#", QoS::AtLeastOnce);
            let c = net.open(version);
            net.send_raw(c, &raw_connect(version.level(), flags, topic));
            assert!(net.is_closed(c), "{version} {name}");
            match &net.packets(c)[..] {
                [] => {}
                [Packet::ConnAck(ack)] if version == V5 => {
                    assert!(ack.reason_code.is_error(), "{name}: {ack:?}");
                    assert!(!ack.session_present, "{name}");
                }
                other => panic!("{version} {name}: {other:?}"),
            }
            assert!(!net.broker.has_session("c"), "{version} {name}");
            net.advance(secs(3_600));
            assert!(net.publishes(w).is_empty(), "{version} {name}");
            assert!(net.will_triggers().is_empty(), "{version} {name}");
        }
    }
}
