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

mod apply;
mod observe;

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
