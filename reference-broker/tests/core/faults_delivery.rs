//! One test per fault of delivery to subscribers (RETAIN flag, retained
//! store, topic, size, No Local, QoS, offline queue), in the style of
//! faults.rs: the same scenario on a correct broker and on a faulty one.

use lastwill_broker::Fault;
use lastwill_codec::{Connect, QoS, SubscriptionOptions};

use crate::faults::compare;
use crate::support::*;

fn offline(version: lastwill_codec::ProtocolVersion) -> Connect {
    Connect::new(version, "device")
        .keep_alive(0)
        .will("status", "offline")
}

#[test]
fn live_delivery_retained() {
    // 3.1.1 MQTT-3.3.1-9, 5.0 MQTT-3.3.1-12 (Retain As Published 0): an
    // established subscription gets the retained will with RETAIN 0.
    for version in [V3, V5] {
        let (good, bad) = compare(Fault::LiveDeliveryRetained, |net| {
            let w = watcher(net, version, "status", QoS::AtLeastOnce);
            let device = net.connect(offline(version).will_retain());
            net.drop_transport(device);
            let publishes = net.publishes(w);
            assert_eq!(payloads(&publishes), ["offline"], "{version}");
            (publishes[0].retain, net.broker.retained_count())
        });
        assert_eq!(good, (false, 1), "{version}");
        assert_eq!(bad, (true, 1), "{version}");
    }
}

#[test]
fn retain_every_will() {
    // 3.1.1 MQTT-3.1.2-16, 5.0 MQTT-3.1.2-14: a Will Retain 0 will is not
    // stored, so a late subscriber gets nothing.
    for version in [V3, V5] {
        let (good, bad) = compare(Fault::RetainEveryWill, |net| {
            let device = net.connect(offline(version));
            net.drop_transport(device);
            let late = net.connect(Connect::new(version, "late").keep_alive(0));
            net.subscribe(late, "status", QoS::AtLeastOnce);
            payloads(&net.publishes(late))
        });
        assert!(good.is_empty(), "{version}");
        assert_eq!(bad, ["offline"], "{version}");
    }
}

#[test]
fn strip_bom_from_will_topic() {
    // MQTT-1.5.3-3 (3.1.1), MQTT-1.5.4-3 (5.0): U+FEFF is kept, at the start
    // of the topic and at the start of a level alike.
    for topic in ["\u{FEFF}status", "lw/\u{FEFF}status"] {
        let (good, bad) = compare(Fault::StripBomFromWillTopic, |net| {
            let w = watcher(net, V5, "#", QoS::AtLeastOnce);
            let device = net.connect(v5("device").will(topic, "offline"));
            net.drop_transport(device);
            let publishes = net.publishes(w);
            assert_eq!(publishes.len(), 1, "{topic:?}");
            publishes[0].topic.clone()
        });
        assert_eq!(good, topic);
        assert_eq!(bad, topic.replace('\u{FEFF}', ""));
    }
}

#[test]
fn ignore_maximum_packet_size() {
    // MQTT-3.1.2-24 / -25 (5.0): a will larger than the subscriber's Maximum
    // Packet Size is not sent to it.
    let (good, bad) = compare(Fault::IgnoreMaximumPacketSize, |net| {
        let mut small = v5("small");
        small.properties.maximum_packet_size = Some(20);
        let small = net.connect(small);
        net.subscribe(small, "status", QoS::AtLeastOnce);
        let device = net.connect(v5("device").will("status", &"x".repeat(100)));
        net.drop_transport(device);
        net.raw(small).len()
    });
    assert_eq!(good, 0);
    assert!(bad > 20, "a {bad}-byte PUBLISH to a 20-byte client");
}

#[test]
fn no_local_ignored_for_wills() {
    // MQTT-3.8.3-3 (5.0): the device's own No Local subscription does not
    // receive its will; the resumed session finds nothing queued.
    let (good, bad) = compare(Fault::NoLocalIgnoredForWills, |net| {
        let device = net.connect(
            v5("device")
                .sei(60)
                .will("status", "offline")
                .will_qos(QoS::AtLeastOnce),
        );
        let options = SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            no_local: true,
            ..Default::default()
        };
        net.subscribe_with(device, "status", options, None);
        net.drop_transport(device);
        let again = net.connect(v5("device").sei(60).clean(false));
        payloads(&net.publishes(again))
    });
    assert!(good.is_empty());
    assert_eq!(bad, ["offline"]);
}

#[test]
fn will_qos_upgraded() {
    // 3.1.1 MQTT-3.8.4-6, 5.0 MQTT-3.8.4-8: delivered QoS is the minimum of
    // the two. A QoS 0 will to a QoS 2 subscription stays QoS 0.
    let scenario = |net: &mut Net, will_qos: QoS, sub_qos: QoS| {
        let w = watcher(net, V5, "status", sub_qos);
        let device = net.connect(offline(V5).will_qos(will_qos));
        net.drop_transport(device);
        net.publishes(w)[0].qos
    };
    let (good, bad) = compare(Fault::WillQosUpgraded, |net| {
        scenario(net, QoS::AtMostOnce, QoS::ExactlyOnce)
    });
    assert_eq!((good, bad), (QoS::AtMostOnce, QoS::ExactlyOnce));
    // Unlike will-at-will-qos, which is correct here and wrong the other way.
    let mut at_will_qos = Net::with_fault(Fault::WillAtWillQos);
    let low_will = scenario(&mut at_will_qos, QoS::AtMostOnce, QoS::ExactlyOnce);
    assert_eq!(low_will, QoS::AtMostOnce);
    let (good, bad) = compare(Fault::WillQosUpgraded, |net| {
        scenario(net, QoS::ExactlyOnce, QoS::AtMostOnce)
    });
    assert_eq!((good, bad), (QoS::AtMostOnce, QoS::AtMostOnce));
}

#[test]
fn drop_queued_wills() {
    // 3.1.1 MQTT-3.1.2-4 / -5, 5.0 §4.1 and MQTT-3.1.2-23: a QoS 1 will
    // published while a persistent subscriber is offline is delivered when
    // its session resumes.
    for version in [V3, V5] {
        let (good, bad) = compare(Fault::DropQueuedWills, |net| {
            let persistent = Connect::new(version, "sub").keep_alive(0).clean(false);
            let persistent = if version == V5 {
                persistent.sei(60)
            } else {
                persistent
            };
            let sub = net.connect(persistent.clone());
            net.subscribe(sub, "status", QoS::AtLeastOnce);
            net.drop_transport(sub);
            let device = net.connect(offline(version).will_qos(QoS::AtLeastOnce));
            net.drop_transport(device);
            let sub = net.connect(persistent);
            payloads(&net.publishes(sub))
        });
        assert_eq!(good, ["offline"], "{version}");
        assert!(bad.is_empty(), "{version}");
    }
}
