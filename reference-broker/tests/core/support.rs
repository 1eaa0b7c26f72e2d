//! A fake network around the sans-IO core: clients that encode packets with
//! the codec, collect what the broker sends them, and a clock that jumps from
//! deadline to deadline so minutes of virtual time cost microseconds.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use lastwill_broker::{
    Action, Broker, BrokerConfig, BrokerEvent, ConnectionId, Fault, Timestamp, TransportClose,
    WillTrigger,
};
use lastwill_codec::{
    decode, encode_to_bytes, ConnAck, Connect, Disconnect, Limits, Packet, Properties,
    PropertyValues, ProtocolVersion, Publish, PublishResponse, QoS, ReasonCode, SubAck, Subscribe,
    Subscription, SubscriptionOptions, UserProperty, Will,
};

pub const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
pub const V5: ProtocolVersion = ProtocolVersion::V5;

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A client of the fake network: its connection and protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    pub conn: ConnectionId,
    pub version: ProtocolVersion,
}

/// Builders on top of the codec's `Connect`.
pub trait ConnectExt: Sized {
    fn will(self, topic: &str, payload: &str) -> Self;
    fn will_qos(self, qos: QoS) -> Self;
    fn will_retain(self) -> Self;
    fn will_delay(self, secs: u32) -> Self;
    fn will_props(self, f: impl FnOnce(&mut Properties)) -> Self;
    fn sei(self, secs: u32) -> Self;
    fn clean(self, clean_start: bool) -> Self;
    fn keep_alive(self, secs: u16) -> Self;
}

impl ConnectExt for Connect {
    fn will(mut self, topic: &str, payload: &str) -> Self {
        self.will = Some(Will {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Properties::default(),
        });
        self
    }

    fn will_qos(mut self, qos: QoS) -> Self {
        self.will.as_mut().expect("will set first").qos = qos;
        self
    }

    fn will_retain(mut self) -> Self {
        self.will.as_mut().expect("will set first").retain = true;
        self
    }

    fn will_delay(self, secs: u32) -> Self {
        self.will_props(|p| p.will_delay_interval = Some(secs))
    }

    fn will_props(mut self, f: impl FnOnce(&mut Properties)) -> Self {
        f(&mut self.will.as_mut().expect("will set first").properties);
        self
    }

    fn sei(mut self, secs: u32) -> Self {
        self.properties.session_expiry_interval = Some(secs);
        self
    }

    fn clean(mut self, clean_start: bool) -> Self {
        self.clean_start = clean_start;
        self
    }

    fn keep_alive(mut self, secs: u16) -> Self {
        self.keep_alive = secs;
        self
    }
}

pub fn v5(client_id: &str) -> Connect {
    Connect::new(V5, client_id).keep_alive(0)
}

pub fn v3(client_id: &str) -> Connect {
    Connect::new(V3, client_id).keep_alive(0)
}

pub fn user(name: &str, value: &str) -> UserProperty {
    UserProperty::new(name, value)
}

/// The broker plus everything it sent, per connection.
pub struct Net {
    pub broker: Broker,
    pub now: Timestamp,
    received: HashMap<ConnectionId, BytesMut>,
    /// Packets decoded but not yet handed to the test (after a CONNACK or
    /// SUBACK that a helper looked for).
    pending: HashMap<ConnectionId, VecDeque<Packet>>,
    closed: HashSet<ConnectionId>,
    pub events: Vec<BrokerEvent>,
    next_packet_id: u16,
    /// The deadline a driver would hold if it rescanned (`poll_timeout`)
    /// only after timers fired and otherwise kept the earliest of
    /// `poll_new_deadline`: every pump checks that it is never later than
    /// the real next deadline.
    held_deadline: Option<Timestamp>,
}

impl Default for Net {
    fn default() -> Self {
        Self::with_config(BrokerConfig::default())
    }
}

impl Net {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_config(config: BrokerConfig) -> Self {
        Self {
            broker: Broker::new(config),
            now: Timestamp(1_000),
            received: HashMap::new(),
            pending: HashMap::new(),
            closed: HashSet::new(),
            events: Vec::new(),
            next_packet_id: 1,
            held_deadline: None,
        }
    }

    pub fn with_fault(fault: Fault) -> Self {
        Self::with_config(BrokerConfig {
            faults: fault.into(),
            ..BrokerConfig::default()
        })
    }

