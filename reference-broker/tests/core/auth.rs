//! Authentication and topic authorization (`lastwill_broker::auth`):
//! credentials at CONNECT (MQTT-3.1.4-2 (5.0), catalogue B36; A19 (3.1.1)),
//! the will topic in both models of catalogue E7, ordinary PUBLISH
//! (MQTT-3.3.5-2 (3.1.1)) and SUBSCRIBE. The proptest at the end states the
//! invariant: no will ever reaches a topic its client may not publish to.

use std::sync::Arc;

use bytes::Bytes;
use lastwill_broker::auth::{AuthRules, WillAuthorization};
use lastwill_broker::{BrokerConfig, BrokerEvent, Fault, FaultSet, WillDiscardReason};
use lastwill_codec::{Connect, MqttString, Packet, ProtocolVersion, QoS, ReasonCode};
use proptest::prelude::*;

use crate::support::*;

const RULES: &str = "allow-anonymous true\n\
                     user u p\n\
                     topic readwrite ok/#\n\
                     anonymous\n\
                     topic readwrite #\n";

fn config(mode: WillAuthorization, faults: FaultSet) -> BrokerConfig {
    BrokerConfig {
        auth: Some(Arc::new(AuthRules::parse(RULES).expect("valid rules"))),
        will_authorization: mode,
        faults,
        ..BrokerConfig::default()
    }
}

fn net(mode: WillAuthorization) -> Net {
    Net::with_config(config(mode, FaultSet::EMPTY))
}

fn as_user(mut connect: Connect, password: &str) -> Connect {
    connect.username = Some("u".into());
    connect.password = Some(Bytes::copy_from_slice(password.as_bytes()));
    connect
}

fn connect_for(version: ProtocolVersion, id: &str) -> Connect {
    Connect::new(version, id).keep_alive(0)
}

fn refusal(net: &mut Net, connect: Connect) -> ReasonCode {
    let (client, ack) = net.try_connect(connect);
    assert!(net.is_closed(client), "a refused CONNECT is closed");
    ack.expect("a CONNACK before the close").reason_code
}

fn denied_discards(net: &mut Net) -> usize {
    net.take_events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                BrokerEvent::WillDiscarded {
                    reason: WillDiscardReason::NotAuthorized,
                    ..
                }
            )
        })
        .count()
}

/// MQTT-3.1.4-2 (5.0), A19 / A22 (3.1.1): a wrong password gets 0x86 / 4,
/// a refused anonymous client 0x87 / 5, good credentials 0x00.
#[test]
fn credentials_at_connect() {
    for (version, bad, refused) in [(V5, 0x86, 0x87), (V3, 0x04, 0x05)] {
        let mut net = net(WillAuthorization::AtConnect);
        let code = refusal(&mut net, as_user(connect_for(version, "a"), "wrong"));
        assert_eq!(code, ReasonCode(bad), "{version:?}");
        net.connect(as_user(connect_for(version, "b"), "p"));
        net.connect(connect_for(version, "anonymous"));

        let mut closed = config(WillAuthorization::AtConnect, FaultSet::EMPTY);
        let mut rules = AuthRules::parse(RULES).expect("valid rules");
        rules.allow_anonymous = false;
        closed.auth = Some(Arc::new(rules));
        let mut net = Net::with_config(closed);
        let code = refusal(&mut net, connect_for(version, "c"));
        assert_eq!(code, ReasonCode(refused), "{version:?}");
    }
}

/// MQTT-3.1.4-2 (5.0) with catalogue E7's first model: a will on a denied
/// topic refuses the CONNECT with 0x87 / 3.1.1 code 5 and is never stored
/// (MQTT-3.1.4-6 (5.0)); an allowed one is accepted.
#[test]
fn at_connect_refuses_a_denied_will() {
    for (version, code) in [(V5, 0x87), (V3, 0x05)] {
        let mut net = net(WillAuthorization::AtConnect);
        let w = watcher(&mut net, version, "#", QoS::AtLeastOnce);
        let denied = as_user(connect_for(version, "d"), "p").will("no/x", "gone");
        assert_eq!(refusal(&mut net, denied), ReasonCode(code), "{version:?}");
        let allowed = net.connect(as_user(connect_for(version, "a"), "p").will("ok/x", "gone"));
        net.reset(allowed);
        assert_eq!(payloads(&net.publishes(w)), ["gone"], "{version:?}");
    }
}

