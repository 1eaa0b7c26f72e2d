//! Session takeover: a second connection with the same Client Identifier
//! (5.0 MQTT-3.1.4-3 with the B25/B38 truth table, catalogue E2; 3.1.1
//! MQTT-3.1.4-2 with the will tied to the connection, E4).

use lastwill_broker::{BrokerEvent, CloseCause, WillTrigger};
use lastwill_codec::{QoS, ReasonCode};

use crate::support::*;

/// MQTT-3.1.4-3 (5.0): takeover sends DISCONNECT 0x8E to the old client and
/// closes it. Catalogue B25, B38: the full matrix old Will Delay 0/>0 × old
/// Session Expiry 0/>0 × new Clean Start 0/1. The will is published at
/// takeover when the delay is 0 or the old session ends (MQTT-3.1.2-4
/// (5.0)); otherwise it becomes a pending will that the new connection
/// resumes at once, so it is never sent (MQTT-3.1.3-9 (5.0)).
#[test]
fn v5_takeover_matrix() {
    for delay in [0u32, 5] {
        for sei in [0u32, 60] {
            for clean_start in [false, true] {
                let case = format!(
                    "WDI {delay}, SEI {sei}, Clean Start {}",
                    u8::from(clean_start)
                );
                let mut net = Net::new();
                let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
                let old = net.connect(
                    v5("device")
                        .sei(sei)
                        .will("status", "old")
                        .will_delay(delay),
                );
                let (new, ack) = net.connect_ack(v5("device").sei(60).clean(clean_start));

                assert!(net.is_closed(old), "{case}");
                let to_old = net.packets(old);
                assert_eq!(
                    disconnect_reason(&to_old),
                    Some(ReasonCode::SESSION_TAKEN_OVER),
                    "{case}: MQTT-3.1.4-3"
                );
                let session_survives = sei > 0 && !clean_start;
                assert_eq!(ack.session_present, session_survives, "{case}");

                let published_now = delay == 0 || sei == 0 || clean_start;
                let got = net.publishes(w);
                assert_eq!(got.len(), usize::from(published_now), "{case}: at takeover");
                net.advance(secs(120));
                assert!(net.publishes(w).is_empty(), "{case}: nothing later");
                assert_eq!(net.broker.pending_will_count(), 0, "{case}");
                if published_now {
                    let trigger = &net.will_triggers()[0];
                    let expected_delay_0 = matches!(
                        trigger,
                        WillTrigger::ConnectionClosed(CloseCause::SessionTakenOver { .. })
                    );
                    let expected_end = matches!(
                        trigger,
                        WillTrigger::SessionEndedAtClose(CloseCause::SessionTakenOver { .. })
                    );
                    assert!(expected_delay_0 || expected_end, "{case}: {trigger:?}");
                } else {
                    assert_eq!(net.wills_discarded(), 1, "{case}: cancelled by resumption");
                }
                assert!(!net.is_closed(new), "{case}");
            }
        }
    }
}

/// MQTT-3.1.4-2 (3.1.1): the existing client is disconnected (no DISCONNECT
/// in 3.1.1), and by MQTT-3.1.2-8 (3.1.1) its will is published, whatever
/// either Clean Session flag (catalogue E4). MQTT-3.1.2-4 (3.1.1): Session
/// Present only when both keep the session.
#[test]
fn v311_takeover_publishes_the_old_connections_will() {
    // E4: the will belongs to the network connection, which the takeover closes.
    for old_clean in [false, true] {
        for new_clean in [false, true] {
            let case = format!("old clean {old_clean}, new clean {new_clean}");
            let mut net = Net::new();
            let w = watcher(&mut net, V3, "status", QoS::AtLeastOnce);
            let old = net.connect(v3("device").clean(old_clean).will("status", "old"));
            let (_new, ack) = net.connect_ack(v3("device").clean(new_clean));
            assert!(net.is_closed(old), "{case}");
            assert!(
                net.packets(old).is_empty(),
                "{case}: 3.1.1 servers send no DISCONNECT"
            );
            assert_eq!(payloads(&net.publishes(w)), ["old"], "{case}");
            assert_eq!(ack.session_present, !old_clean && !new_clean, "{case}");
        }
    }
}

/// MQTT-3.1.4-3 (5.0), MQTT-3.1.2-7 (5.0): the old will goes at takeover, and
/// the new connection's own will is stored and published when it ends.
#[test]
fn takeover_event_and_new_will_is_armed() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
    let _old = net.connect(v5("device").will("status", "old"));
    let new = net.connect(v5("device").will("status", "new"));
    assert!(net.events.iter().any(
        |e| matches!(e, BrokerEvent::SessionTakenOver { client_id, .. } if client_id == "device")
    ));
    assert_eq!(payloads(&net.publishes(w)), ["old"]);
    net.drop_transport(new);
    assert_eq!(payloads(&net.publishes(w)), ["new"]);
}

#[test]
fn persistent_subscriber_taken_over_keeps_its_subscriptions() {
    let mut net = Net::new();
    let old = net.connect(v5("sub").sei(60));
    net.subscribe(old, "news", QoS::AtLeastOnce);
    let new = net.connect(v5("sub").sei(60).clean(false));
    assert!(net.is_closed(old));
    let publisher = net.connect(v5("pub"));
    net.publish(
        publisher,
        publish("news", "hello", QoS::AtLeastOnce, Some(1)),
    );
    assert_eq!(payloads(&net.publishes(new)), ["hello"]);
}

/// MQTT-3.8.3-3 (5.0): with No Local a session does not receive its own
/// client's will; without it the will is queued for the session and
/// delivered after the new CONNACK.
#[test]
fn own_will_reaches_the_taking_over_session_unless_no_local() {
    // The old connection subscribed to its own will topic; WDI 0, so the will
    // goes out at takeover, while the session is between connections: it is
    // queued and delivered after the new CONNACK.
    let mut net = Net::new();
    let old = net.connect(
        v5("device")
            .sei(60)
            .will("status", "old")
            .will_qos(QoS::AtLeastOnce),
    );
    net.subscribe(old, "status", QoS::AtLeastOnce);
    let new = net.connect(v5("device").sei(60).clean(false));
    assert_eq!(payloads(&net.publishes(new)), ["old"]);

    // With No Local the session does not receive its own client's will.
    let mut net = Net::new();
    let old = net.connect(
        v5("device")
            .sei(60)
            .will("status", "old")
            .will_qos(QoS::AtLeastOnce),
    );
    let options = lastwill_codec::SubscriptionOptions {
        qos: QoS::AtLeastOnce,
        no_local: true,
        ..Default::default()
    };
    net.subscribe_with(old, "status", options, None);
    let new = net.connect(v5("device").sei(60).clean(false));
    assert!(net.publishes(new).is_empty());
}
