//! DISCONNECT in both directions: which client DISCONNECTs delete the will,
//! and what a server DISCONNECT may carry and when it may be sent.

use lastwill_codec::{Disconnect, Packet, QoS, ReasonCode};

use crate::support::*;
use crate::triggers::setup;

/// MQTT-3.14.4-3 (3.1.1), MQTT-3.1.2-10 (3.1.1): a 3.1.1 DISCONNECT deletes
/// the will unpublished, for good, and the server closes the connection.
#[test]
fn v311_disconnect_discards_the_will() {
    let (mut net, w, device) = setup(V3);
    net.send(device, &Packet::Disconnect(Disconnect::default()));
    assert!(net.is_closed(device));
    assert!(net.publishes(w).is_empty());
    // Never published later either: the will is gone.
    net.advance(secs(3600));
    assert!(net.publishes(w).is_empty());
    assert_eq!(net.wills_discarded(), 1);
}

/// MQTT-3.14.4-3 (5.0), MQTT-3.1.2-8 (5.0), MQTT-3.1.2-10 (5.0): only
/// DISCONNECT 0x00 deletes the will; 0x04 and every error code leave it to
/// be published (Catalogue B54).
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
        net.advance(secs(3_600));
        assert!(net.publishes(w).is_empty(), "DISCONNECT {code:#04x}: once");
        assert_eq!(net.wills_discarded(), usize::from(!published));
    }
}

/// MQTT-3.14.1-1 (3.1.1), MQTT-3.14.1-1 (5.0): reserved DISCONNECT flag
/// bits; MQTT-3.14.2-1 (5.0): a reserved reason code; Catalogue B58: a
/// Session Expiry raised from 0. Each is answered (5.0) and closed, and is
/// not a normal disconnection, so the will is published.
#[test]
fn invalid_disconnect_is_answered_and_publishes_the_will() {
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

/// Catalogue B58, MQTT-3.14.4-3 (5.0): a valid DISCONNECT 0x00 may lower the
/// Session Expiry Interval (here to 0, ending the session) and still deletes
/// the will.
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

/// MQTT-3.14.2-2 (5.0): a server DISCONNECT never carries a Session Expiry
/// Interval. MQTT-3.14.4-1 (5.0), MQTT-3.14.4-2 (5.0), MQTT-4.13.2-1 (5.0):
/// it is the last packet on the connection, which is closed, and nothing the
/// client sends afterwards is answered. One case per server-initiated close.
#[test]
fn server_disconnect_is_the_last_packet_and_carries_no_session_expiry() {
    type End = fn(&mut Net, Client);
    let cases: [(&str, End, ReasonCode); 6] = [
        (
            "keep-alive",
            |net, _| net.advance(secs(3)),
            ReasonCode::KEEP_ALIVE_TIMEOUT,
        ),
        (
            "takeover",
            |net, _| {
                net.connect(v5("device").sei(60).clean(false));
            },
            ReasonCode::SESSION_TAKEN_OVER,
        ),
        (
            "PUBLISH QoS 3",
            |net, c| net.send_raw(c, &[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01]),
            ReasonCode::MALFORMED_PACKET,
        ),
        (
            "second CONNECT",
            |net, c| net.send(c, &Packet::Connect(Box::new(v5("device")))),
            ReasonCode::PROTOCOL_ERROR,
        ),
        (
            "reserved DISCONNECT code",
            |net, c| net.send_raw(c, &[0xE0, 0x01, 0xFF]),
            ReasonCode::MALFORMED_PACKET,
        ),
        (
            "shutdown",
            |net, _| {
                net.broker.handle_shutdown(net.now);
                net.pump();
            },
            ReasonCode::SERVER_SHUTTING_DOWN,
        ),
    ];
    for (name, end, reason) in cases {
        let mut net = Net::new();
        let device = net.connect(v5("device").sei(60).keep_alive(2).will("status", "offline"));
        end(&mut net, device);
        assert!(net.is_closed(device), "{name}");
        match net.packets(device).last() {
            Some(Packet::Disconnect(d)) => {
                assert_eq!(d.reason_code, reason, "{name}");
                assert_eq!(d.properties.session_expiry_interval, None, "{name}");
            }
            other => panic!("{name}: expected DISCONNECT last, got {other:?}"),
        }
        net.send(device, &Packet::PingReq);
        assert!(
            net.packets(device).is_empty(),
            "{name}: answered after DISCONNECT"
        );
    }
}

/// MQTT-3.14.0-1 (5.0): no DISCONNECT before a successful CONNACK, whether
/// the CONNECT is malformed, refused, late or never comes, or the server
/// shuts down meanwhile.
#[test]
fn server_sends_no_disconnect_before_a_successful_connack() {
    let mut net = Net::with_config(lastwill_broker::BrokerConfig {
        max_qos: QoS::AtLeastOnce,
        ..Default::default()
    });
    // Malformed: Will QoS 3.
    let malformed = net.open(V5);
    net.send_raw(
        malformed,
        &[
            0x10, 0x14, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x1E, 0, 60, 0, 0, 1, b'c', 0, 0, 1, b't',
            0, 0,
        ],
    );
    // Refused: Will QoS 2 above the server's maximum, with a PINGREQ behind it.
    let refused = net.open(V5);
    let connect = v5("r").will("t", "x").will_qos(QoS::ExactlyOnce);
    let mut bytes = lastwill_codec::encode_to_bytes(&Packet::Connect(Box::new(connect)), V5)
        .expect("encodes")
        .to_vec();
    bytes.extend_from_slice(&[0xC0, 0x00]);
    net.send_raw(refused, &bytes);
    // Not a CONNECT first.
    let ping_first = net.open(V5);
    net.send(ping_first, &Packet::PingReq);
    for (name, c, connack) in [
        ("malformed", malformed, Some(ReasonCode::MALFORMED_PACKET)),
        ("refused", refused, Some(ReasonCode::QOS_NOT_SUPPORTED)),
        ("PINGREQ first", ping_first, None),
    ] {
        assert!(net.is_closed(c), "{name}");
        let packets = net.packets(c);
        match (&packets[..], connack) {
            ([], None) => {}
            ([Packet::ConnAck(ack)], Some(code)) => assert_eq!(ack.reason_code, code, "{name}"),
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
    // Never sends CONNECT: the connect timeout closes silently.
    let slow = net.open(V5);
    net.advance(secs(10));
    assert!(net.is_closed(slow));
    assert!(net.packets(slow).is_empty());
    // Shutdown while a connection awaits CONNECT: closed silently too.
    let waiting = net.open(V5);
    net.broker.handle_shutdown(net.now);
    net.pump();
    assert!(net.is_closed(waiting));
    assert!(net.packets(waiting).is_empty());
}
