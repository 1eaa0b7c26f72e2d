//! One test per fault: the same scenario run on a correct broker and on one
//! with the fault switched on, showing the difference a conformance scenario
//! must catch. Faults of delivery to subscribers continue in
//! faults_delivery.rs.

use bytes::Bytes;
use lastwill_broker::{BrokerConfig, Fault, FaultSet};
use lastwill_codec::{Connect, Packet, QoS, ReasonCode, SubscriptionOptions};

use crate::support::*;

/// Runs `scenario` without and with `fault`; returns both results.
pub(crate) fn compare<T>(fault: Fault, scenario: impl Fn(&mut Net) -> T) -> (T, T) {
    let mut good = Net::new();
    let mut bad = Net::with_fault(fault);
    (scenario(&mut good), scenario(&mut bad))
}

/// A watcher on `status` (QoS 2), then `connect`, then `end`; returns the
/// payloads the watcher got after advancing `wait`.
fn will_seen(
    net: &mut Net,
    connect: Connect,
    end: impl FnOnce(&mut Net, Client),
    wait: std::time::Duration,
) -> Vec<String> {
    let w = watcher(net, connect.version, "status", QoS::ExactlyOnce);
    let device = net.connect(connect);
    end(net, device);
    net.advance(wait);
    payloads(&net.publishes(w))
}

fn offline(version: lastwill_codec::ProtocolVersion) -> Connect {
    Connect::new(version, "device")
        .keep_alive(0)
        .will("status", "offline")
}

#[test]
fn every_fault_is_tested_here() {
    // Guards the lists below and in faults_delivery.rs: a new fault needs a
    // new test. The two bridge faults (bridge-drops-retain,
    // bridge-without-will) act in the bridge, not the core: they are tested
    // with the bridged scenarios in harness/tests/nodes_ws.rs. The four
    // authorization faults need an auth config: they are tested in auth.rs.
    assert_eq!(Fault::ALL.len(), 37);
}

#[test]
fn skip_will_on_keep_alive() {
    let (good, bad) = compare(Fault::SkipWillOnKeepAlive, |net| {
        will_seen(net, offline(V3).keep_alive(2), |_, _| {}, secs(3))
    });
    assert_eq!((good.len(), bad.len()), (1, 0));
}

#[test]
fn publish_will_after_normal_disconnect() {
    for version in [V3, V5] {
        let (good, bad) = compare(Fault::PublishWillAfterNormalDisconnect, |net| {
            let end = |net: &mut Net, c| net.disconnect(c, ReasonCode::NORMAL_DISCONNECTION);
            will_seen(net, offline(version), end, secs(1))
        });
        assert_eq!((good.len(), bad.len()), (0, 1), "{version}");
    }
}

#[test]
fn ignore_will_delay() {
    let (good, bad) = compare(Fault::IgnoreWillDelay, |net| {
        let connect = offline(V5).sei(60).will_delay(10);
        will_seen(net, connect, |net, c| net.drop_transport(c), secs(5))
    });
    assert_eq!((good.len(), bad.len()), (0, 1));
}

#[test]
fn keep_will_on_reconnect() {
    let (good, bad) = compare(Fault::KeepWillOnReconnect, |net| {
        let connect = offline(V5).sei(60).will_delay(10);
        let again = connect.clone().clean(false);
        let end = move |net: &mut Net, c| {
            net.drop_transport(c);
            net.advance(secs(2));
            net.connect(again);
        };
        will_seen(net, connect, end, secs(20))
    });
    assert_eq!((good.len(), bad.len()), (0, 1));
}

#[test]
fn drop_will_properties() {
    let (good, bad) = compare(Fault::DropWillProperties, |net| {
        let w = watcher(net, V5, "status", QoS::AtMostOnce);
        let device = net.connect(offline(V5).will_props(|p| {
            p.content_type = Some("text/plain".into());
            p.user_properties = vec![user("k", "v")];
        }));
        net.drop_transport(device);
        net.publishes(w)[0].properties.clone()
    });
    assert_eq!(good.rest.content_type.as_deref(), Some("text/plain"));
    assert_eq!(good.rest.user_properties.len(), 1);
    assert_eq!(bad, lastwill_codec::PublishProperties::default());
}

#[test]
fn reorder_will_user_properties() {
    let (good, bad) = compare(Fault::ReorderWillUserProperties, |net| {
        let w = watcher(net, V5, "status", QoS::AtMostOnce);
        let device = net.connect(
            offline(V5).will_props(|p| p.user_properties = vec![user("a", "1"), user("b", "2")]),
        );
        net.drop_transport(device);
        let props = net.publishes(w)[0].properties.clone();
        props
            .into_values()
            .user_properties
            .into_iter()
            .map(|u| u.name)
            .collect::<Vec<_>>()
    });
    assert_eq!(good, ["a", "b"]);
    assert_eq!(bad, ["b", "a"]);
}

