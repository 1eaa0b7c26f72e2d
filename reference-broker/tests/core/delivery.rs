//! How a will is delivered: like any PUBLISH from its client (QoS
//! downgrade, retained store, Retain As Published, queues for offline
//! sessions, Message Expiry countdown, properties forwarded in order).

use bytes::Bytes;
use lastwill_codec::{Packet, Properties, QoS, RetainHandling, SubscriptionOptions};

use crate::support::*;

#[test]
fn will_qos_is_capped_by_the_subscription() {
    for (will_qos, sub_qos, expected) in [
        (QoS::ExactlyOnce, QoS::AtMostOnce, QoS::AtMostOnce),
        (QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::AtLeastOnce),
        (QoS::AtLeastOnce, QoS::ExactlyOnce, QoS::AtLeastOnce),
        (QoS::ExactlyOnce, QoS::ExactlyOnce, QoS::ExactlyOnce),
    ] {
        for version in [V3, V5] {
            let mut net = Net::new();
            let w = watcher(&mut net, version, "status", sub_qos);
            let connect = lastwill_codec::Connect::new(version, "device")
                .keep_alive(0)
                .will("status", "offline")
                .will_qos(will_qos);
            let device = net.connect(connect);
            net.drop_transport(device);
            let got = net.publishes(w);
            assert_eq!(got.len(), 1);
            assert_eq!(
                got[0].qos, expected,
                "{version} will {will_qos:?} sub {sub_qos:?}"
            );
            assert_eq!(got[0].packet_id.is_some(), expected != QoS::AtMostOnce);
        }
    }
}

#[test]
fn overlapping_subscriptions_get_one_will_at_the_highest_qos() {
    let mut net = Net::new();
    let w = net.connect(v5("w"));
    net.subscribe_with(w, "status/#", SubscriptionOptions::default(), Some(7));
    let options = SubscriptionOptions {
        qos: QoS::AtLeastOnce,
        ..Default::default()
    };
    net.subscribe_with(w, "status/+", options, Some(9));
    let device = net.connect(
        v5("device")
            .will("status/dev", "gone")
            .will_qos(QoS::ExactlyOnce),
    );
    net.drop_transport(device);
    let got = net.publishes(w);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos, QoS::AtLeastOnce);
    // One identifier per matching subscription, in filter order (MQTT-3.3.4-3).
    assert_eq!(got[0].properties.subscription_identifiers, vec![7, 9]);
}

/// SUBSCRIBE to `filter` with `options` and return everything that answers it.
fn subscribe_raw(
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
            filter: filter.to_owned(),
            options,
        }],
    };
    net.send(client, &Packet::Subscribe(subscribe));
    net.packets(client)
}

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

#[test]
fn non_retained_will_is_not_kept() {
    let mut net = Net::new();
    let device = net.connect(v5("device").will("status", "offline"));
    net.drop_transport(device);
    assert_eq!(net.broker.retained_count(), 0);
}

#[test]
fn empty_retained_will_clears_the_retained_message() {
    let mut net = Net::new();
    let device = net.connect(v5("device"));
    let mut online = publish("status", "online", QoS::AtLeastOnce, Some(1));
    online.retain = true;
    net.publish(device, online);
    assert_eq!(net.broker.retained_count(), 1);
    let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
    let device2 = net.connect(v5("device2").will("status", "").will_retain());
    net.drop_transport(device2);
    let got = net.publishes(w);
    assert_eq!(got.len(), 1, "live subscribers still get the empty will");
    assert!(got[0].payload.is_empty());
    assert_eq!(net.broker.retained_count(), 0);
}

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

