//! The rest of a real broker: CONNACK, QoS flows, topic aliases,
//! subscriptions, shutdown.

use lastwill_broker::{BrokerConfig, BrokerEvent, SessionEndReason, WillTrigger};
use lastwill_codec::{Packet, Properties, PublishResponse, QoS, ReasonCode, Unsubscribe};

use crate::support::*;

/// MQTT-3.2.2-9 (5.0): a server without QoS 2 advertises Maximum QoS; also
/// Retain Available 0 (for MQTT-3.2.2-13 (5.0)) and, Catalogue B20, the capped
/// Session Expiry Interval the session will actually use.
#[test]
fn connack_advertises_capabilities() {
    let mut net = Net::with_config(BrokerConfig {
        max_qos: QoS::AtLeastOnce,
        retain_available: false,
        max_session_expiry: Some(100),
        max_packet_size: 4096,
        ..Default::default()
    });
    let (_, ack) = net.connect_ack(v5("").sei(1_000));
    let p = &ack.properties;
    assert_eq!(p.maximum_qos, Some(1));
    assert_eq!(p.retain_available, Some(0));
    assert_eq!(p.session_expiry_interval, Some(100));
    assert_eq!(p.maximum_packet_size, Some(4096));
    assert_eq!(p.topic_alias_maximum, Some(16));
    assert_eq!(p.shared_subscription_available, Some(0));
    assert_eq!(p.wildcard_subscription_available, Some(1));
    assert_eq!(p.subscription_identifier_available, Some(1));
    let assigned = p.assigned_client_identifier.clone().expect("assigned id");
    assert!(assigned.starts_with("lastwill-"));
    assert!(net.broker.has_session(&assigned));
    let (_, ack) = net.connect_ack(v5("x").sei(50));
    assert_eq!(
        ack.properties.session_expiry_interval, None,
        "not capped, not echoed"
    );
    assert_eq!(ack.properties.assigned_client_identifier, None);
}

#[test]
fn v311_empty_client_id() {
    let mut net = Net::new();
    let (c, ack) = net.try_connect(v3("").clean(false));
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::V3_IDENTIFIER_REJECTED)
    );
    assert!(net.is_closed(c));
    let (c, ack) = net.try_connect(v3("").clean(true));
    assert_eq!(ack.map(|a| a.reason_code), Some(ReasonCode::SUCCESS));
    assert!(!net.is_closed(c));
}

/// MQTT-3.1.2-23 (5.0), MQTT-4.1.0-2 (5.0): a session is kept for its Session
/// Expiry Interval after the close, then discarded; MQTT-3.1.2-5 (5.0):
/// Clean Start 0 within it resumes it. MQTT-3.1.2-4 (3.1.1): a 3.1.1 Clean
/// Session 0 session is kept indefinitely.
#[test]
fn session_present_and_expiry() {
    let mut net = Net::new();
    let (c, ack) = net.connect_ack(v5("a").sei(10).clean(false));
    assert!(!ack.session_present);
    net.drop_transport(c);
    net.advance(secs(9));
    let (c, ack) = net.connect_ack(v5("a").sei(10).clean(false));
    assert!(ack.session_present);
    net.drop_transport(c);
    net.advance(secs(10));
    assert!(!net.broker.has_session("a"));
    assert!(net.events.iter().any(|e| matches!(
        e,
        BrokerEvent::SessionEnded {
            reason: SessionEndReason::Expired,
            ..
        }
    )));
    // 3.1.1 Clean Session 0 never expires.
    let c = net.connect(v3("b").clean(false));
    net.drop_transport(c);
    net.advance(secs(10_000_000));
    assert!(net.broker.has_session("b"));
}

#[test]
fn qos1_and_qos2_flows_in_both_directions() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let sub = watcher(&mut net, version, "t", QoS::ExactlyOnce);
        let publisher = net.connect(lastwill_codec::Connect::new(version, "pub").keep_alive(0));
        net.publish(publisher, publish("t", "one", QoS::AtLeastOnce, Some(5)));
        assert!(matches!(&net.packets(publisher)[..], [Packet::PubAck(a)] if a.packet_id == 5));
        net.publish(publisher, publish("t", "two", QoS::ExactlyOnce, Some(6)));
        // A duplicate before PUBREL is acknowledged but not delivered twice.
        let mut dup = publish("t", "two", QoS::ExactlyOnce, Some(6));
        dup.dup = true;
        net.publish(publisher, dup);
        let acks = net.packets(publisher);
        assert_eq!(acks.len(), 2);
        assert!(acks
            .iter()
            .all(|p| matches!(p, Packet::PubRec(r) if r.packet_id == 6)));
        net.send(publisher, &Packet::PubRel(PublishResponse::new(6)));
        assert!(
            matches!(&net.packets(publisher)[..], [Packet::PubComp(c)] if c.reason_code == ReasonCode::SUCCESS)
        );

        let got = net.publishes(sub);
        assert_eq!(payloads(&got), ["one", "two"], "{version}");
        // Outbound QoS 2: PUBREC → PUBREL → PUBCOMP.
        let id = got[1].packet_id.expect("id");
        net.send(sub, &Packet::PubRec(PublishResponse::new(id)));
        assert!(matches!(&net.packets(sub)[..], [Packet::PubRel(r)] if r.packet_id == id));
        net.send(sub, &Packet::PubComp(PublishResponse::new(id)));
        net.ack(sub, &got[0]);
        assert!(net.packets(sub).is_empty());
    }
}

