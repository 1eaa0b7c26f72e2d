//! The outbound limits of `core::limits` on the sans-IO core, where the
//! test decides what the transport has written: a subscriber that reads
//! nothing gets at most `max_outbound_bytes` (plus one packet) of QoS 0,
//! then nothing but a single limit event; QoS 1 waits and flows again once
//! bytes are written; a full queue closes the slow consumer with
//! DISCONNECT 0x97 and publishes its will; pending connections are capped.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use lastwill_broker::core::limits::Limit;
use lastwill_broker::{
    Action, Broker, BrokerConfig, BrokerEvent, CloseCause, ConnectionId, Timestamp,
};
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, Publish, QoS, ReasonCode,
    Subscribe, Subscription, SubscriptionOptions, Will,
};

const V5: ProtocolVersion = ProtocolVersion::V5;
const NOW: Timestamp = Timestamp(1);

/// The core, plus what each connection was sent and whether it was closed.
/// Written bytes are confirmed only when the test says so.
struct Net {
    broker: Broker,
    sent: HashMap<ConnectionId, BytesMut>,
    closed: Vec<ConnectionId>,
    events: Vec<BrokerEvent>,
}

impl Net {
    fn new(config: BrokerConfig) -> Self {
        Self {
            broker: Broker::new(config),
            sent: HashMap::new(),
            closed: Vec::new(),
            events: Vec::new(),
        }
    }

    fn pump(&mut self) {
        while let Some(action) = self.broker.poll_action() {
            match action {
                Action::Send { conn, bytes } => {
                    self.sent.entry(conn).or_default().extend_from_slice(&bytes)
                }
                Action::Close { conn } => self.closed.push(conn),
            }
        }
        self.events
            .extend(std::iter::from_fn(|| self.broker.poll_event()));
    }

    fn send(&mut self, conn: ConnectionId, packet: &Packet) {
        let bytes = encode_to_bytes(packet, V5).expect("encode");
        self.broker.handle_bytes(conn, &bytes, NOW);
        self.pump();
    }

    /// Opens a connection and sends CONNECT; confirms the CONNACK written.
    fn connect(&mut self, connect: Connect) -> ConnectionId {
        let conn = self.broker.handle_connection_opened(NOW);
        self.send(conn, &Packet::Connect(Box::new(connect)));
        self.drain_written(conn);
        conn
    }

    /// Everything sent to `conn` so far, decoded, and reported written.
    fn drain_written(&mut self, conn: ConnectionId) -> Vec<Packet> {
        let mut buf = self.sent.remove(&conn).unwrap_or_default();
        let count = buf.len();
        let mut packets = Vec::new();
        while let Ok(Some(packet)) = decode(&mut buf, V5, &Limits::default()) {
            packets.push(packet);
        }
        self.broker.handle_bytes_written(conn, count, NOW);
        self.pump();
        packets
    }

    fn unread(&self, conn: ConnectionId) -> usize {
        self.sent.get(&conn).map_or(0, BytesMut::len)
    }

    fn limit_events(&self, limit: Limit) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, BrokerEvent::LimitReached { limit: l, .. } if *l == limit))
            .count()
    }
}

fn subscribe(filter: &str, qos: QoS) -> Packet {
    Packet::Subscribe(Subscribe {
        packet_id: 1,
        properties: Default::default(),
        subscriptions: vec![Subscription {
            filter: filter.into(),
            options: SubscriptionOptions {
                qos,
                ..SubscriptionOptions::default()
            },
        }],
    })
}

fn publish(qos: QoS, id: Option<u16>) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos,
        retain: false,
        topic: "flood".into(),
        packet_id: id,
        properties: Default::default(),
        payload: Bytes::from(vec![0u8; 1000]),
    })
}

/// A subscriber on `flood` at `qos` (SUBACK written) and a publisher.
fn setup(config: BrokerConfig, qos: QoS) -> (Net, ConnectionId, ConnectionId) {
    let mut net = Net::new(config);
    let mut sink = Connect::new(V5, "sink");
    sink.will = Some(Will {
        topic: "sink/will".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    });
    let sink = net.connect(sink);
    net.send(sink, &subscribe("flood", qos));
    net.drain_written(sink);
    let publisher = net.connect(Connect::new(V5, "publisher"));
    (net, sink, publisher)
}