    /// Drains the broker's actions and events into this network.
    pub fn pump(&mut self) {
        while let Some(action) = self.broker.poll_action() {
            match action {
                Action::Send { conn, bytes } => {
                    assert!(!self.closed.contains(&conn), "{conn} sent to after Close");
                    self.received
                        .entry(conn)
                        .or_default()
                        .extend_from_slice(&bytes);
                    // Written at once: these clients always read.
                    self.broker
                        .handle_bytes_written(conn, bytes.len(), self.now);
                }
                Action::Close { conn } => {
                    self.closed.insert(conn);
                }
            }
        }
        while let Some(event) = self.broker.poll_event() {
            self.events.push(event);
        }
        if let Some(armed) = self.broker.poll_new_deadline() {
            self.held_deadline = Some(self.held_deadline.map_or(armed, |held| held.min(armed)));
        }
        if let Some(next) = self.broker.poll_timeout() {
            assert!(
                self.held_deadline.is_some_and(|held| held <= next),
                "deadline {next:?} armed but not reported by poll_new_deadline (held {:?})",
                self.held_deadline
            );
        }
    }

    /// After timers fired: the full rescan a driver does then.
    fn rescan_deadline(&mut self) {
        let _ = self.broker.poll_new_deadline();
        self.held_deadline = self.broker.poll_timeout();
    }

    pub fn open(&mut self, version: ProtocolVersion) -> Client {
        let conn = self.broker.handle_connection_opened(self.now);
        self.pump();
        Client { conn, version }
    }

    pub fn send(&mut self, client: Client, packet: &Packet) {
        let bytes = encode_to_bytes(packet, client.version).expect("test packets encode");
        self.send_raw(client, &bytes);
    }

    pub fn send_raw(&mut self, client: Client, bytes: &[u8]) {
        self.broker.handle_bytes(client.conn, bytes, self.now);
        self.pump();
    }

    /// Opens a connection and sends `connect`; returns the CONNACK, if any.
    pub fn try_connect(&mut self, connect: Connect) -> (Client, Option<ConnAck>) {
        let client = self.open(connect.version);
        self.send(client, &Packet::Connect(Box::new(connect)));
        let connack = self.take_until(client, |p| match p {
            Packet::ConnAck(ack) => Some(ack.clone()),
            _ => None,
        });
        (client, connack)
    }

    /// Connects and expects success.
    pub fn connect(&mut self, connect: Connect) -> Client {
        let (client, connack) = self.try_connect(connect);
        let connack = connack.expect("CONNACK");
        assert_eq!(connack.reason_code, ReasonCode::SUCCESS, "{connack:?}");
        client
    }

    /// Connects and returns the CONNACK too (success expected).
    pub fn connect_ack(&mut self, connect: Connect) -> (Client, ConnAck) {
        let (client, connack) = self.try_connect(connect);
        let connack = connack.expect("CONNACK");
        assert_eq!(connack.reason_code, ReasonCode::SUCCESS, "{connack:?}");
        (client, connack)
    }

    pub fn packet_id(&mut self) -> u16 {
        let id = self.next_packet_id;
        self.next_packet_id = self.next_packet_id.wrapping_add(1).max(1);
        id
    }

    pub fn subscribe_with(
        &mut self,
        client: Client,
        filter: &str,
        options: SubscriptionOptions,
        identifier: Option<u32>,
    ) -> SubAck {
        let packet_id = self.packet_id();
        let subscribe = Subscribe {
            packet_id,
            properties: Properties::from(PropertyValues {
                subscription_identifiers: identifier.into_iter().collect(),
                ..PropertyValues::default()
            }),
            subscriptions: vec![Subscription {
                filter: filter.into(),
                options,
            }],
        };
        self.send(client, &Packet::Subscribe(subscribe));
        self.take_until(client, |p| match p {
            Packet::SubAck(ack) => Some(ack.clone()),
            _ => None,
        })
        .expect("SUBACK")
    }

    /// Hands over packets up to the first one `pick` selects and returns its
    /// pick; what follows it stays for the next [`Net::packets`].
    fn take_until<T>(&mut self, client: Client, pick: impl Fn(&Packet) -> Option<T>) -> Option<T> {
        let mut packets: VecDeque<Packet> = self.packets(client).into();
        while let Some(packet) = packets.pop_front() {
            if let Some(found) = pick(&packet) {
                self.pending.insert(client.conn, packets);
                return Some(found);
            }
        }
        None
    }

    /// Subscribes; retained messages sent after the SUBACK stay to be read.
    pub fn subscribe(&mut self, client: Client, filter: &str, qos: QoS) -> SubAck {
        let options = SubscriptionOptions {
            qos,
            ..SubscriptionOptions::default()
        };
        self.subscribe_with(client, filter, options, None)
    }

    pub fn publish(&mut self, client: Client, publish: Publish) {
        self.send(client, &Packet::Publish(publish));
    }

