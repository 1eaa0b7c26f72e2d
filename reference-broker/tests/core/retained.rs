//! A retained will in the retained store: stored, replaced, cleared by an
//! empty payload, never touched by a non-retained will, and sent to new
//! subscriptions as Retain Handling says.

use bytes::Bytes;
use lastwill_codec::{Packet, Properties, QoS, RetainHandling, SubscriptionOptions};

use crate::support::*;

/// SUBSCRIBE to `filter` with `options` and return everything that answers it.
pub(crate) fn subscribe_raw(
    net: &mut Net,
    client: Client,
    filter: &str,
    options: SubscriptionOptions,
) -> Vec<Packet> {
    let packet_id = net.packet_id();
    let subscribe = lastwill_codec::Subscribe {
        packet_id,
        properties: Properties::default(),
        subscriptions: vec![lastwill_codec::Subscription {
            filter: filter.into(),
            options,
        }],
    };
    net.send(client, &Packet::Subscribe(subscribe));
    net.packets(client)
}

/// MQTT-3.1.2-17 (3.1.1), MQTT-3.1.2-15 (5.0): Will Retain 1 publishes the
/// will as a retained message. MQTT-3.3.1-5 (3.1.1), MQTT-3.3.1-6 (3.1.1),
/// MQTT-3.3.1-8 (3.1.1), MQTT-3.3.1-5 (5.0): it is stored and sent after the
/// SUBACK of a later subscription, with RETAIN 1.
#[test]
fn retained_will_reaches_a_late_subscriber() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(0)
            .will("status", "offline")
            .will_qos(QoS::AtLeastOnce)
            .will_retain();
        let device = net.connect(connect);
        net.drop_transport(device);
        assert_eq!(net.broker.retained_count(), 1);
        let late = net.connect(lastwill_codec::Connect::new(version, "late").keep_alive(0));
        let options = SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            ..Default::default()
        };
        let packets = subscribe_raw(&mut net, late, "status", options);
        assert!(matches!(packets[0], Packet::SubAck(_)), "SUBACK first");
        match &packets[1] {
            Packet::Publish(p) => {
                assert!(p.retain, "{version}: retained delivery has RETAIN 1");
                assert_eq!(p.qos, QoS::AtLeastOnce);
                assert_eq!(p.payload, Bytes::from_static(b"offline"));
            }
            other => panic!("expected the retained will, got {other:?}"),
        }
    }
}

/// MQTT-3.1.2-16 (3.1.1), MQTT-3.1.2-14 (5.0): Will Retain 0 publishes the
/// will as a non-retained message: live subscribers get RETAIN 0, a later
/// subscriber gets nothing.
#[test]
fn non_retained_will_is_not_kept() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let live = watcher(&mut net, version, "status", QoS::AtLeastOnce);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(0)
            .will("status", "offline");
        let device = net.connect(connect);
        net.drop_transport(device);
        let got = net.publishes(live);
        assert_eq!(payloads(&got), ["offline"], "{version}");
        assert!(!got[0].retain, "{version}");
        assert_eq!(net.broker.retained_count(), 0, "{version}");
        let late = net.connect(lastwill_codec::Connect::new(version, "late").keep_alive(0));
        let packets = subscribe_raw(&mut net, late, "status", SubscriptionOptions::default());
        assert!(
            matches!(&packets[..], [Packet::SubAck(_)]),
            "{version}: {packets:?}"
        );
    }
}

/// MQTT-3.3.1-10 (3.1.1), MQTT-3.3.1-11 (3.1.1), MQTT-3.3.1-6 (5.0),
/// MQTT-3.3.1-7 (5.0): a retained will with an empty payload removes the
/// topic's retained message and is not stored itself; live subscribers still
/// get it. Catalogue A17, B34: a zero-length will payload is legal.
#[test]
fn empty_retained_will_clears_the_retained_message() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let device = net.connect(lastwill_codec::Connect::new(version, "device").keep_alive(0));
        let mut online = publish("status", "online", QoS::AtLeastOnce, Some(1));
        online.retain = true;
        net.publish(device, online);
        assert_eq!(net.broker.retained_count(), 1);
        let w = watcher(&mut net, version, "status", QoS::AtLeastOnce);
        let connect = lastwill_codec::Connect::new(version, "device2")
            .keep_alive(0)
            .will("status", "")
            .will_retain();
        let device2 = net.connect(connect);
        net.drop_transport(device2);
        let got = net.publishes(w);
        assert_eq!(
            got.len(),
            1,
            "{version}: live subscribers get the empty will"
        );
        assert!(got[0].payload.is_empty());
        assert_eq!(net.broker.retained_count(), 0, "{version}");
        let late = net.connect(lastwill_codec::Connect::new(version, "late").keep_alive(0));
        let packets = subscribe_raw(&mut net, late, "status", SubscriptionOptions::default());
        assert_eq!(packets.len(), 1, "{version}: only the SUBACK");
    }
}