#[test]
fn qos0_beyond_the_backlog_budget_is_dropped_and_reported_once() {
    let config = BrokerConfig {
        max_outbound_bytes: 10_000,
        ..BrokerConfig::default()
    };
    let (mut net, sink, publisher) = setup(config, QoS::AtMostOnce);
    for _ in 0..100 {
        net.send(publisher, &publish(QoS::AtMostOnce, None));
    }
    let unread = net.unread(sink);
    assert!(
        (10_000..10_000 + 1100).contains(&unread),
        "{unread} bytes queued"
    );
    assert_eq!(net.limit_events(Limit::OutboundBytes), 1);
    assert!(!net.closed.contains(&sink), "QoS 0 alone never closes");
    // Once written, QoS 0 flows again.
    net.drain_written(sink);
    net.send(publisher, &publish(QoS::AtMostOnce, None));
    assert!(net.unread(sink) > 0);
}

#[test]
fn qos1_waits_for_written_bytes_then_flows() {
    let config = BrokerConfig {
        max_outbound_bytes: 10_000,
        ..BrokerConfig::default()
    };
    let (mut net, sink, publisher) = setup(config, QoS::AtLeastOnce);
    for id in 1..=30 {
        net.send(publisher, &publish(QoS::AtLeastOnce, Some(id)));
    }
    assert!(net.unread(sink) < 10_000 + 1100);
    let mut delivered = 0;
    for _ in 0..10 {
        delivered += net
            .drain_written(sink)
            .iter()
            .filter(|p| matches!(p, Packet::Publish(_)))
            .count();
    }
    assert_eq!(
        delivered, 30,
        "every held QoS 1 message was sent once written"
    );
}

#[test]
fn a_full_queue_closes_the_slow_consumer_with_0x97_and_its_will() {
    let config = BrokerConfig {
        max_outbound_bytes: 10_000,
        max_queued_messages: 20,
        ..BrokerConfig::default()
    };
    let (mut net, sink, publisher) = setup(config, QoS::AtLeastOnce);
    for id in 1..=60 {
        net.send(publisher, &publish(QoS::AtLeastOnce, Some(id)));
    }
    assert!(net.closed.contains(&sink));
    let mut buf = net.sent.remove(&sink).unwrap_or_default();
    let mut last = None;
    while let Ok(Some(packet)) = decode(&mut buf, V5, &Limits::default()) {
        last = Some(packet);
    }
    match last {
        Some(Packet::Disconnect(d)) => assert_eq!(d.reason_code, ReasonCode::QUOTA_EXCEEDED),
        other => panic!("expected DISCONNECT 0x97 last, got {other:?}"),
    }
    assert!(net.events.iter().any(|e| matches!(
        e,
        BrokerEvent::ConnectionClosed {
            cause: CloseCause::LimitExceeded(Limit::QueuedMessages),
            ..
        }
    )));
    assert!(net.events.iter().any(|e| matches!(
        e,
        BrokerEvent::WillPublished { topic, .. } if topic == "sink/will"
    )));
    assert_eq!(net.limit_events(Limit::QueuedMessages), 1);
}

#[test]
fn pending_connections_are_capped_oldest_first() {
    let mut net = Net::new(BrokerConfig {
        max_pending_connections: Some(3),
        ..BrokerConfig::default()
    });
    let ids: Vec<ConnectionId> = (0..5)
        .map(|_| net.broker.handle_connection_opened(NOW))
        .collect();
    net.pump();
    assert_eq!(net.closed, ids[..2].to_vec());
    assert_eq!(net.broker.connection_count(), 3);
    assert_eq!(net.limit_events(Limit::MaxPendingConnections), 2);
    // A connected client no longer counts as pending.
    net.send(ids[2], &Packet::Connect(Box::new(Connect::new(V5, "real"))));
    net.broker.handle_connection_opened(NOW);
    net.pump();
    assert_eq!(net.closed.len(), 2, "room was left by the CONNECT");
}