#[test]
fn will_properties_are_forwarded_unchanged_and_in_order() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
    let users = vec![
        user("z", "1"),
        user("a", "2"),
        user("z", "3"),
        user("m", ""),
    ];
    let expected_users = users.clone();
    let device = net.connect(v5("device").will("status", "offline").will_props(|p| {
        p.payload_format_indicator = Some(1);
        p.content_type = Some("text/plain".to_owned());
        p.response_topic = Some("reply/device".to_owned());
        p.correlation_data = Some(Bytes::from_static(&[0, 1, 2, 255]));
        p.user_properties = users;
        p.will_delay_interval = Some(0);
    }));
    net.drop_transport(device);
    let got = net.publishes(w);
    let props = &got[0].properties;
    assert_eq!(props.payload_format_indicator, Some(1));
    assert_eq!(props.content_type.as_deref(), Some("text/plain"));
    assert_eq!(props.response_topic.as_deref(), Some("reply/device"));
    assert_eq!(
        props.correlation_data,
        Some(Bytes::from_static(&[0, 1, 2, 255]))
    );
    assert_eq!(
        props.user_properties, expected_users,
        "MQTT-3.1.3-10: order kept"
    );
    assert_eq!(
        props.will_delay_interval, None,
        "Will Delay is never forwarded"
    );
    assert_eq!(props.message_expiry_interval, None, "absent stays absent");
}

#[test]
fn will_delay_property_never_appears_on_the_wire() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let device = net.connect(v5("device").sei(10).will("status", "x").will_delay(1));
    net.drop_transport(device);
    net.advance(secs(1));
    let raw = net.raw(w);
    assert!(!raw.is_empty());
    // PUBLISH 0x30, remaining length, topic "status", property length 0, payload.
    assert_eq!(
        &raw[..],
        &[0x30, 10, 0, 6, b's', b't', b'a', b't', b'u', b's', 0, b'x']
    );
}

#[test]
fn queued_will_for_an_offline_subscriber_counts_down_its_expiry() {
    let mut net = Net::new();
    let sub = net.connect(v5("sub").sei(600));
    net.subscribe(sub, "status", QoS::AtLeastOnce);
    net.drop_transport(sub);
    let device = net.connect(
        v5("device")
            .keep_alive(2)
            .will("status", "offline")
            .will_qos(QoS::AtLeastOnce)
            .will_props(|p| p.message_expiry_interval = Some(10)),
    );
    let _ = device;
    net.advance(secs(3)); // keep-alive expiry publishes the will, queued for "sub"
    net.advance(secs(4));
    let (sub, _) = net.connect_ack(v5("sub").clean(false).sei(600));
    let got = net.publishes(sub);
    assert_eq!(payloads(&got), ["offline"]);
    assert_eq!(got[0].qos, QoS::AtLeastOnce);
    assert_eq!(
        got[0].properties.message_expiry_interval,
        Some(6),
        "MQTT-3.3.2-6"
    );
}

#[test]
fn queued_will_that_expired_is_dropped() {
    let mut net = Net::new();
    let sub = net.connect(v5("sub").sei(600));
    net.subscribe(sub, "status", QoS::AtLeastOnce);
    net.drop_transport(sub);
    let device = net.connect(
        v5("device")
            .will("status", "offline")
            .will_qos(QoS::AtLeastOnce)
            .will_props(|p| p.message_expiry_interval = Some(5)),
    );
    net.drop_transport(device);
    net.advance(secs(5));
    let (sub, _) = net.connect_ack(v5("sub").clean(false).sei(600));
    assert!(net.publishes(sub).is_empty(), "MQTT-3.3.2-5");
}

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

#[test]
fn will_on_a_dollar_topic_skips_wildcard_subscribers() {
    let mut net = Net::new();
    let all = watcher(&mut net, V5, "#", QoS::AtMostOnce);
    let sys = watcher(&mut net, V5, "$SYS/#", QoS::AtMostOnce);
    let device = net.connect(v5("device").will("$SYS/device", "gone"));
    net.drop_transport(device);
    assert!(net.publishes(all).is_empty(), "MQTT-4.7.2-1");
    assert_eq!(net.publishes(sys).len(), 1);
}

#[test]
fn large_will_is_not_sent_to_a_client_with_a_small_maximum_packet_size() {
    let mut net = Net::new();
    let mut small = v5("small");
    small.properties.maximum_packet_size = Some(20);
    let small = net.connect(small);
    net.subscribe(small, "status", QoS::AtMostOnce);
    let big = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let device = net.connect(v5("device").will("status", &"x".repeat(100)));
    net.drop_transport(device);
    assert!(net.publishes(small).is_empty(), "MQTT-3.1.2-25");
    assert_eq!(net.publishes(big).len(), 1);
}