#[test]
fn will_not_retained() {
    let (good, bad) = compare(Fault::WillNotRetained, |net| {
        let device = net.connect(offline(V3).will_retain());
        net.drop_transport(device);
        net.broker.retained_count()
    });
    assert_eq!((good, bad), (1, 0));
}

#[test]
fn will_at_will_qos() {
    let (good, bad) = compare(Fault::WillAtWillQos, |net| {
        let w = watcher(net, V5, "status", QoS::AtMostOnce);
        let device = net.connect(offline(V5).will_qos(QoS::ExactlyOnce));
        net.drop_transport(device);
        net.publishes(w)[0].qos
    });
    assert_eq!((good, bad), (QoS::AtMostOnce, QoS::ExactlyOnce));
}

#[test]
fn disconnect_0x04_as_normal() {
    let (good, bad) = compare(Fault::Disconnect0x04AsNormal, |net| {
        let end = |net: &mut Net, c| net.disconnect(c, ReasonCode::DISCONNECT_WITH_WILL_MESSAGE);
        will_seen(net, offline(V5), end, secs(1))
    });
    assert_eq!((good.len(), bad.len()), (1, 0));
}

#[test]
fn publish_will_twice() {
    let (good, bad) = compare(Fault::PublishWillTwice, |net| {
        will_seen(net, offline(V5), |net, c| net.drop_transport(c), secs(1))
    });
    assert_eq!((good.len(), bad.len()), (1, 2));
}

#[test]
fn forward_will_delay_property() {
    let (good, bad) = compare(Fault::ForwardWillDelayProperty, |net| {
        let w = watcher(net, V5, "status", QoS::AtMostOnce);
        let device = net.connect(offline(V5).sei(60).will_delay(1));
        net.drop_transport(device);
        net.advance(secs(1));
        net.raw(w)
    });
    // A strict decoder rejects 0x18 on PUBLISH; the bytes show it directly.
    let limits = lastwill_codec::Limits::UNLIMITED;
    let decoded =
        |raw: &Bytes| lastwill_codec::decode(&mut bytes::BytesMut::from(&raw[..]), V5, &limits);
    assert!(matches!(decoded(&good), Ok(Some(Packet::Publish(_)))));
    assert!(
        decoded(&bad).is_err(),
        "Will Delay Interval leaked into PUBLISH"
    );
}

#[test]
fn no_will_on_takeover() {
    for version in [V3, V5] {
        let (good, bad) = compare(Fault::NoWillOnTakeover, |net| {
            let end = move |net: &mut Net, _| {
                net.connect(Connect::new(version, "device").keep_alive(0));
            };
            will_seen(net, offline(version), end, secs(1))
        });
        assert_eq!((good.len(), bad.len()), (1, 0), "{version}");
    }
}

#[test]
fn no_will_on_protocol_error() {
    let (good, bad) = compare(Fault::NoWillOnProtocolError, |net| {
        let end = |net: &mut Net, c| net.send(c, &Packet::Connect(Box::new(v5("device"))));
        will_seen(net, offline(V5), end, secs(1))
    });
    assert_eq!((good.len(), bad.len()), (1, 0));
}

#[test]
fn ignore_session_expiry_for_will() {
    // E1 (SEI 0) and delay > SEI: the correct broker publishes at the session end.
    for sei in [0, 5] {
        let (good, bad) = compare(Fault::IgnoreSessionExpiryForWill, |net| {
            let connect = offline(V5).sei(sei).will_delay(60);
            will_seen(net, connect, |net, c| net.drop_transport(c), secs(10))
        });
        assert_eq!((good.len(), bad.len()), (1, 0), "SEI {sei}");
    }
}

#[test]
fn no_message_expiry_countdown() {
    let (good, bad) = compare(Fault::NoMessageExpiryCountdown, |net| {
        let device = net.connect(
            offline(V5)
                .will_retain()
                .will_props(|p| p.message_expiry_interval = Some(10)),
        );
        net.drop_transport(device);
        net.advance(secs(4));
        let late = net.connect(v5("late"));
        let options = SubscriptionOptions::default();
        let packet_id = net.packet_id();
        net.send(
            late,
            &Packet::Subscribe(lastwill_codec::Subscribe {
                packet_id,
                properties: Default::default(),
                subscriptions: vec![lastwill_codec::Subscription {
                    filter: "status".into(),
                    options,
                }],
            }),
        );
        net.publishes(late)[0].properties.message_expiry_interval
    });
    assert_eq!((good, bad), (Some(6), Some(10)));
}

