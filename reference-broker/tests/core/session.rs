//! Sessions around the will: Clean Session / Clean Start, Session Expiry
//! while connected and after, and the server's own Session Expiry.

use lastwill_broker::{BrokerConfig, WillTrigger};
use lastwill_codec::QoS;

use crate::support::*;

/// MQTT-3.1.2-4 (3.1.1), MQTT-3.1.2-5 (3.1.1): Clean Session 0 keeps the
/// session and resumes it, with the QoS 1 message queued meanwhile.
/// MQTT-3.1.2-6 (3.1.1): Clean Session 1 starts afresh, and that session is
/// not reused by a later Clean Session 0 connection.
#[test]
fn v311_clean_session_0_resumes_and_1_discards() {
    let mut net = Net::new();
    let publisher = net.connect(v3("pub"));
    let sub = net.connect(v3("sub").clean(false));
    net.subscribe(sub, "news", QoS::AtLeastOnce);
    net.drop_transport(sub);
    net.publish(publisher, publish("news", "one", QoS::AtLeastOnce, Some(1)));
    let (sub, ack) = net.connect_ack(v3("sub").clean(false));
    assert!(ack.session_present);
    assert_eq!(payloads(&net.publishes(sub)), ["one"]);
    net.drop_transport(sub);

    let (sub, ack) = net.connect_ack(v3("sub").clean(true));
    assert!(!ack.session_present);
    net.publish(publisher, publish("news", "two", QoS::AtLeastOnce, Some(2)));
    assert!(net.publishes(sub).is_empty(), "old subscription discarded");
    net.drop_transport(sub);
    assert!(!net.broker.has_session("sub"));
    let (_, ack) = net.connect_ack(v3("sub").clean(false));
    assert!(!ack.session_present, "the clean session is not reused");
}

/// MQTT-3.1.2-4 (5.0), MQTT-3.1.4-4 (5.0): Clean Start 1 discards the
/// existing session, also while it is connected (takeover). MQTT-3.1.2-5
/// (5.0): Clean Start 0 resumes it; MQTT-3.1.2-6 (5.0): with no session to
/// resume, a new one is created.
#[test]
fn v5_clean_start_1_discards_the_session_and_0_resumes_it() {
    let mut net = Net::new();
    let publisher = net.connect(v5("pub"));
    let (sub, ack) = net.connect_ack(v5("sub").clean(false).sei(60));
    assert!(!ack.session_present);
    assert!(net.broker.has_session("sub"), "created by Clean Start 0");
    net.subscribe(sub, "news", QoS::AtLeastOnce);
    net.drop_transport(sub);
    net.publish(publisher, publish("news", "one", QoS::AtLeastOnce, Some(1)));
    let (sub, ack) = net.connect_ack(v5("sub").clean(false).sei(60));
    assert!(ack.session_present);
    assert_eq!(payloads(&net.publishes(sub)), ["one"]);

    // Clean Start 1 while the old connection is still up.
    let (new, ack) = net.connect_ack(v5("sub").clean(true).sei(60));
    assert!(!ack.session_present);
    assert!(net.is_closed(sub));
    net.publish(publisher, publish("news", "two", QoS::AtLeastOnce, Some(2)));
    assert!(net.publishes(new).is_empty(), "subscriptions discarded");
}

/// MQTT-4.1.0-1 (5.0): the session is not discarded while its connection is
/// open, however long. MQTT-3.1.2-23 (5.0), MQTT-4.1.0-2 (5.0): after the
/// close it is kept for the Session Expiry Interval, then discarded, which
/// publishes the delayed will.
#[test]
fn session_lives_while_connected_and_ends_after_its_expiry() {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let device = net.connect(
        v5("device")
            .sei(5)
            .will("status", "offline")
            .will_delay(100),
    );
    net.advance(secs(1_000));
    assert!(!net.is_closed(device));
    assert!(net.broker.has_session("device"));
    assert!(net.publishes(w).is_empty());
    net.drop_transport(device);
    net.advance(ms(4_999));
    assert!(net.broker.has_session("device"));
    assert!(net.publishes(w).is_empty());
    net.advance(ms(1));
    assert!(!net.broker.has_session("device"));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
    assert_eq!(net.will_triggers(), [WillTrigger::SessionExpired]);
}

/// MQTT-3.1.2-23 (5.0): Session Expiry absent or 0 ends the session with the
/// connection; 0xFFFFFFFF never ends it, so only the will delay publishes the
/// will.
#[test]
fn session_expiry_0_ends_at_close_and_ffffffff_never() {
    for connect in [v5("device"), v5("device").sei(0)] {
        let mut net = Net::new();
        let device = net.connect(connect.clean(false));
        net.drop_transport(device);
        assert!(!net.broker.has_session("device"));
        let (_, ack) = net.connect_ack(v5("device").clean(false));
        assert!(!ack.session_present);
    }
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
    let device = net.connect(
        v5("device")
            .sei(u32::MAX)
            .will("status", "offline")
            .will_delay(10),
    );
    net.drop_transport(device);
    net.advance(secs(10));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
    assert_eq!(net.will_triggers(), [WillTrigger::WillDelayElapsed]);
    net.advance(secs(10_000_000));
    let (_, ack) = net.connect_ack(v5("device").clean(false).sei(u32::MAX));
    assert!(ack.session_present);
}

/// Catalogue B20: the Session Expiry Interval the server answers in CONNACK,
/// not the client's, decides when the session ends and so when a longer
/// Will Delay is cut short; a server value of 0 publishes at the close.
#[test]
fn server_session_expiry_decides_when_a_delayed_will_fires() {
    for (cap, due_ms) in [(5u32, 5_000u64), (0, 0)] {
        let mut net = Net::with_config(BrokerConfig {
            max_session_expiry: Some(cap),
            ..Default::default()
        });
        let w = watcher(&mut net, V5, "status", QoS::AtMostOnce);
        let (device, ack) = net.connect_ack(
            v5("device")
                .sei(100)
                .will("status", "offline")
                .will_delay(50),
        );
        assert_eq!(ack.properties.session_expiry_interval, Some(cap));
        net.drop_transport(device);
        if due_ms > 0 {
            net.advance(ms(due_ms - 1));
            assert!(net.publishes(w).is_empty(), "cap {cap}");
            net.advance(ms(1));
        }
        assert_eq!(payloads(&net.publishes(w)), ["offline"], "cap {cap}");
        assert!(!net.broker.has_session("device"), "cap {cap}");
    }
}
