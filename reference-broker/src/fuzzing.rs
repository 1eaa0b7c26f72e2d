//! A will-invariant checker for the sans-IO core, shared by the `broker_core`
//! fuzz target and the property tests in `tests/will_invariants.rs`.
//!
//! [`run_ops`] drives a [`Broker`] in virtual time with a sequence of client
//! [`Op`]s (four connection slots sharing two Client Identifiers, so
//! takeovers happen) and, after every step, compares the broker's will events
//! and the PUBLISH packets its subscribers receive with a small model:
//!
//! - a will is published only after an ungraceful end: never after a 3.1.1
//!   DISCONNECT or a 5.0 DISCONNECT 0x00 (MQTT-3.14.4-3);
//! - at most once per stored will (MQTT-3.1.2-10);
//! - never before its Will Delay Interval, unless the session ended first
//!   (session expiry, Session Expiry 0, Clean Start 1; MQTT-3.1.3-9), and it
//!   is scheduled for exactly that instant;
//! - never after the same session resumed within the delay (MQTT-3.1.3-9);
//! - once due, published within the same step (nothing overdue);
//! - delivered with its User Properties intact and in order, without a Will
//!   Delay Interval property, with a Message Expiry Interval no larger than
//!   the will's (MQTT-3.1.3-10, MQTT-3.3.2-18, §2.2.2.2);
//! - delivered at min(Will QoS, granted QoS) (MQTT-3.8.4-6 / MQTT-3.8.4-8);
//! - the broker never panics and only sends well-formed packets.
//!
//! Every numeric field of an [`Op`] is taken modulo the size of its table, so
//! any value is valid: this is what lets `arbitrary` (feature `arbitrary`)
//! and proptest generate them freely.

use std::collections::{HashMap, HashSet};
use std::fmt;

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, Properties, ProtocolVersion, Publish, QoS,
    ReasonCode, Subscribe, Subscription, SubscriptionOptions, UserProperty, Will,
};

use crate::{
    Action, Broker, BrokerConfig, BrokerEvent, CloseCause, ConnectionId, Timestamp, TransportClose,
};

/// Number of connection slots; slot `s` uses Client Identifier `c{s % 2}`.
pub const SLOTS: usize = 4;
/// Will and publish topics.
pub const TOPICS: [&str; 3] = ["will/a", "will/b", "status/c"];
/// Subscription filters, wildcards included.
pub const FILTERS: [&str; 7] = [
    "will/a", "will/+", "#", "will/#", "status/c", "+/c", "will/b",
];
/// Keep Alive values in seconds (0: off).
pub const KEEP_ALIVES: [u16; 4] = [0, 0, 5, 30];
/// Session Expiry Interval values (`None`: absent).
pub const SESSION_EXPIRIES: [Option<u32>; 5] = [None, Some(0), Some(10), Some(60), Some(u32::MAX)];
/// Will Delay Interval values (`None`: absent).
pub const WILL_DELAYS: [Option<u32>; 5] = [None, Some(0), Some(5), Some(30), Some(120)];
/// Will Message Expiry Interval values.
pub const MESSAGE_EXPIRIES: [Option<u32>; 3] = [None, Some(2), Some(100)];
/// Will User Properties; names repeat so that order matters.
pub const USER_PROPERTIES: [(&str, &str); 4] = [("k", "1"), ("k", "2"), ("z", "a"), ("a", "z")];
/// DISCONNECT reason codes; the last entry means "the raw `reason` byte".
pub const DISCONNECT_CODES: [u8; 8] = [0x00, 0x00, 0x04, 0x04, 0x80, 0x81, 0x02, 0xFF];

/// Prefix of will payloads; never sent in any other packet.
const WILL_MARK: &[u8] = b"WILL";

/// A will to put in a CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct WillOp {
    /// Index into [`TOPICS`].
    pub topic: u8,
    /// QoS (modulo 3).
    pub qos: u8,
    pub retain: bool,
    /// Index into [`WILL_DELAYS`] (5.0 only).
    pub delay: u8,
    /// Index into [`MESSAGE_EXPIRIES`] (5.0 only).
    pub message_expiry: u8,
    /// Indices into [`USER_PROPERTIES`], in order (5.0 only, at most 4).
    pub user_properties: Vec<u8>,
}