#[test]
fn accept_malformed_will_flags() {
    // 3.1.1 CONNECT, Will Flag 0, Will QoS 1: MQTT-3.1.2-11 (3.1.1).
    let bytes = [
        0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x0A, 0, 0, 0, 1, b'a',
    ];
    let (good, bad) = compare(Fault::AcceptMalformedWillFlags, |net| {
        let c = net.open(V3);
        net.send_raw(c, &bytes);
        (net.is_closed(c), net.packets(c))
    });
    assert!(good.0 && good.1.is_empty());
    assert!(!bad.0);
    assert!(matches!(&bad.1[..], [Packet::ConnAck(a)] if a.reason_code == ReasonCode::SUCCESS));
}

#[test]
fn no_will_on_server_shutdown() {
    let (good, bad) = compare(Fault::NoWillOnServerShutdown, |net| {
        let w = watcher(net, V5, "status", QoS::AtMostOnce);
        let device = net.connect(offline(V5));
        let _ = device;
        net.broker.handle_shutdown(net.now);
        net.pump();
        net.publishes(w).len()
    });
    assert_eq!((good, bad), (1, 0));
}

#[test]
fn will_on_rejected_connect() {
    let run = |faults: FaultSet| {
        let mut net = Net::with_config(BrokerConfig {
            faults,
            retain_available: false,
            ..Default::default()
        });
        let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
        let (_, ack) = net.try_connect(offline(V5).will_retain());
        assert_eq!(
            ack.map(|a| a.reason_code),
            Some(ReasonCode::RETAIN_NOT_SUPPORTED)
        );
        net.publishes(w).len()
    };
    assert_eq!(run(FaultSet::EMPTY), 0);
    assert_eq!(run(Fault::WillOnRejectedConnect.into()), 1);
}

#[test]
fn keep_alive_truncated() {
    // Keep Alive 1: 1.5 s correctly, 1 s when truncated to whole seconds.
    let (good, bad) = compare(Fault::KeepAliveTruncated, |net| {
        let device = net.connect(v5("device").keep_alive(1));
        net.advance(ms(1_200));
        net.is_closed(device)
    });
    assert_eq!((good, bad), (false, true));
}

#[test]
fn discard_will_on_error_disconnect() {
    let (good, bad) = compare(Fault::DiscardWillOnErrorDisconnect, |net| {
        let end = |net: &mut Net, c| net.disconnect(c, ReasonCode::UNSPECIFIED_ERROR);
        will_seen(net, offline(V5), end, secs(1))
    });
    assert_eq!((good.len(), bad.len()), (1, 0));
}

#[test]
fn discard_will_on_invalid_disconnect() {
    let (good, bad) = compare(Fault::DiscardWillOnInvalidDisconnect, |net| {
        let end = |net: &mut Net, c| net.send_raw(c, &[0xE0, 0x01, 0xFF]);
        will_seen(net, offline(V5), end, secs(1))
    });
    assert_eq!((good.len(), bad.len()), (1, 0));
}

#[test]
fn cancel_will_on_clean_start() {
    let (good, bad) = compare(Fault::CancelWillOnCleanStart, |net| {
        let connect = offline(V5).sei(60).will_delay(10);
        let end = |net: &mut Net, c| {
            net.drop_transport(c);
            net.connect(v5("device").clean(true));
        };
        will_seen(net, connect, end, secs(30))
    });
    assert_eq!((good.len(), bad.len()), (1, 0));
}

#[test]
fn accept_malformed_connect() {
    // A wildcard in the will topic is a malformed CONNECT (MQTT-4.7.0-1):
    // refused, never acknowledged with success (MQTT-3.1.4-1).
    let (good, bad) = compare(Fault::AcceptMalformedConnect, |net| {
        let mut connect = v5("device");
        connect = connect.will("status/#", "offline");
        let (client, connack) = net.try_connect(connect);
        (connack.map(|ack| ack.reason_code), net.is_closed(client))
    });
    assert_eq!(good, (Some(ReasonCode::TOPIC_NAME_INVALID), true));
    assert_eq!(bad.0, Some(ReasonCode::SUCCESS));
}

#[test]
fn dollar_topics_match_wildcards() {
    // MQTT-4.7.2-1: a `#` subscription does not see a will on a `$` topic.
    let (good, bad) = compare(Fault::DollarTopicsMatchWildcards, |net| {
        let w = watcher(net, V5, "#", QoS::AtLeastOnce);
        let device = net.connect(v5("device").will("$lw/status", "offline"));
        net.drop_transport(device);
        net.advance(secs(1));
        payloads(&net.publishes(w))
    });
    assert_eq!((good.len(), bad.len()), (0, 1));
}