/// MQTT-3.3.1-9 (3.1.1): a retained will reaches established subscriptions
/// with RETAIN 0. MQTT-3.3.1-12 (5.0), MQTT-3.3.1-13 (5.0): in 5.0 RETAIN
/// follows Retain As Published.
#[test]
fn live_retain_flag_follows_retain_as_published() {
    for (version, rap, expected) in [(V5, false, false), (V5, true, true), (V3, false, false)] {
        let mut net = Net::new();
        let w = net.connect(lastwill_codec::Connect::new(version, "w").keep_alive(0));
        let options = SubscriptionOptions {
            retain_as_published: rap,
            ..Default::default()
        };
        net.subscribe_with(w, "status", options, None);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(0)
            .will("status", "offline")
            .will_retain();
        let device = net.connect(connect);
        net.drop_transport(device);
        let got = net.publishes(w);
        assert_eq!(got[0].retain, expected, "{version} RAP {rap}");
    }
}

/// MQTT-3.3.1-9 (5.0), MQTT-3.3.1-10 (5.0), MQTT-3.3.1-11 (5.0): Retain
/// Handling 0 sends the retained will on every SUBSCRIBE, 1 only on a new
/// subscription, 2 never.
#[test]
fn retain_handling_decides_whether_a_retained_will_is_sent() {
    for (handling, first, second) in [
        (RetainHandling::SendAtSubscribe, 1, 1),
        (RetainHandling::SendAtSubscribeIfNew, 1, 0),
        (RetainHandling::DoNotSend, 0, 0),
    ] {
        let mut net = Net::new();
        let device = net.connect(v5("device").will("status", "offline").will_retain());
        net.drop_transport(device);
        let w = net.connect(v5("w"));
        let options = SubscriptionOptions {
            retain_handling: handling,
            ..Default::default()
        };
        for expected in [first, second] {
            let packets = subscribe_raw(&mut net, w, "status", options);
            let publishes = packets
                .iter()
                .filter(|p| matches!(p, Packet::Publish(_)))
                .count();
            assert_eq!(publishes, expected, "{handling:?}");
        }
    }
}

/// MQTT-3.3.2-5 (5.0), MQTT-3.3.2-6 (5.0); Catalogue B27: a retained will's
/// Message Expiry counts down from publication and the expired will is no
/// longer sent to new subscribers.
#[test]
fn retained_will_expires_too() {
    let mut net = Net::new();
    let device = net.connect(
        v5("device")
            .will("status", "offline")
            .will_retain()
            .will_props(|p| p.message_expiry_interval = Some(5)),
    );
    net.drop_transport(device);
    net.advance(secs(2));
    let late = net.connect(v5("late"));
    let packets = subscribe_raw(&mut net, late, "status", SubscriptionOptions::default());
    match &packets[1] {
        Packet::Publish(p) => assert_eq!(p.properties.message_expiry_interval, Some(3)),
        other => panic!("expected the retained will, got {other:?}"),
    }
    net.advance(secs(3));
    let late2 = net.connect(v5("late2"));
    let packets = subscribe_raw(&mut net, late2, "status", SubscriptionOptions::default());
    assert_eq!(
        packets.len(),
        1,
        "only the SUBACK: the retained will expired"
    );
}

/// MQTT-3.3.1-12 (3.1.1), MQTT-3.3.1-8 (5.0): a non-retained will, empty or
/// not, leaves the retained message on its topic alone.
#[test]
fn non_retained_will_leaves_the_retained_message_alone() {
    for version in [V3, V5] {
        for will_payload in ["offline", ""] {
            let mut net = Net::new();
            let other = net.connect(lastwill_codec::Connect::new(version, "other").keep_alive(0));
            let mut online = publish("status", "online", QoS::AtLeastOnce, Some(1));
            online.retain = true;
            net.publish(other, online);
            let connect = lastwill_codec::Connect::new(version, "device")
                .keep_alive(0)
                .will("status", will_payload);
            let device = net.connect(connect);
            net.drop_transport(device);
            let late = net.connect(lastwill_codec::Connect::new(version, "late").keep_alive(0));
            let packets = subscribe_raw(&mut net, late, "status", SubscriptionOptions::default());
            match &packets[..] {
                [Packet::SubAck(_), Packet::Publish(p)] => {
                    assert_eq!(p.payload, Bytes::from_static(b"online"), "{version}");
                    assert!(p.retain);
                }
                other => panic!("{version} will {will_payload:?}: {other:?}"),
            }
        }
    }
}

/// MQTT-3.3.1-5 (3.1.1), MQTT-3.3.1-7 (3.1.1), MQTT-3.3.1-5 (5.0): a retained
/// will replaces the topic's retained message, also at QoS 0, and a later
/// subscriber gets only the will.
#[test]
fn retained_will_replaces_the_retained_message_even_at_qos_0() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let other = net.connect(lastwill_codec::Connect::new(version, "other").keep_alive(0));
        let mut online = publish("status", "online", QoS::AtLeastOnce, Some(1));
        online.retain = true;
        net.publish(other, online);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(0)
            .will("status", "offline")
            .will_retain();
        let device = net.connect(connect);
        net.drop_transport(device);
        assert_eq!(net.broker.retained_count(), 1, "{version}");
        let late = net.connect(lastwill_codec::Connect::new(version, "late").keep_alive(0));
        let options = SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            ..Default::default()
        };
        let packets = subscribe_raw(&mut net, late, "status", options);
        match &packets[..] {
            [Packet::SubAck(_), Packet::Publish(p)] => {
                assert_eq!(p.payload, Bytes::from_static(b"offline"), "{version}");
                assert_eq!(p.qos, QoS::AtMostOnce, "{version}");
                assert!(p.retain);
            }
            other => panic!("{version}: {other:?}"),
        }
    }
}