/// One thing a client, the network or the clock does.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Op {
    /// Open a new connection for the slot and send CONNECT (the slot's
    /// previous connection, if any, stays open but silent).
    Connect {
        slot: u8,
        v5: bool,
        clean_start: bool,
        /// Index into [`KEEP_ALIVES`].
        keep_alive: u8,
        /// Index into [`SESSION_EXPIRIES`] (5.0 only).
        session_expiry: u8,
        will: Option<WillOp>,
    },
    /// SUBSCRIBE to [`FILTERS`]`[filter]` at QoS `qos % 3`.
    Subscribe { slot: u8, filter: u8, qos: u8 },
    /// PUBLISH a non-will message on [`TOPICS`]`[topic]`.
    Publish { slot: u8, topic: u8, qos: u8 },
    /// DISCONNECT; 5.0 with [`DISCONNECT_CODES`]`[reason % 8]` (or the raw
    /// byte for the last entry).
    Disconnect { slot: u8, reason: u8 },
    /// The client closes its side (FIN).
    Drop { slot: u8 },
    /// The transport fails (RST).
    Reset { slot: u8 },
    /// The client stops talking and the slot forgets its connection.
    Silent { slot: u8 },
    /// Move the clock forward `secs % 201` seconds, firing every deadline.
    Advance { secs: u8 },
    /// A new connection with the slot's last CONNECT (same id, fresh will).
    Reconnect { slot: u8, clean_start: bool },
    /// Raw bytes on the slot's connection.
    Garbage { slot: u8, bytes: Vec<u8> },
}

/// Where the model and the broker disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WillViolation {
    /// Index of the op during which it was found.
    pub step: usize,
    /// That op, in `Debug` form.
    pub op: String,
    /// Virtual time in milliseconds.
    pub at: u64,
    pub message: String,
}

impl fmt::Display for WillViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} ({}) at {} ms: {}",
            self.step, self.op, self.at, self.message
        )
    }
}

impl std::error::Error for WillViolation {}

/// Runs `ops` against a broker with the default configuration.
pub fn run_ops(ops: &[Op]) -> Result<(), WillViolation> {
    run_ops_with(BrokerConfig::default(), ops)
}

/// Runs `ops` against a broker with `config` (faults included).
pub fn run_ops_with(config: BrokerConfig, ops: &[Op]) -> Result<(), WillViolation> {
    run_ops_counting(config, ops).map(|_| ())
}

/// What a clean run exercised, so tests can tell that random sequences reach
/// the interesting cases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// WillPublished events checked.
    pub wills_published: usize,
    /// Of those, published after a Will Delay (due time after the close).
    pub delayed_wills_published: usize,
    /// Pending wills cancelled by a resumed session.
    pub wills_cancelled: usize,
    /// Will PUBLISH packets received by subscribers and checked.
    pub will_deliveries: usize,
    /// Of those, whose QoS was checked against the subscriptions.
    pub qos_checked: usize,
}

/// [`run_ops_with`], returning what the run exercised.
pub fn run_ops_counting(config: BrokerConfig, ops: &[Op]) -> Result<RunStats, WillViolation> {
    let mut checker = Checker::new(config);
    for (step, op) in ops.iter().enumerate() {
        checker.apply(op).map_err(|message| WillViolation {
            step,
            op: format!("{op:?}"),
            at: checker.now.0,
            message,
        })?;
    }
    Ok(checker.stats)
}

type Check = Result<(), String>;

/// A will as sent in CONNECT.
#[derive(Clone, Debug)]
struct WillSpec {
    token: Bytes,
    topic: String,
    qos: QoS,
    delay: u32,
    message_expiry: Option<u32>,
    user: Vec<UserProperty>,
}

