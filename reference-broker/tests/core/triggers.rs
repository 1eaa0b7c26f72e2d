//! What ends a connection, and whether its will is published: one test per
//! trigger, in both versions where both apply.

use lastwill_broker::{BrokerEvent, CloseCause, WillTrigger};
use lastwill_codec::{Disconnect, Packet, QoS, ReasonCode};

use crate::support::*;

/// Connects a device with a will on `status` and a watcher on `status`.
fn setup(version: lastwill_codec::ProtocolVersion) -> (Net, Client, Client) {
    let mut net = Net::new();
    let w = watcher(&mut net, version, "status", QoS::AtLeastOnce);
    let connect = lastwill_codec::Connect::new(version, "device")
        .keep_alive(0)
        .will("status", "offline");
    let device = net.connect(connect);
    (net, w, device)
}

#[test]
fn transport_eof_publishes_the_will_in_both_versions() {
    for version in [V3, V5] {
        let (mut net, w, device) = setup(version);
        net.drop_transport(device);
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "{version}");
        assert!(net
            .will_triggers()
            .contains(&WillTrigger::ConnectionClosed(CloseCause::NetworkClosed)));
    }
}

#[test]
fn transport_reset_publishes_the_will() {
    for version in [V3, V5] {
        let (mut net, w, device) = setup(version);
        net.reset(device);
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "{version}");
        assert!(net
            .will_triggers()
            .contains(&WillTrigger::ConnectionClosed(CloseCause::NetworkError)));
    }
}

#[test]
fn v311_disconnect_discards_the_will() {
    let (mut net, w, device) = setup(V3);
    net.send(device, &Packet::Disconnect(Disconnect::default()));
    assert!(net.is_closed(device));
    assert!(net.publishes(w).is_empty());
    // Never published later either: the will is gone (MQTT-3.1.2-10).
    net.advance(secs(3600));
    assert!(net.publishes(w).is_empty());
    assert_eq!(net.wills_discarded(), 1);
}

#[test]
fn v5_disconnect_0x00_discards_and_every_other_code_publishes() {
    for (code, published) in [
        (0x00, false),
        (0x04, true),
        (0x80, true),
        (0x81, true),
        (0x83, true),
        (0x90, true),
        (0x98, true),
    ] {
        let (mut net, w, device) = setup(V5);
        net.disconnect(device, ReasonCode(code));
        assert!(net.is_closed(device));
        let got = net.publishes(w);
        assert_eq!(got.len(), usize::from(published), "DISCONNECT {code:#04x}");
    }
}

#[test]
fn invalid_disconnect_is_answered_and_publishes_the_will() {
    // Reserved flag bits (MQTT-3.14.1-1), a reserved reason code
    // (MQTT-3.14.2-1), and a Session Expiry raised from 0 (§3.14.2.2.2).
    let reserved_bits: &[u8] = &[0xE1, 0x00];
    let reserved_code: &[u8] = &[0xE0, 0x01, 0xFF];
    let cases: [(&str, Option<&[u8]>, ReasonCode); 3] = [
        (
            "reserved bits",
            Some(reserved_bits),
            ReasonCode::MALFORMED_PACKET,
        ),
        (
            "reserved code",
            Some(reserved_code),
            ReasonCode::MALFORMED_PACKET,
        ),
        ("SEI 0 -> 60", None, ReasonCode::PROTOCOL_ERROR),
    ];
    for (name, raw, answer) in cases {
        let (mut net, w, device) = setup(V5);
        match raw {
            Some(bytes) => net.send_raw(device, bytes),
            None => {
                let mut d = Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
                d.properties.session_expiry_interval = Some(60);
                net.send(device, &Packet::Disconnect(d));
            }
        }
        assert!(net.is_closed(device), "{name}");
        assert_eq!(
            disconnect_reason(&net.packets(device)),
            Some(answer),
            "{name}"
        );
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "{name}");
    }
    // In 3.1.1 a DISCONNECT with reserved bits is a protocol violation too.
    let (mut net, w, device) = setup(V3);
    net.send_raw(device, &[0xE2, 0x00]);
    assert!(net.is_closed(device));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
}

#[test]
fn disconnect_may_lower_session_expiry_but_valid_sei_change_keeps_0x00_semantics() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let device = net.connect(v5("device").sei(60).will("status", "offline"));
    let mut d = Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
    d.properties.session_expiry_interval = Some(0);
    net.send(device, &Packet::Disconnect(d));
    assert!(net.publishes(w).is_empty());
    assert!(!net.broker.has_session("device"));
}

#[test]
fn keep_alive_expires_at_exactly_one_and_a_half_times() {
    for (version, keep_alive) in [(V3, 1u16), (V5, 1), (V5, 3), (V3, 7)] {
        let mut net = Net::new();
        let w = watcher(&mut net, version, "status", QoS::AtMostOnce);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(keep_alive)
            .will("status", "offline");
        let device = net.connect(connect);
        let period = u64::from(keep_alive) * 1500;
        net.advance(ms(period - 1));
        assert!(
            !net.is_closed(device),
            "{version} ka {keep_alive}: closed early"
        );
        assert!(net.publishes(w).is_empty());
        net.advance(ms(1));
        assert!(
            net.is_closed(device),
            "{version} ka {keep_alive}: not closed at 1.5x"
        );
        let to_device = net.packets(device);
        if version == V5 {
            assert_eq!(
                disconnect_reason(&to_device),
                Some(ReasonCode::KEEP_ALIVE_TIMEOUT)
            );
        } else {
            assert!(to_device.is_empty(), "3.1.1 servers send no DISCONNECT");
        }
        assert_eq!(payloads(&net.publishes(w)), ["offline"]);
    }
}