#[test]
fn unacknowledged_messages_are_resent_on_resumption() {
    let mut net = Net::new();
    let sub = net.connect(v5("sub").sei(60));
    net.subscribe(sub, "t", QoS::AtLeastOnce);
    let publisher = net.connect(v5("pub"));
    net.publish(publisher, publish("t", "m", QoS::AtLeastOnce, Some(1)));
    let first = net.publishes(sub);
    assert!(!first[0].dup);
    net.drop_transport(sub);
    let sub = net.connect(v5("sub").sei(60).clean(false));
    let again = net.publishes(sub);
    assert_eq!(payloads(&again), ["m"]);
    assert!(again[0].dup);
    assert_eq!(again[0].packet_id, first[0].packet_id);
}

#[test]
fn receive_maximum_limits_messages_in_flight() {
    let mut net = Net::new();
    let mut connect = v5("sub");
    connect.properties.receive_maximum = Some(2);
    let sub = net.connect(connect);
    net.subscribe(sub, "t", QoS::AtLeastOnce);
    let publisher = net.connect(v5("pub"));
    for i in 1..=5u16 {
        net.publish(
            publisher,
            publish("t", &i.to_string(), QoS::AtLeastOnce, Some(i)),
        );
    }
    let first = net.publishes(sub);
    assert_eq!(payloads(&first), ["1", "2"]);
    net.ack(sub, &first[0]);
    assert_eq!(payloads(&net.publishes(sub)), ["3"]);
}

#[test]
fn topic_aliases_are_resolved_and_checked() {
    let mut net = Net::new();
    let sub = watcher(&mut net, V5, "long/topic/name", QoS::AtMostOnce);
    let publisher = net.connect(v5("pub"));
    let mut first = publish("long/topic/name", "a", QoS::AtMostOnce, None);
    first.properties.topic_alias = Some(3);
    net.publish(publisher, first);
    let mut second = publish("", "b", QoS::AtMostOnce, None);
    second.properties.topic_alias = Some(3);
    net.publish(publisher, second);
    let got = net.publishes(sub);
    assert_eq!(payloads(&got), ["a", "b"]);
    assert!(got
        .iter()
        .all(|p| p.topic == "long/topic/name" && p.properties.topic_alias.is_none()));
    let mut too_big = publish("x", "c", QoS::AtMostOnce, None);
    too_big.properties.topic_alias = Some(17);
    net.publish(publisher, too_big);
    assert_eq!(
        disconnect_reason(&net.packets(publisher)),
        Some(ReasonCode::TOPIC_ALIAS_INVALID)
    );
    assert!(net.is_closed(publisher));
}

#[test]
fn publish_above_maximum_qos_or_with_retain_unavailable_is_refused() {
    let mut net = Net::with_config(BrokerConfig {
        max_qos: QoS::AtMostOnce,
        retain_available: false,
        ..Default::default()
    });
    let c = net.connect(v5("a"));
    net.publish(c, publish("t", "x", QoS::AtLeastOnce, Some(1)));
    assert_eq!(
        disconnect_reason(&net.packets(c)),
        Some(ReasonCode::QOS_NOT_SUPPORTED)
    );
    let c = net.connect(v5("b"));
    let mut retained = publish("t", "x", QoS::AtMostOnce, None);
    retained.retain = true;
    net.publish(c, retained);
    assert_eq!(
        disconnect_reason(&net.packets(c)),
        Some(ReasonCode::RETAIN_NOT_SUPPORTED)
    );
}

#[test]
fn subscribe_caps_granted_qos_and_refuses_shared_subscriptions() {
    let mut net = Net::with_config(BrokerConfig {
        max_qos: QoS::AtLeastOnce,
        ..Default::default()
    });
    let c = net.connect(v5("a"));
    let ack = net.subscribe(c, "t", QoS::ExactlyOnce);
    assert_eq!(ack.reason_codes, [ReasonCode::GRANTED_QOS_1]);
    let ack = net.subscribe(c, "$share/g/t", QoS::AtMostOnce);
    assert_eq!(
        ack.reason_codes,
        [ReasonCode::SHARED_SUBSCRIPTIONS_NOT_SUPPORTED]
    );
}