    pub fn disconnect(&mut self, client: Client, reason: ReasonCode) {
        self.send(client, &Packet::Disconnect(Disconnect::new(reason)));
    }

    /// The client's side closes (FIN).
    pub fn drop_transport(&mut self, client: Client) {
        self.broker
            .handle_connection_closed(client.conn, TransportClose::PeerClosed, self.now);
        self.pump();
    }

    /// The transport fails (RST).
    pub fn reset(&mut self, client: Client) {
        self.broker
            .handle_connection_closed(client.conn, TransportClose::Error, self.now);
        self.pump();
    }

    /// Everything received by `client` since the last call, decoded.
    pub fn packets(&mut self, client: Client) -> Vec<Packet> {
        let mut packets: Vec<Packet> = self
            .pending
            .remove(&client.conn)
            .map(Vec::from)
            .unwrap_or_default();
        let Some(buf) = self.received.get_mut(&client.conn) else {
            return packets;
        };
        while let Some(packet) = decode(buf, client.version, &Limits::UNLIMITED)
            .unwrap_or_else(|e| panic!("broker sent a malformed packet: {e}"))
        {
            packets.push(packet);
        }
        assert!(buf.is_empty(), "partial packet left");
        packets
    }

    /// The raw bytes received by `client` since the last call.
    pub fn raw(&mut self, client: Client) -> Bytes {
        self.received
            .get_mut(&client.conn)
            .map(|b| b.split().freeze())
            .unwrap_or_default()
    }

    /// PUBLISH packets received since the last call (other packets dropped).
    pub fn publishes(&mut self, client: Client) -> Vec<Publish> {
        self.packets(client)
            .into_iter()
            .filter_map(|p| match p {
                Packet::Publish(publish) => Some(publish),
                _ => None,
            })
            .collect()
    }

    /// Acknowledges a QoS 1 or 2 PUBLISH the way a client does.
    pub fn ack(&mut self, client: Client, publish: &Publish) {
        let Some(id) = publish.packet_id else { return };
        match publish.qos {
            QoS::AtLeastOnce => self.send(client, &Packet::PubAck(PublishResponse::new(id))),
            QoS::ExactlyOnce => {
                self.send(client, &Packet::PubRec(PublishResponse::new(id)));
                self.send(client, &Packet::PubComp(PublishResponse::new(id)));
            }
            QoS::AtMostOnce => {}
        }
    }

    pub fn is_closed(&self, client: Client) -> bool {
        self.closed.contains(&client.conn)
    }

    /// Moves the clock forward, firing every deadline on the way at its own
    /// instant.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(at) = self.broker.poll_timeout().filter(|at| *at <= target) {
            self.now = self.now.max(at);
            self.broker.handle_timeout(self.now);
            self.pump();
            self.rescan_deadline();
        }
        self.now = target;
        self.broker.handle_timeout(self.now);
        self.pump();
        self.rescan_deadline();
    }

    pub fn take_events(&mut self) -> Vec<BrokerEvent> {
        std::mem::take(&mut self.events)
    }

    /// Triggers of the WillPublished events so far (drains nothing).
    pub fn will_triggers(&self) -> Vec<WillTrigger> {
        self.events
            .iter()
            .filter_map(|e| match e {
                BrokerEvent::WillPublished { trigger, .. } => Some(trigger.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn wills_discarded(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, BrokerEvent::WillDiscarded { .. }))
            .count()
    }
}

pub fn publish(topic: &str, payload: &str, qos: QoS, packet_id: Option<u16>) -> Publish {
    Publish {
        dup: false,
        qos,
        retain: false,
        topic: topic.into(),
        packet_id,
        properties: Default::default(),
        payload: Bytes::copy_from_slice(payload.as_bytes()),
    }
}

/// A subscriber connected with Clean Start 1 and subscribed to `filter`;
/// retained messages sent on subscription are dropped.
pub fn watcher(net: &mut Net, version: ProtocolVersion, filter: &str, qos: QoS) -> Client {
    let id = format!("watcher-{}", net.packet_id());
    let client = net.connect(Connect::new(version, id).keep_alive(0));
    net.subscribe(client, filter, qos);
    net.packets(client);
    client
}

/// The payloads of `publishes`, as strings.
pub fn payloads(publishes: &[Publish]) -> Vec<String> {
    publishes
        .iter()
        .map(|p| String::from_utf8_lossy(&p.payload).into_owned())
        .collect()
}

/// The reason code of the DISCONNECT among `packets`, if any.
pub fn disconnect_reason(packets: &[Packet]) -> Option<ReasonCode> {
    packets.iter().find_map(|p| match p {
        Packet::Disconnect(d) => Some(d.reason_code),
        _ => None,
    })
}