#[test]
fn any_packet_restarts_keep_alive_and_zero_disables_it() {
    let mut net = Net::new();
    let device = net.connect(v5("device").keep_alive(2).will("status", "offline"));
    for _ in 0..10 {
        net.advance(ms(2_900));
        net.send(device, &Packet::PingReq);
        assert!(matches!(net.packets(device)[..], [Packet::PingResp]));
    }
    assert!(!net.is_closed(device));
    let idle = net.connect(v5("idle").keep_alive(0));
    net.advance(secs(100_000));
    assert!(!net.is_closed(idle));
}

#[test]
fn server_keep_alive_overrides_the_clients() {
    let mut net = Net::with_config(lastwill_broker::BrokerConfig {
        server_keep_alive: Some(2),
        ..Default::default()
    });
    let (device, connack) = net.connect_ack(v5("device").keep_alive(100));
    assert_eq!(connack.properties.server_keep_alive, Some(2));
    net.advance(ms(2_999));
    assert!(!net.is_closed(device));
    net.advance(ms(1));
    assert!(net.is_closed(device));
}

#[test]
fn protocol_error_after_connack_publishes_the_will() {
    // A PUBLISH with QoS 3 is malformed.
    for version in [V3, V5] {
        let (mut net, w, device) = setup(version);
        net.send_raw(device, &[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01]);
        assert!(net.is_closed(device));
        let answer = disconnect_reason(&net.packets(device));
        if version == V5 {
            assert_eq!(answer, Some(ReasonCode::MALFORMED_PACKET));
        } else {
            assert_eq!(answer, None);
        }
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "{version}");
        assert!(net
            .events
            .iter()
            .any(|e| matches!(e, BrokerEvent::ProtocolViolation { .. })));
    }
}

#[test]
fn second_connect_is_a_protocol_error_that_publishes_the_will() {
    for version in [V3, V5] {
        let (mut net, w, device) = setup(version);
        let again = lastwill_codec::Connect::new(version, "device");
        net.send(device, &Packet::Connect(Box::new(again)));
        assert!(net.is_closed(device));
        if version == V5 {
            let got = disconnect_reason(&net.packets(device));
            assert_eq!(got, Some(ReasonCode::PROTOCOL_ERROR));
        }
        assert_eq!(payloads(&net.publishes(w)), ["offline"]);
        assert!(net.will_triggers().iter().any(|t| matches!(
            t,
            WillTrigger::ConnectionClosed(CloseCause::ProtocolViolation {
                rule: "MQTT-3.1.0-2",
                ..
            })
        )));
    }
}

#[test]
fn will_is_published_once_only() {
    let (mut net, w, device) = setup(V5);
    net.drop_transport(device);
    net.drop_transport(device);
    net.reset(device);
    net.send_raw(device, &[0xC0, 0x00]);
    net.advance(secs(1_000));
    assert_eq!(net.publishes(w).len(), 1);
}

#[test]
fn no_will_flag_means_no_will() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "#", QoS::AtMostOnce);
    let device = net.connect(v5("device"));
    net.drop_transport(device);
    assert!(net.publishes(w).is_empty());
    assert!(net.will_triggers().is_empty());
}

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
    assert!(
        !net.is_closed(device),
        "existing connection untouched (MQTT-3.1.4-6)"
    );
    assert!(net.publishes(w).is_empty());
    // Bytes after a rejected CONNECT are not processed.
    net.send(intruder, &Packet::PingReq);
    assert!(net.packets(intruder).is_empty());
    net.drop_transport(device);
    assert_eq!(payloads(&net.publishes(w)), ["first"]);
}

#[test]
fn connect_refusals_for_will_capabilities() {
    let config = lastwill_broker::BrokerConfig {
        retain_available: false,
        ..Default::default()
    };
    let mut net = Net::with_config(config);
    let (_, ack) = net.try_connect(v5("a").will("t", "x").will_retain());
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::RETAIN_NOT_SUPPORTED)
    );
    let (_, ack) = net.try_connect(v3("a").will("t", "x").will_retain());
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::V3_NOT_AUTHORIZED)
    );
    // PFI 1 with a payload that is not UTF-8: 0x99.
    let mut net = Net::new();
    let mut bad = v5("b")
        .will("t", "x")
        .will_props(|p| p.payload_format_indicator = Some(1));
    if let Some(will) = bad.will.as_mut() {
        will.payload = bytes::Bytes::from_static(&[0xFF, 0xFE]);
    }
    let (_, ack) = net.try_connect(bad);
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::PAYLOAD_FORMAT_INVALID)
    );
    let (_, ack) = net.try_connect(
        v5("c")
            .will("t", "ok")
            .will_props(|p| p.payload_format_indicator = Some(1)),
    );
    assert_eq!(ack.map(|a| a.reason_code), Some(ReasonCode::SUCCESS));
}

#[test]
fn malformed_connect_gets_connack_in_v5_and_silence_in_v311() {
    // Will Flag 0 with Will QoS 1 (3.1.1 MQTT-3.1.2-11 / 5.0 MQTT-3.1.2-11).
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
    assert!(
        net.packets(c3).is_empty(),
        "MQTT-3.1.4-1: no CONNACK in 3.1.1"
    );
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