#[test]
fn unsubscribe_stops_delivery() {
    for version in [V3, V5] {
        let mut net = Net::new();
        let w = watcher(&mut net, version, "t", QoS::AtMostOnce);
        let packet_id = net.packet_id();
        let unsubscribe = Unsubscribe {
            packet_id,
            properties: Properties::default(),
            filters: vec!["t".into(), "never".into()],
        };
        net.send(w, &Packet::Unsubscribe(unsubscribe));
        match &net.packets(w)[..] {
            [Packet::UnsubAck(ack)] => {
                if version == V5 {
                    let expected = [ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED];
                    assert_eq!(ack.reason_codes, expected);
                }
            }
            other => panic!("expected UNSUBACK, got {other:?}"),
        }
        let device = net.connect(
            lastwill_codec::Connect::new(version, "d")
                .keep_alive(0)
                .will("t", "x"),
        );
        net.drop_transport(device);
        assert!(net.publishes(w).is_empty());
    }
}

/// Catalogue A7, B6: on shutdown this broker does not defer wills to a
/// restart (a MAY it cannot keep in memory): every will, live or pending, is
/// published while subscribers are still connected, then 5.0 clients get
/// DISCONNECT 0x8B.
#[test]
fn shutdown_publishes_every_will_then_disconnects() {
    let mut net = Net::new();
    let w5 = watcher(&mut net, V5, "status/#", QoS::AtLeastOnce);
    let w3 = watcher(&mut net, V3, "status/#", QoS::AtLeastOnce);
    let live = net.connect(
        v5("live")
            .sei(60)
            .will("status/live", "live")
            .will_delay(30),
    );
    let legacy = net.connect(v3("legacy").will("status/legacy", "legacy"));
    let pending = net.connect(
        v5("pending")
            .sei(600)
            .will("status/pending", "pending")
            .will_delay(300),
    );
    net.drop_transport(pending);
    assert_eq!(net.broker.pending_will_count(), 1);
    let awaiting = net.open(V5);
    net.take_events();

    net.broker.handle_shutdown(net.now);
    net.pump();
    for w in [w5, w3] {
        let packets = net.packets(w);
        let publishes: Vec<_> = packets
            .iter()
            .filter_map(|p| match p {
                Packet::Publish(p) => Some(String::from_utf8_lossy(&p.payload).into_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(publishes.len(), 3, "{publishes:?}");
        for name in ["live", "legacy", "pending"] {
            assert!(publishes.iter().any(|p| p == name), "{name} missing");
        }
        // Wills first, then the server's DISCONNECT (5.0 only).
        if w == w5 {
            assert!(
                matches!(packets.last(), Some(Packet::Disconnect(d)) if d.reason_code == ReasonCode::SERVER_SHUTTING_DOWN)
            );
        } else {
            assert!(packets.iter().all(|p| !matches!(p, Packet::Disconnect(_))));
        }
    }
    for c in [w5, w3, live, legacy, awaiting] {
        assert!(net.is_closed(c));
    }
    assert!(net
        .will_triggers()
        .iter()
        .all(|t| *t == WillTrigger::ServerShutdown));
    assert_eq!(net.broker.poll_timeout(), None);
    assert_eq!(net.broker.connection_count(), 0);
    // Shutdown is final and idempotent.
    net.broker.handle_shutdown(net.now);
    let late = net.open(V5);
    assert!(net.is_closed(late));
}

#[test]
fn connection_limit_refuses_with_quota_exceeded() {
    let mut net = Net::with_config(BrokerConfig {
        max_connections: Some(1),
        ..Default::default()
    });
    let first = net.connect(v5("a"));
    let (_, ack) = net.try_connect(v5("b"));
    assert_eq!(ack.map(|a| a.reason_code), Some(ReasonCode::QUOTA_EXCEEDED));
    let (_, ack) = net.try_connect(v3("c"));
    assert_eq!(
        ack.map(|a| a.reason_code),
        Some(ReasonCode::V3_SERVER_UNAVAILABLE)
    );
    // Taking over its own session does not count against the limit.
    net.connect(v5("a"));
    assert!(net.is_closed(first));
}

/// MQTT-4.13.1-1 (5.0): a Protocol Error (a packet only servers send, or AUTH
/// without a method) closes the connection after DISCONNECT 0x82, and the
/// will follows (Catalogue B3).
#[test]
fn packets_a_client_may_not_send_close_the_connection() {
    let cases = [
        Packet::Auth(Default::default()),
        Packet::ConnAck(Default::default()),
        Packet::PingResp,
    ];
    for packet in cases {
        let mut net = Net::new();
        let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
        let c = net.connect(v5("c").will("status", "gone"));
        net.send(c, &packet);
        assert!(net.is_closed(c), "{packet:?}");
        assert_eq!(
            disconnect_reason(&net.packets(c)),
            Some(ReasonCode::PROTOCOL_ERROR)
        );
        assert_eq!(net.publishes(w).len(), 1, "{packet:?}: the will follows");
    }
}

#[test]
fn every_event_displays_as_one_line() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let c = net.connect(v5("c").sei(10).will("status", "gone").will_delay(5));
    net.drop_transport(c);
    net.advance(secs(20));
    net.send(w, &Packet::PingResp);
    net.broker.handle_shutdown(net.now);
    net.pump();
    assert!(net.events.len() > 8);
    for event in &net.events {
        let line = event.to_string();
        assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
    }
}