/// Catalogue E7, second model: the CONNECT is accepted, and the will is
/// dropped when due, whatever made it due.
#[test]
fn at_publish_drops_a_denied_will_on_every_path() {
    type Trigger = fn(&mut Net, Client, ProtocolVersion);
    let triggers: [(&str, Trigger); 6] = [
        ("reset", |net, c, _| net.reset(c)),
        ("fin", |net, c, _| net.drop_transport(c)),
        ("keep-alive", |net, _, _| net.advance(secs(10))),
        ("takeover", |net, _, v| {
            net.connect(as_user(connect_for(v, "d"), "p"));
        }),
        ("protocol error", |net, c, _| net.send_raw(c, &[0xF0, 0x00])),
        ("shutdown", |net, _, _| {
            let now = net.now;
            net.broker.handle_shutdown(now);
            net.pump();
        }),
    ];
    for version in [V3, V5] {
        for (name, trigger) in triggers {
            let mut net = net(WillAuthorization::AtPublish);
            let w = watcher(&mut net, version, "#", QoS::AtLeastOnce);
            let connect = as_user(connect_for(version, "d"), "p")
                .keep_alive(2)
                .will("no/x", "gone");
            let device = net.connect(connect);
            net.take_events();
            trigger(&mut net, device, version);
            net.advance(secs(10));
            let delivered: Vec<_> = net.publishes(w).into_iter().map(|p| p.topic).collect();
            assert!(delivered.is_empty(), "{name} {version:?}: {delivered:?}");
            assert_eq!(denied_discards(&mut net), 1, "{name} {version:?}");
        }
    }
}

/// MQTT-3.1.3-9 (5.0): a delayed will is authorized when its delay has
/// passed, and when its session ends first.
#[test]
fn at_publish_checks_delayed_wills_when_due() {
    for sei in [60, 3] {
        let mut net = net(WillAuthorization::AtPublish);
        let w = watcher(&mut net, V5, "#", QoS::AtLeastOnce);
        let connect = as_user(connect_for(V5, "d"), "p")
            .sei(sei)
            .will("no/x", "gone")
            .will_delay(5);
        let device = net.connect(connect);
        net.reset(device);
        net.take_events();
        net.advance(secs(10));
        assert!(net.publishes(w).is_empty(), "SEI {sei}");
        assert_eq!(denied_discards(&mut net), 1, "SEI {sei}");
    }
}

/// The faults that prove the scenarios can fail: `will-acl-ignored`
/// publishes the denied will; `will-acl-not-checked-at-connect` accepts the
/// CONNECT, and the publication check still drops the will.
#[test]
fn will_acl_faults() {
    let ignored = config(WillAuthorization::AtConnect, Fault::WillAclIgnored.into());
    let mut net = Net::with_config(ignored);
    let w = watcher(&mut net, V5, "#", QoS::AtLeastOnce);
    let device = net.connect(as_user(connect_for(V5, "d"), "p").will("no/x", "gone"));
    net.reset(device);
    assert_eq!(payloads(&net.publishes(w)), ["gone"]);

    let late = config(
        WillAuthorization::AtConnect,
        Fault::WillAclNotCheckedAtConnect.into(),
    );
    let mut net = Net::with_config(late);
    let w = watcher(&mut net, V5, "#", QoS::AtLeastOnce);
    let device = net.connect(as_user(connect_for(V5, "d"), "p").will("no/x", "gone"));
    net.reset(device);
    assert!(net.publishes(w).is_empty());
}

/// `accept-bad-password` lets a known user in with any password;
/// `topic-acl-ignored` routes a denied PUBLISH and grants a denied filter.
#[test]
fn credential_and_topic_faults() {
    let bad = config(
        WillAuthorization::AtConnect,
        Fault::AcceptBadPassword.into(),
    );
    let mut net = Net::with_config(bad);
    net.connect(as_user(connect_for(V5, "d"), "wrong"));

    let open = config(WillAuthorization::AtConnect, Fault::TopicAclIgnored.into());
    let mut net = Net::with_config(open);
    let w = watcher(&mut net, V5, "#", QoS::AtLeastOnce);
    let device = net.connect(as_user(connect_for(V5, "d"), "p"));
    net.publish(device, publish("no/x", "leak", QoS::AtMostOnce, None));
    assert_eq!(payloads(&net.publishes(w)), ["leak"]);
    let ack = net.subscribe(device, "#", QoS::AtLeastOnce);
    assert_eq!(ack.reason_codes, [ReasonCode(1)]);
}

