//! Will Delay Interval against Session Expiry and reconnection (5.0
//! MQTT-3.1.3-9, MQTT-3.1.2-8; catalogue E1, E3, B6, B7).

use lastwill_broker::{BrokerEvent, Timestamp, WillDiscardReason, WillTrigger};
use lastwill_codec::{Disconnect, Packet, QoS, ReasonCode};

use crate::support::*;

fn net_with_watcher() -> (Net, Client) {
    let mut net = Net::new();
    let w = watcher(&mut net, V5, "status", QoS::AtLeastOnce);
    (net, w)
}

/// MQTT-3.1.3-9 (5.0), MQTT-3.1.2-8 (5.0): the will is published when the
/// Will Delay Interval has passed, not a millisecond earlier. MQTT-3.1.2-7
/// (5.0), Catalogue B61: meanwhile it is held with the session, which lives
/// on.
#[test]
fn delayed_will_is_published_when_the_delay_passes() {
    let (mut net, w) = net_with_watcher();
    let device = net.connect(
        v5("device")
            .sei(60)
            .will("status", "offline")
            .will_delay(10),
    );
    let closed_at = net.now;
    net.drop_transport(device);
    assert_eq!(
        net.broker.pending_will_due("device"),
        Some(closed_at.plus_secs(10))
    );
    net.advance(ms(9_999));
    assert!(net.publishes(w).is_empty());
    net.advance(ms(1));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
    assert_eq!(net.will_triggers(), [WillTrigger::WillDelayElapsed]);
    assert!(
        net.broker.has_session("device"),
        "the session lives on (SEI 60)"
    );
}

#[test]
fn two_minute_delay_runs_in_virtual_time() {
    let (mut net, w) = net_with_watcher();
    let device = net.connect(
        v5("device")
            .sei(3_600)
            .will("status", "offline")
            .will_delay(120),
    );
    net.drop_transport(device);
    let started = std::time::Instant::now();
    net.advance(secs(119));
    assert!(net.publishes(w).is_empty());
    net.advance(secs(1));
    assert_eq!(net.publishes(w).len(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// MQTT-3.1.2-23 (5.0), MQTT-3.1.3-9 (5.0): Session Expiry absent or 0 ends
/// the session at the close, which publishes the will despite its delay
/// (catalogue E1).
#[test]
fn session_expiry_0_publishes_at_close_despite_the_delay() {
    // E1: SEI absent means the session ends at close, which is a deadline.
    for connect in [
        v5("device").will("status", "offline").will_delay(30),
        v5("device").sei(0).will("status", "offline").will_delay(30),
    ] {
        let (mut net, w) = net_with_watcher();
        let device = net.connect(connect);
        net.drop_transport(device);
        assert_eq!(payloads(&net.publishes(w)), ["offline"]);
        assert!(matches!(
            net.will_triggers()[..],
            [WillTrigger::SessionEndedAtClose(_)]
        ));
        assert_eq!(net.broker.pending_will_count(), 0);
    }
}

/// MQTT-3.1.3-9 (5.0), MQTT-4.1.0-2 (5.0): a Will Delay longer than the
/// Session Expiry is cut short by the session's end, and publishes once.
#[test]
fn delay_longer_than_session_expiry_publishes_at_session_expiry() {
    let (mut net, w) = net_with_watcher();
    let device = net.connect(v5("device").sei(5).will("status", "offline").will_delay(30));
    net.drop_transport(device);
    net.advance(ms(4_999));
    assert!(net.publishes(w).is_empty());
    net.advance(ms(1));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
    assert_eq!(net.will_triggers(), [WillTrigger::SessionExpired]);
    assert!(!net.broker.has_session("device"));
    net.advance(secs(60));
    assert!(net.publishes(w).is_empty(), "published once");
}

/// Catalogue B7: Will Delay beyond the Session Expiry plus DISCONNECT 0x04
/// gives a will that announces the session's expiry, at that instant.
#[test]
fn b7_disconnect_0x04_with_delay_beyond_session_expiry_announces_the_expiry() {
    let (mut net, w) = net_with_watcher();
    let device = net.connect(
        v5("device")
            .sei(8)
            .will("status", "expired")
            .will_delay(u32::MAX),
    );
    net.disconnect(device, ReasonCode::DISCONNECT_WITH_WILL_MESSAGE);
    net.advance(ms(7_999));
    assert!(net.publishes(w).is_empty());
    net.advance(ms(1));
    assert_eq!(payloads(&net.publishes(w)), ["expired"]);
}

/// Catalogue B58: a Session Expiry Interval in DISCONNECT moves the session's
/// end, and with it a pending will's deadline (to the close, for 0).
#[test]
fn disconnect_session_expiry_moves_the_session_end() {
    // CONNECT SEI 100, will delay 50; DISCONNECT 0x04 lowers SEI to 3.
    let (mut net, w) = net_with_watcher();
    let device = net.connect(
        v5("device")
            .sei(100)
            .will("status", "offline")
            .will_delay(50),
    );
    let mut d = Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE);
    d.properties.session_expiry_interval = Some(3);
    net.send(device, &Packet::Disconnect(d));
    net.advance(ms(2_999));
    assert!(net.publishes(w).is_empty());
    net.advance(ms(1));
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);

    // Lowering to 0 ends the session at close: published at once.
    let device = net.connect(v5("device2").sei(100).will("status", "now").will_delay(50));
    let mut d = Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE);
    d.properties.session_expiry_interval = Some(0);
    net.send(device, &Packet::Disconnect(d));
    assert_eq!(payloads(&net.publishes(w)), ["now"]);
}

