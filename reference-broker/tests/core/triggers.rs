//! What ends a connection, and whether its will is published: one test per
//! trigger, in both versions where both apply. DISCONNECT is in
//! `disconnect.rs`, CONNECT acceptance in `connect.rs`.

use lastwill_broker::{BrokerEvent, CloseCause, WillTrigger};
use lastwill_codec::{Packet, QoS, ReasonCode};

use crate::support::*;

/// Connects a device with a will on `status` and a watcher on `status`.
pub(crate) fn setup(version: lastwill_codec::ProtocolVersion) -> (Net, Client, Client) {
    let mut net = Net::new();
    let w = watcher(&mut net, version, "status", QoS::AtLeastOnce);
    let connect = lastwill_codec::Connect::new(version, "device")
        .keep_alive(0)
        .will("status", "offline");
    let device = net.connect(connect);
    (net, w, device)
}

/// MQTT-3.1.2-8 (3.1.1), MQTT-3.1.2-7 (5.0), MQTT-3.1.2-8 (5.0): an accepted
/// will is stored and published when the connection closes without
/// DISCONNECT. Catalogue A2, B3, B54: the client closes first. Catalogue A7,
/// B6: published at once, with no time passing.
#[test]
fn transport_eof_publishes_the_will_in_both_versions() {
    for version in [V3, V5] {
        let (mut net, w, device) = setup(version);
        assert!(net.publishes(w).is_empty(), "{version}: stored, not sent");
        net.drop_transport(device);
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "{version}");
        assert!(net
            .will_triggers()
            .contains(&WillTrigger::ConnectionClosed(CloseCause::NetworkClosed)));
    }
}

/// MQTT-3.1.2-8 (3.1.1), MQTT-3.1.2-8 (5.0); Catalogue A2, B3: an I/O error
/// or network failure publishes the will.
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

/// MQTT-3.1.2-24 (3.1.1), MQTT-3.1.2-22 (5.0): silence for 1.5 × Keep Alive
/// closes the connection, not a millisecond earlier, and publishes the will
/// (Catalogue A2, B3). MQTT-3.2.2-22 (5.0): without a Server Keep Alive in
/// CONNACK the client's value is the one used.
#[test]
fn keep_alive_expires_at_exactly_one_and_a_half_times() {
    for (version, keep_alive) in [(V3, 1u16), (V5, 1), (V5, 3), (V3, 7)] {
        let mut net = Net::new();
        let w = watcher(&mut net, version, "status", QoS::AtMostOnce);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(keep_alive)
            .will("status", "offline");
        let (device, connack) = net.connect_ack(connect);
        assert_eq!(connack.properties.server_keep_alive, None);
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

/// MQTT-3.1.2-24 (3.1.1), MQTT-3.1.2-22 (5.0): any control packet restarts
/// the keep-alive timer, and Keep Alive 0 turns it off, so no will is
/// published however long the client stays silent.
#[test]
fn any_packet_restarts_keep_alive_and_zero_disables_it() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let w = watcher(&mut net, version, "status", QoS::AtMostOnce);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(2)
            .will("status", "offline");
        let device = net.connect(connect);
        for _ in 0..10 {
            net.advance(ms(2_900));
            net.send(device, &Packet::PingReq);
            assert!(matches!(net.packets(device)[..], [Packet::PingResp]));
        }
        assert!(!net.is_closed(device), "{version}");
        let idle = lastwill_codec::Connect::new(version, "idle")
            .keep_alive(0)
            .will("status", "idle gone");
        let idle = net.connect(idle);
        net.advance(secs(100_000));
        assert!(!net.is_closed(idle), "{version}");
        // `device` is silent now too: it alone times out.
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "{version}");
    }
}

/// MQTT-3.2.2-21 (5.0): a Server Keep Alive in CONNACK replaces the client's
/// value, and the 1.5 × timer runs on it.
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

/// MQTT-4.8.0-1 (3.1.1), MQTT-4.13.1-1 (5.0): a malformed packet after
/// CONNACK closes the connection (5.0 with DISCONNECT 0x81 first); Catalogue
/// A2, B3: a server close for a protocol error publishes the will.
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

/// MQTT-3.1.0-2 (3.1.1), MQTT-3.1.0-2 (5.0): a second CONNECT is a protocol
/// violation that closes the connection and publishes the will.
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

/// MQTT-3.1.2-10 (3.1.1), MQTT-3.1.2-10 (5.0): once published the will is
/// removed, so further close reports and time publish nothing more.
#[test]
fn will_is_published_once_only() {
    for version in [V3, V5] {
        let (mut net, w, device) = setup(version);
        net.drop_transport(device);
        net.drop_transport(device);
        net.reset(device);
        net.send_raw(device, &[0xC0, 0x00]);
        net.advance(secs(1_000));
        assert_eq!(net.publishes(w).len(), 1, "{version}");
    }
}

/// MQTT-3.1.2-12 (3.1.1): with Will Flag 0 nothing is published when the
/// connection ends, whichever way it ends.
#[test]
fn no_will_flag_means_no_will() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let w = watcher(&mut net, version, "#", QoS::AtMostOnce);
        let eof = net.connect(lastwill_codec::Connect::new(version, "eof").keep_alive(0));
        net.drop_transport(eof);
        let silent = net.connect(lastwill_codec::Connect::new(version, "silent").keep_alive(1));
        net.advance(secs(2));
        assert!(net.is_closed(silent));
        let rude = net.connect(lastwill_codec::Connect::new(version, "rude").keep_alive(0));
        net.send_raw(rude, &[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01]);
        assert!(net.is_closed(rude));
        assert!(net.publishes(w).is_empty(), "{version}");
        assert!(net.will_triggers().is_empty(), "{version}");
    }
}