/// A denied PUBLISH is neither routed nor retained: 5.0 QoS 1 / 2 get
/// PUBACK / PUBREC 0x87, 3.1.1 a normal acknowledgement (MQTT-3.3.5-2).
#[test]
fn denied_publish_is_dropped_and_acknowledged() {
    for (version, code) in [(V5, ReasonCode::NOT_AUTHORIZED), (V3, ReasonCode::SUCCESS)] {
        let mut net = net(WillAuthorization::AtConnect);
        let w = watcher(&mut net, version, "#", QoS::ExactlyOnce);
        let device = net.connect(as_user(connect_for(version, "d"), "p"));
        let mut retained = publish("no/x", "r", QoS::AtMostOnce, None);
        retained.retain = true;
        net.publish(device, retained);
        net.publish(device, publish("no/x", "one", QoS::AtLeastOnce, Some(1)));
        net.publish(device, publish("no/x", "two", QoS::ExactlyOnce, Some(2)));
        let acks: Vec<(u16, ReasonCode)> = net
            .packets(device)
            .into_iter()
            .filter_map(|p| match p {
                Packet::PubAck(r) | Packet::PubRec(r) => Some((r.packet_id, r.reason_code)),
                _ => None,
            })
            .collect();
        assert_eq!(acks, [(1, code), (2, code)], "{version:?}");
        assert!(net.publishes(w).is_empty(), "{version:?}");
        assert_eq!(net.broker.retained_count(), 0, "{version:?}");
        net.publish(device, publish("ok/x", "fine", QoS::AtMostOnce, None));
        assert_eq!(payloads(&net.publishes(w)), ["fine"], "{version:?}");
    }
}

/// A SUBSCRIBE to a filter no read rule covers gets 0x87 (5.0) / 0x80
/// (3.1.1); the other filters are granted.
#[test]
fn denied_subscribe_filter_is_refused() {
    for (version, code) in [(V5, 0x87), (V3, 0x80)] {
        let mut net = net(WillAuthorization::AtConnect);
        let device = net.connect(as_user(connect_for(version, "d"), "p"));
        let ack = net.subscribe(device, "#", QoS::AtLeastOnce);
        assert_eq!(ack.reason_codes, [ReasonCode(code)], "{version:?}");
        let ack = net.subscribe(device, "ok/+", QoS::AtLeastOnce);
        assert_eq!(ack.reason_codes, [ReasonCode(1)], "{version:?}");
    }
}

#[derive(Clone, Debug)]
enum End {
    Reset,
    KeepAlive,
    Takeover,
    Disconnect04,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// No will is ever delivered to a topic the ACL denies its client, in
    /// either model, by any path; every allowed will is delivered.
    #[test]
    fn no_will_reaches_a_denied_topic(
        at_publish in any::<bool>(),
        wills in proptest::collection::vec(
            (any::<bool>(), any::<bool>(), 0u32..4, 0u32..4,
             prop_oneof![Just(End::Reset), Just(End::KeepAlive), Just(End::Takeover), Just(End::Disconnect04)]),
            1..6,
        ),
    ) {
        let mode = if at_publish { WillAuthorization::AtPublish } else { WillAuthorization::AtConnect };
        let mut net = net(mode);
        let w = watcher(&mut net, V5, "#", QoS::AtLeastOnce);
        let mut expected = Vec::new();
        for (i, (allowed, v5, delay, sei, end)) in wills.into_iter().enumerate() {
            let version = if v5 { V5 } else { V3 };
            let id = format!("d{i}");
            let topic = if allowed { format!("ok/{i}") } else { format!("no/{i}") };
            let connect = as_user(connect_for(version, &id), "p")
                .keep_alive(2)
                .sei(sei)
                .will(&topic, "gone")
                .will_delay(delay);
            let (device, ack) = net.try_connect(connect);
            let accepted = ack.is_some_and(|a| a.reason_code == ReasonCode::SUCCESS);
            prop_assert_eq!(accepted, allowed || at_publish);
            if !accepted {
                continue;
            }
            match end {
                End::Reset => net.reset(device),
                End::KeepAlive => {}
                End::Takeover => {
                    net.connect(as_user(connect_for(version, &id), "p"));
                }
                End::Disconnect04 => net.disconnect(device, ReasonCode::DISCONNECT_WITH_WILL_MESSAGE),
            }
            if allowed && !(matches!(end, End::Disconnect04) && version == V3) {
                expected.push(topic);
            }
        }
        net.advance(secs(30));
        let now = net.now;
        net.broker.handle_shutdown(now);
        net.pump();
        let mut delivered: Vec<MqttString> = net.publishes(w).into_iter().map(|p| p.topic).collect();
        prop_assert!(delivered.iter().all(|t| t.starts_with("ok/")), "{:?}", delivered);
        delivered.sort();
        delivered.dedup();
        expected.sort();
        prop_assert_eq!(delivered, expected);
    }
}
