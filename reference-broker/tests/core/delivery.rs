//! How a will is delivered: like any PUBLISH from its client (QoS
//! downgrade, queues for offline sessions, Message Expiry countdown,
//! properties forwarded in order, topic and payload byte for byte). The
//! retained store is in `retained.rs`.

use bytes::Bytes;
use lastwill_codec::{QoS, SubscriptionOptions};

use crate::support::*;

/// MQTT-3.8.4-6 (3.1.1), MQTT-3.8.4-8 (5.0): the will is delivered at the
/// minimum of the Will QoS and the granted QoS.
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

/// MQTT-3.3.5-1 (3.1.1), MQTT-3.3.4-2 (5.0): with overlapping subscriptions
/// the will is delivered once, at the highest QoS among them (5.0 with every
/// matching Subscription Identifier).
#[test]
fn overlapping_subscriptions_get_one_will_at_the_highest_qos() {
    let mut net = Net::new();
    let w3 = net.connect(v3("w3"));
    net.subscribe(w3, "status/#", QoS::AtMostOnce);
    net.subscribe(w3, "status/+", QoS::AtLeastOnce);
    net.subscribe(w3, "#", QoS::AtMostOnce);
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
    let got = net.publishes(w3);
    assert_eq!(got.len(), 1, "3.1.1");
    assert_eq!(got[0].qos, QoS::AtLeastOnce, "3.1.1");
    let got = net.publishes(w);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos, QoS::AtLeastOnce);
    // One identifier per matching subscription, in filter order.
    assert_eq!(got[0].properties.rest.subscription_identifiers, vec![7, 9]);
}

/// MQTT-3.1.3-10 (5.0), MQTT-3.3.2-17 (5.0), MQTT-3.3.2-18 (5.0): will User
/// Properties reach subscribers unchanged and in order. MQTT-3.3.2-4 (5.0),
/// MQTT-3.3.2-15 (5.0), MQTT-3.3.2-16 (5.0), MQTT-3.3.2-20 (5.0): Payload
/// Format Indicator, Response Topic, Correlation Data and Content Type are
/// forwarded unaltered (Catalogue B23, B28, B29, B30). Catalogue B32: the Will
/// Delay Interval is not. Catalogue B27: no Message Expiry when none was set.
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
        p.content_type = Some("text/plain".into());
        p.response_topic = Some("reply/device".into());
        p.correlation_data = Some(Bytes::from_static(&[0, 1, 2, 255]));
        p.user_properties = users;
        p.will_delay_interval = Some(0);
    }));
    net.drop_transport(device);
    let got = net.publishes(w);
    let props = &got[0].properties;
    assert_eq!(props.payload_format_indicator, Some(1));
    assert_eq!(props.rest.content_type.as_deref(), Some("text/plain"));
    assert_eq!(props.rest.response_topic.as_deref(), Some("reply/device"));
    assert_eq!(
        props.rest.correlation_data,
        Some(Bytes::from_static(&[0, 1, 2, 255]))
    );
    assert_eq!(props.rest.user_properties, expected_users, "order kept");
    assert_eq!(
        props.rest.will_delay_interval, None,
        "Will Delay is never forwarded"
    );
    assert_eq!(props.message_expiry_interval, None, "absent stays absent");
}

/// Catalogue B32: Will Delay Interval (0x18) is a Will Property only; the
/// delayed will's PUBLISH carries no properties at all, byte for byte.
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

/// MQTT-3.3.2-6 (5.0); Catalogue B27: a will queued for an offline session
/// is sent with its Message Expiry Interval minus the time it waited.
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
        "expiry minus the 4 s waited"
    );
}

/// MQTT-3.3.2-5 (5.0): a queued will whose Message Expiry passed is not
/// delivered.
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
    assert!(net.publishes(sub).is_empty(), "expired while queued");
}