/// MQTT-3.1.3-9 (5.0), MQTT-3.1.2-8 (5.0): a new connection to the session
/// within the Will Delay cancels the will for good. MQTT-3.1.2-5 (5.0): the
/// session is resumed; the new connection's will is armed afresh.
#[test]
fn reconnect_with_clean_start_0_within_the_delay_cancels_the_will() {
    let (mut net, w) = net_with_watcher();
    let connect = v5("device")
        .sei(60)
        .will("status", "offline")
        .will_delay(10);
    let device = net.connect(connect.clone());
    net.drop_transport(device);
    net.advance(secs(5));
    let (again, ack) = net.connect_ack(connect.clean(false));
    assert!(ack.session_present);
    assert!(net.events.iter().any(|e| matches!(
        e,
        BrokerEvent::WillDiscarded {
            reason: WillDiscardReason::SessionResumed,
            ..
        }
    )));
    net.advance(secs(60));
    assert!(net.publishes(w).is_empty(), "no will after resumption");
    // The new connection's own will is armed as usual.
    net.drop_transport(again);
    net.advance(secs(10));
    assert_eq!(net.publishes(w).len(), 1);
}

/// MQTT-3.1.2-4 (5.0), MQTT-3.1.4-4 (5.0): Clean Start 1 discards the session
/// holding a pending will, and the session's end publishes it at once
/// (catalogue E3).
#[test]
fn reconnect_with_clean_start_1_ends_the_session_and_publishes_at_once() {
    // E3: Clean Start 1 discards the session, which is one of the will's deadlines.
    let (mut net, w) = net_with_watcher();
    let device = net.connect(
        v5("device")
            .sei(60)
            .will("status", "offline")
            .will_delay(10),
    );
    net.drop_transport(device);
    net.advance(secs(2));
    let (_again, ack) = net.connect_ack(v5("device").clean(true));
    assert!(!ack.session_present);
    assert_eq!(payloads(&net.publishes(w)), ["offline"]);
    assert_eq!(net.will_triggers(), [WillTrigger::CleanStartReconnect]);
    net.advance(secs(60));
    assert!(net.publishes(w).is_empty());
}

#[test]
fn clean_start_1_publishes_the_old_will_before_the_new_session_exists() {
    // The reconnecting client subscribes to its own will topic in the old
    // session; with Clean Start 1 the old will goes out before the new
    // session exists, so the new connection does not receive it.
    let mut net = Net::new();
    let device = net.connect(
        v5("device")
            .sei(60)
            .will("status", "offline")
            .will_delay(10),
    );
    net.subscribe(device, "status", QoS::AtLeastOnce);
    net.drop_transport(device);
    let again = net.connect(v5("device").clean(true).sei(60));
    assert!(net.publishes(again).is_empty());
    assert_eq!(net.will_triggers(), [WillTrigger::CleanStartReconnect]);
}

#[test]
fn reconnect_after_the_will_was_published_finds_the_session() {
    let (mut net, w) = net_with_watcher();
    let connect = v5("device").sei(60).will("status", "offline").will_delay(5);
    let device = net.connect(connect.clone());
    net.drop_transport(device);
    net.advance(secs(6));
    assert_eq!(net.publishes(w).len(), 1);
    let (_again, ack) = net.connect_ack(connect.clean(false));
    assert!(ack.session_present);
    assert!(net.publishes(w).is_empty());
}

/// MQTT-3.1.2-10 (5.0): when delay and session end fall on the same instant,
/// the will is published once and removed.
#[test]
fn equal_delay_and_expiry_publish_once() {
    let (mut net, w) = net_with_watcher();
    let device = net.connect(v5("device").sei(7).will("status", "offline").will_delay(7));
    net.drop_transport(device);
    net.advance(secs(7));
    assert_eq!(net.publishes(w).len(), 1);
    assert!(!net.broker.has_session("device"));
    net.advance(secs(100));
    assert!(net.publishes(w).is_empty());
}

#[test]
fn handle_timeout_is_idempotent_and_poll_timeout_reports_the_due_time() {
    let (mut net, w) = net_with_watcher();
    let device = net.connect(
        v5("device")
            .sei(60)
            .will("status", "offline")
            .will_delay(10),
    );
    net.drop_transport(device);
    let due = net.broker.poll_timeout().expect("a deadline");
    assert_eq!(due, net.now.plus_secs(10));
    net.broker.handle_timeout(Timestamp(due.0 - 1));
    net.pump();
    assert!(net.publishes(w).is_empty());
    for _ in 0..3 {
        net.broker.handle_timeout(due);
        net.pump();
    }
    assert_eq!(net.publishes(w).len(), 1);
    // The session's own expiry is the next deadline.
    assert_eq!(net.broker.poll_timeout(), Some(due.plus_secs(50)));
}

#[test]
fn a_resumed_session_receives_the_messages_queued_while_offline() {
    let mut net = Net::new();
    let sub = net.connect(v5("sub").sei(300));
    net.subscribe(sub, "news", QoS::AtLeastOnce);
    net.drop_transport(sub);
    let publisher = net.connect(v5("pub"));
    net.publish(publisher, publish("news", "one", QoS::AtLeastOnce, Some(1)));
    net.publish(publisher, publish("news", "two", QoS::AtMostOnce, None));
    let (sub, ack) = net.connect_ack(v5("sub").clean(false).sei(300));
    assert!(ack.session_present);
    assert_eq!(
        payloads(&net.publishes(sub)),
        ["one"],
        "QoS 0 is not queued offline"
    );
}