/// What was sent in a connection's CONNECT.
#[derive(Clone, Debug)]
struct ConnInfo {
    client_id: String,
    version: ProtocolVersion,
    session_expiry: u32,
    will: Option<WillSpec>,
}

/// A will the model expects the broker to hold after its connection ended.
#[derive(Clone, Debug)]
struct Stored {
    spec: WillSpec,
    closed_at: Timestamp,
    earliest: Timestamp,
}

#[derive(Clone, Debug)]
struct SlotParams {
    v5: bool,
    keep_alive: u8,
    session_expiry: u8,
    will: Option<WillOp>,
}

#[derive(Default)]
struct Subs {
    filters: Vec<(String, QoS)>,
    /// Garbage may have (un)subscribed behind the model's back.
    untrusted: bool,
}

struct Checker {
    broker: Broker,
    now: Timestamp,
    slots: [Option<ConnectionId>; SLOTS],
    params: [Option<SlotParams>; SLOTS],
    sent: HashMap<ConnectionId, ConnInfo>,
    live: HashSet<ConnectionId>,
    received: HashMap<ConnectionId, BytesMut>,
    garbage_tail: HashMap<ConnectionId, Vec<u8>>,
    stored: HashMap<String, Vec<Stored>>,
    /// Why a client holds no will, for messages.
    gone: HashMap<String, &'static str>,
    published: HashSet<Bytes>,
    specs: HashMap<Bytes, WillSpec>,
    subs: HashMap<String, Subs>,
    pending_subs: HashMap<(ConnectionId, u16), (String, QoS)>,
    /// The client whose Clean Start 1 CONNECT is being handled this step.
    clean_start_client: Option<String>,
    next_token: u64,
    next_packet_id: u16,
    stats: RunStats,
}