/// MQTT-4.7.2-1 (3.1.1), MQTT-4.7.2-1 (5.0): a will on a `$` topic does not
/// match filters starting with `#` or `+`.
#[test]
fn will_on_a_dollar_topic_skips_wildcard_subscribers() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let all = watcher(&mut net, version, "#", QoS::AtMostOnce);
        let plus = watcher(&mut net, version, "+/device", QoS::AtMostOnce);
        let sys = watcher(&mut net, version, "$SYS/#", QoS::AtMostOnce);
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(0)
            .will("$SYS/device", "gone");
        let device = net.connect(connect);
        net.drop_transport(device);
        assert!(net.publishes(all).is_empty(), "{version}");
        assert!(net.publishes(plus).is_empty(), "{version}");
        assert_eq!(net.publishes(sys).len(), 1, "{version}");
    }
}

/// MQTT-3.1.2-24 (5.0), MQTT-3.1.2-25 (5.0): a will larger than a
/// subscriber's Maximum Packet Size is not sent to it, and is discarded as if
/// sent: with Receive Maximum 1 the next QoS 1 message still flows.
#[test]
fn large_will_is_not_sent_to_a_client_with_a_small_maximum_packet_size() {
    let mut net = Net::new();
    let mut small = v5("small");
    small.properties.maximum_packet_size = Some(20);
    small.properties.receive_maximum = Some(1);
    let small = net.connect(small);
    net.subscribe(small, "status", QoS::AtLeastOnce);
    let big = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let device = net.connect(
        v5("device")
            .will("status", &"x".repeat(100))
            .will_qos(QoS::AtLeastOnce),
    );
    net.drop_transport(device);
    assert!(net.publishes(small).is_empty(), "too large for `small`");
    assert_eq!(net.publishes(big).len(), 1);
    let publisher = net.connect(v5("pub"));
    net.publish(
        publisher,
        publish("status", "ok", QoS::AtLeastOnce, Some(1)),
    );
    assert_eq!(payloads(&net.publishes(small)), ["ok"]);
}

/// MQTT-1.5.3-3 (3.1.1), MQTT-1.5.4-3 (5.0): a BOM in the will topic is not
/// stripped. MQTT-3.3.2-1 (5.0), MQTT-3.3.2-3 (5.0), MQTT-4.7.3-4 (5.0): the
/// PUBLISH carries the will topic as sent, and matching applies no
/// normalization, so `status` does not match `\u{FEFF}status`.
#[test]
fn will_topic_reaches_subscribers_byte_for_byte() {
    let topic = "\u{FEFF}status/\u{e9}";
    for version in [V3, V5] {
        let mut net = Net::new();
        let exact = watcher(&mut net, version, topic, QoS::AtMostOnce);
        let plain = watcher(&mut net, version, "status/\u{e9}", QoS::AtMostOnce);
        let decomposed = watcher(
            &mut net,
            version,
            "\u{FEFF}status/e\u{301}",
            QoS::AtMostOnce,
        );
        let connect = lastwill_codec::Connect::new(version, "device")
            .keep_alive(0)
            .will(topic, "gone");
        let device = net.connect(connect);
        net.drop_transport(device);
        let got = net.publishes(exact);
        assert_eq!(got.len(), 1, "{version}");
        assert_eq!(got[0].topic, topic, "{version}");
        assert!(net.publishes(plain).is_empty(), "{version}: BOM kept");
        assert!(
            net.publishes(decomposed).is_empty(),
            "{version}: no normalization"
        );
    }
}

/// Catalogue A17, B34: the published will's payload is exactly the Will
/// Payload's data, empty or binary, with no length prefix.
#[test]
fn will_payload_is_published_as_its_bare_bytes() {
    for (version, props) in [(V3, &[][..]), (V5, &[0u8][..])] {
        for payload in [&b""[..], &[0x00, 0xFF, b'x'][..]] {
            let mut net = Net::new();
            let w = watcher(&mut net, version, "s", QoS::AtMostOnce);
            let mut connect = lastwill_codec::Connect::new(version, "device")
                .keep_alive(0)
                .will("s", "");
            if let Some(will) = connect.will.as_mut() {
                will.payload = Bytes::copy_from_slice(payload);
            }
            let device = net.connect(connect);
            net.drop_transport(device);
            let mut expected = vec![0x30, 0, 0, 1, b's'];
            expected.extend_from_slice(props);
            expected.extend_from_slice(payload);
            expected[1] = u8::try_from(expected.len() - 2).expect("short");
            assert_eq!(&net.raw(w)[..], &expected[..], "{version} {payload:?}");
        }
    }
}