fn qos_of(n: u8) -> QoS {
    match n % 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn slot_of(n: u8) -> usize {
    usize::from(n) % SLOTS
}

fn client_of(slot: usize) -> String {
    format!("c{}", slot % 2)
}

fn pick<T: Copy>(table: &[T], n: u8) -> T {
    table[usize::from(n) % table.len()]
}

/// MQTT topic filter matching, written independently of the broker's.
fn matches(filter: &str, topic: &str) -> bool {
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return !topic.starts_with('$') || !filter.starts_with('#'),
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

impl Checker {
    fn new(config: BrokerConfig) -> Self {
        Self {
            broker: Broker::new(config),
            now: Timestamp(1_000),
            slots: [None; SLOTS],
            params: Default::default(),
            sent: HashMap::new(),
            live: HashSet::new(),
            received: HashMap::new(),
            garbage_tail: HashMap::new(),
            stored: HashMap::new(),
            gone: HashMap::new(),
            published: HashSet::new(),
            specs: HashMap::new(),
            subs: HashMap::new(),
            pending_subs: HashMap::new(),
            clean_start_client: None,
            next_token: 0,
            next_packet_id: 1,
            stats: RunStats::default(),
        }
    }

    fn packet_id(&mut self) -> u16 {
        let id = self.next_packet_id;
        self.next_packet_id = self.next_packet_id.wrapping_add(1).max(1);
        id
    }

    fn apply(&mut self, op: &Op) -> Check {
        self.clean_start_client = None;
        match op {
            Op::Connect {
                slot,
                v5,
                clean_start,
                keep_alive,
                session_expiry,
                will,
            } => {
                let slot = slot_of(*slot);
                let params = SlotParams {
                    v5: *v5,
                    keep_alive: *keep_alive,
                    session_expiry: *session_expiry,
                    will: will.clone(),
                };
                self.params[slot] = Some(params.clone());
                self.connect(slot, &params, *clean_start)?;
            }
            Op::Reconnect { slot, clean_start } => {
                let slot = slot_of(*slot);
                if let Some(params) = self.params[slot].clone() {
                    self.connect(slot, &params, *clean_start)?;
                }
            }
            Op::Subscribe { slot, filter, qos } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    let packet_id = self.packet_id();
                    let filter = pick(&FILTERS, *filter).to_owned();
                    let qos = qos_of(*qos);
                    self.pending_subs
                        .insert((conn, packet_id), (filter.clone(), qos));
                    let packet = Packet::Subscribe(Subscribe {
                        packet_id,
                        properties: Properties::default(),
                        subscriptions: vec![Subscription {
                            filter,
                            options: SubscriptionOptions {
                                qos,
                                ..SubscriptionOptions::default()
                            },
                        }],
                    });
                    self.send(conn, &packet)?;
                }
            }
            Op::Publish { slot, topic, qos } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    let qos = qos_of(*qos);
                    let packet_id = (qos != QoS::AtMostOnce).then(|| self.packet_id());
                    let packet = Packet::Publish(Publish {
                        dup: false,
                        qos,
                        retain: false,
                        topic: pick(&TOPICS, *topic).to_owned(),
                        packet_id,
                        properties: Properties::default(),
                        payload: Bytes::from_static(b"m"),
                    });
                    self.send(conn, &packet)?;
                }
            }
            Op::Disconnect { slot, reason } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    let v5 = self.sent.get(&conn).is_some_and(|i| i.version.is_v5());
                    let code = match pick(&DISCONNECT_CODES, *reason) {
                        0xFF => *reason,
                        code => code,
                    };
                    let bytes: Vec<u8> = if v5 {
                        vec![0xE0, 1, code]
                    } else {
                        vec![0xE0, 0]
                    };
                    self.broker.handle_bytes(conn, &bytes, self.now);
                    self.drain()?;
                }
            }
            Op::Drop { slot } | Op::Reset { slot } => {
                if let Some(conn) = self.slots[slot_of(*slot)].take() {
                    let how = if matches!(op, Op::Drop { .. }) {
                        TransportClose::PeerClosed
                    } else {
                        TransportClose::Error
                    };
                    self.broker.handle_connection_closed(conn, how, self.now);
                    self.drain()?;
                }
            }
            Op::Silent { slot } => {
                self.slots[slot_of(*slot)] = None;
            }
            Op::Advance { secs } => {
                let target = self.now.plus_secs(u32::from(*secs % 201));
                while let Some(at) = self.broker.poll_timeout().filter(|at| *at <= target) {
                    self.now = self.now.max(at);
                    self.broker.handle_timeout(self.now);
                    self.drain()?;
                }
                self.now = target;
                self.broker.handle_timeout(self.now);
                self.drain()?;
            }
            Op::Garbage { slot, bytes } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    // Never let garbage forge a will payload: it would be
                    // checked as one.
                    let tail = self.garbage_tail.entry(conn).or_default();
                    let mut all = tail.clone();
                    all.extend_from_slice(bytes);
                    if !all.windows(WILL_MARK.len()).any(|w| w == WILL_MARK) {
                        let keep = all.len().saturating_sub(WILL_MARK.len() - 1);
                        *tail = all[keep..].to_vec();
                        if let Some(info) = self.sent.get(&conn) {
                            self.subs
                                .entry(info.client_id.clone())
                                .or_default()
                                .untrusted = true;
                        }
                        self.broker.handle_bytes(conn, bytes, self.now);
                        self.drain()?;
                    }
                }
            }
        }
        self.check_overdue()
    }

    fn connect(&mut self, slot: usize, params: &SlotParams, clean_start: bool) -> Check {
        let client_id = client_of(slot);
        let version = if params.v5 {
            ProtocolVersion::V5
        } else {
            ProtocolVersion::V3_1_1
        };
        let mut connect = Connect::new(version, client_id.clone());
        connect.clean_start = clean_start;
        connect.keep_alive = pick(&KEEP_ALIVES, params.keep_alive);
        let mut session_expiry = 0;
        if params.v5 {
            let sei = pick(&SESSION_EXPIRIES, params.session_expiry);
            connect.properties.session_expiry_interval = sei;
            session_expiry = sei.unwrap_or(0);
        }
        let mut spec = None;
        if let Some(w) = &params.will {
            self.next_token += 1;
            let token = Bytes::from(format!("WILL{}", self.next_token));
            let mut properties = Properties::default();
            if params.v5 {
                properties.will_delay_interval = pick(&WILL_DELAYS, w.delay);
                properties.message_expiry_interval = pick(&MESSAGE_EXPIRIES, w.message_expiry);
                properties.user_properties = w
                    .user_properties
                    .iter()
                    .take(4)
                    .map(|i| {
                        let (k, v) = pick(&USER_PROPERTIES, *i);
                        UserProperty::new(k, v)
                    })
                    .collect();
            }
            let will = Will {
                topic: pick(&TOPICS, w.topic).to_owned(),
                payload: token.clone(),
                qos: qos_of(w.qos),
                retain: w.retain,
                properties: properties.clone(),
            };
            let s = WillSpec {
                token: token.clone(),
                topic: will.topic.clone(),
                qos: will.qos,
                delay: properties.will_delay_interval.unwrap_or(0),
                message_expiry: properties.message_expiry_interval,
                user: properties.user_properties.clone(),
            };
            self.specs.insert(token, s.clone());
            spec = Some(s);
            connect.will = Some(will);
        }
        let conn = self.broker.handle_connection_opened(self.now);
        self.drain()?;
        self.sent.insert(
            conn,
            ConnInfo {
                client_id: client_id.clone(),
                version,
                session_expiry,
                will: spec,
            },
        );
        self.slots[slot] = Some(conn);
        if clean_start {
            self.clean_start_client = Some(client_id);
        }
        self.send(conn, &Packet::Connect(Box::new(connect)))
    }

    fn send(&mut self, conn: ConnectionId, packet: &Packet) -> Check {
        let version = self
            .sent
            .get(&conn)
            .map_or(ProtocolVersion::V5, |i| i.version);
        let bytes = encode_to_bytes(packet, version)
            .map_err(|e| format!("could not encode the op's own packet: {e}"))?;
        self.broker.handle_bytes(conn, &bytes, self.now);
        self.drain()
    }

    /// Drains the broker's outputs and checks them against the model.
    fn drain(&mut self) -> Check {
        let mut touched = Vec::new();
        while let Some(action) = self.broker.poll_action() {
            match action {
                Action::Send { conn, bytes } => {
                    self.received
                        .entry(conn)
                        .or_default()
                        .extend_from_slice(&bytes);
                    // Delivered at once: this model has no slow readers.
                    self.broker
                        .handle_bytes_written(conn, bytes.len(), self.now);
                    touched.push(conn);
                }
                Action::Close { conn } => {
                    for slot in self.slots.iter_mut() {
                        if *slot == Some(conn) {
                            *slot = None;
                        }
                    }
                }
            }
        }
        while let Some(event) = self.broker.poll_event() {
            self.on_event(event)?;
        }
        touched.sort_unstable();
        touched.dedup();
        for conn in touched {
            self.read_packets(conn)?;
        }
        Ok(())
    }

    fn on_event(&mut self, event: BrokerEvent) -> Check {
        match event {
            BrokerEvent::ConnectionAccepted {
                conn,
                client_id,
                session_present,
                ..
            } => {
                self.live.insert(conn);
                if session_present {
                    // The session resumed: its pending will is cancelled
                    // (MQTT-3.1.3-9).
                    let cancelled = self.stored.remove(&client_id).map_or(0, |s| s.len());
                    self.stats.wills_cancelled += cancelled;
                    if cancelled > 0 {
                        self.gone
                            .insert(client_id, "cancelled when its session resumed");
                    }
                } else {
                    self.subs.remove(&client_id);
                }
            }
            BrokerEvent::ConnectionClosed { conn, cause, .. } => {
                if !self.live.remove(&conn) {
                    return Ok(());
                }
                let Some(info) = self.sent.get(&conn).cloned() else {
                    return Ok(());
                };
                let Some(spec) = info.will else {
                    return Ok(());
                };
                let v5 = info.version.is_v5();
                let sei = info.session_expiry;
                let earliest = match cause {
                    CloseCause::ClientDisconnect(rc)
                        if !v5 || rc == ReasonCode::NORMAL_DISCONNECTION =>
                    {
                        self.gone.insert(
                            info.client_id,
                            "deleted by a normal DISCONNECT (MQTT-3.14.4-3)",
                        );
                        return Ok(());
                    }
                    // A takeover with Clean Start 0 resumes the session; the
                    // ConnectionAccepted that follows cancels the will.
                    CloseCause::SessionTakenOver {
                        new_clean_start: true,
                    } => self.now,
                    _ if v5 => self.now.plus_secs(spec.delay.min(sei)),
                    _ => self.now,
                };
                self.stored.entry(info.client_id).or_default().push(Stored {
                    spec,
                    closed_at: self.now,
                    earliest,
                });
            }
            BrokerEvent::WillScheduled {
                client_id,
                topic,
                due,
            } => {
                let Some(stored) = self
                    .stored
                    .get(&client_id)
                    .and_then(|s| s.iter().find(|s| s.spec.topic == topic))
                else {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` scheduled, but the model holds none ({})",
                        self.why_gone(&client_id)
                    ));
                };
                if due != stored.earliest {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` scheduled for {} ms, model expects {} ms (Will Delay {} s)",
                        due.0, stored.earliest.0, stored.spec.delay
                    ));
                }
            }
            BrokerEvent::WillPublished {
                client_id,
                topic,
                qos,
                ..
            } => {
                let found = self
                    .stored
                    .get(&client_id)
                    .and_then(|s| s.iter().position(|s| s.spec.topic == topic));
                let Some(index) = found else {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` published, but the model holds none: {}",
                        self.why_gone(&client_id)
                    ));
                };
                let stored = self
                    .stored
                    .get_mut(&client_id)
                    .map(|s| s.remove(index))
                    .ok_or("model lost a will")?;
                let session_ended = self.clean_start_client.as_deref() == Some(&client_id);
                if self.now < stored.earliest && !session_ended {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` published at {} ms, before its due time {} ms (Will Delay {} s), with the session alive (MQTT-3.1.3-9)",
                        self.now.0, stored.earliest.0, stored.spec.delay
                    ));
                }
                if qos != stored.spec.qos {
                    return Err(format!(
                        "will of `{client_id}` published at QoS {}, its Will QoS is {}",
                        qos.as_u8(),
                        stored.spec.qos.as_u8()
                    ));
                }
                self.stats.wills_published += 1;
                if self.now > stored.closed_at {
                    self.stats.delayed_wills_published += 1;
                }
                self.published.insert(stored.spec.token.clone());
                self.gone
                    .insert(client_id, "already published (MQTT-3.1.2-10: at most once)");
            }
            _ => {}
        }
        Ok(())
    }

    fn why_gone(&self, client_id: &str) -> &'static str {
        self.gone
            .get(client_id)
            .copied()
            .unwrap_or("no connection of this client ended ungracefully with a will")
    }

    fn read_packets(&mut self, conn: ConnectionId) -> Check {
        let Some(info) = self.sent.get(&conn).cloned() else {
            return Ok(());
        };
        let Some(buf) = self.received.get_mut(&conn) else {
            return Ok(());
        };
        let mut packets = Vec::new();
        loop {
            match decode(buf, info.version, &Limits::UNLIMITED) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => break,
                Err(e) => return Err(format!("broker sent {conn} a malformed packet: {e}")),
            }
        }
        if !buf.is_empty() {
            return Err(format!("broker left a partial packet for {conn}"));
        }
        for packet in packets {
            match packet {
                Packet::SubAck(ack) => {
                    if let Some((filter, _)) = self.pending_subs.remove(&(conn, ack.packet_id)) {
                        let subs = self.subs.entry(info.client_id.clone()).or_default();
                        subs.filters.retain(|(f, _)| *f != filter);
                        if let Some(code) = ack.reason_codes.first().filter(|c| c.0 <= 2) {
                            subs.filters.push((filter, qos_of(code.0)));
                        }
                    } else {
                        self.subs
                            .entry(info.client_id.clone())
                            .or_default()
                            .untrusted = true;
                    }
                }
                Packet::Publish(publish) => self.check_delivery(&info, &publish)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn check_delivery(&mut self, info: &ConnInfo, publish: &Publish) -> Check {
        if !publish.payload.starts_with(WILL_MARK) {
            return Ok(());
        }
        self.stats.will_deliveries += 1;
        let who = &info.client_id;
        let Some(spec) = self.specs.get(&publish.payload) else {
            return Err(format!("`{who}` received an unknown will payload"));
        };
        if !self.published.contains(&spec.token) {
            return Err(format!(
                "`{who}` received the will on `{}` before any WillPublished for it",
                spec.topic
            ));
        }
        if publish.topic != spec.topic {
            return Err(format!(
                "will for `{}` delivered on `{}`",
                spec.topic, publish.topic
            ));
        }
        if publish.qos > spec.qos {
            return Err(format!(
                "will delivered to `{who}` at QoS {} above its Will QoS {}",
                publish.qos.as_u8(),
                spec.qos.as_u8()
            ));
        }
        let subs = self.subs.get(who);
        if let Some(subs) = subs.filter(|s| !s.untrusted) {
            let granted = subs
                .filters
                .iter()
                .filter(|(f, _)| matches(f, &spec.topic))
                .map(|(_, q)| *q)
                .max();
            let Some(granted) = granted else {
                return Err(format!(
                    "will on `{}` delivered to `{who}`, which has no matching subscription",
                    spec.topic
                ));
            };
            let expected = spec.qos.min(granted);
            self.stats.qos_checked += 1;
            // A retained copy sent on subscription is at most that (that
            // one subscription's QoS); a retransmission (DUP) keeps the QoS it
            // was first sent with, under subscriptions since replaced.
            let ok = if publish.dup {
                true
            } else if publish.retain {
                publish.qos <= expected
            } else {
                publish.qos == expected
            };
            if !ok {
                return Err(format!(
                    "will on `{}` delivered to `{who}` at QoS {}, expected min(Will QoS {}, granted {}) = {} (MQTT-3.8.4-6 / MQTT-3.8.4-8)",
                    spec.topic,
                    publish.qos.as_u8(),
                    spec.qos.as_u8(),
                    granted.as_u8(),
                    expected.as_u8()
                ));
            }
        }
        if info.version.is_v5() {
            let p = &publish.properties;
            if p.will_delay_interval.is_some() {
                return Err(format!(
                    "will delivered to `{who}` carries a Will Delay Interval property (§2.2.2.2)"
                ));
            }
            if p.user_properties != spec.user {
                return Err(format!(
                    "will delivered to `{who}` with User Properties {:?}, sent {:?} (MQTT-3.1.3-10, MQTT-3.3.2-18)",
                    pairs(&p.user_properties),
                    pairs(&spec.user)
                ));
            }
            match (spec.message_expiry, p.message_expiry_interval) {
                (None, None) => {}
                (Some(sent), Some(got)) if got <= sent => {}
                (sent, got) => {
                    return Err(format!(
                        "will delivered to `{who}` with Message Expiry {got:?}, sent {sent:?} (MQTT-3.3.2-6)"
                    ))
                }
            }
        }
        Ok(())
    }

    fn check_overdue(&self) -> Check {
        for (client_id, stored) in &self.stored {
            if let Some(s) = stored.iter().find(|s| s.earliest <= self.now) {
                return Err(format!(
                    "will of `{client_id}` on `{}` was due at {} ms (its connection ended ungracefully) but is still unpublished at {} ms (MQTT-3.1.2-8)",
                    s.spec.topic, s.earliest.0, self.now.0
                ));
            }
        }
        Ok(())
    }
}

fn pairs(props: &[UserProperty]) -> Vec<(&str, &str)> {
    props
        .iter()
        .map(|u| (u.name.as_str(), u.value.as_str()))
        .collect()
}
