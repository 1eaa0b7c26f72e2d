//! A fuzz case: a short sequence of operations by up to three device
//! clients (slots `d0`..`d2`) whose CONNECTs carry wills, watched by one
//! subscriber. Everything a case names lives under a namespace unique to
//! the execution (`{ns}`), so many cases run at once against one broker and
//! a re-run (minimization) never sees an earlier run's wills.
//!
//! - Slot `s` uses Client Identifier `{ns}-id{ids[s]}`: two slots sharing an
//!   id make takeovers; a slot that connects again while its previous
//!   connection is open takes itself over (as in scenario files).
//! - The will of the CONNECT with tag `t` is published on `{ns}/w{t}` with
//!   payload `lw{t}`, so every PUBLISH the watcher sees names the one
//!   connection it belongs to.
//! - Every op acts on the slot's current connection; an op whose slot has
//!   no open connection does nothing, so deleting ops (minimization) always
//!   leaves a runnable case.

use crate::scenario::Version;

/// Number of device slots.
pub const SLOTS: usize = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub version: Version,
    /// QoS of the watcher's subscription to `{ns}/#`.
    pub sub_qos: u8,
    /// Client Identifier index of each slot.
    pub ids: [u8; SLOTS],
    pub ops: Vec<Op>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Open a new connection for the slot and send CONNECT.
    Connect(ConnectOp),
    /// DISCONNECT (5.0 with this reason code; 3.1.1 plain), then FIN.
    Disconnect { slot: u8, reason: u8 },
    /// End the connection without DISCONNECT: FIN, or RST when `rst`.
    Close { slot: u8, rst: bool },
    /// Send nothing more (not even acknowledgements): keep-alive expires.
    Silent { slot: u8 },
    /// Let time pass.
    Wait { ms: u32 },
    /// A malformed or invalid DISCONNECT, as raw bytes; the socket stays open.
    BadDisconnect { slot: u8, kind: BadDisconnect },
    /// A second CONNECT on an open connection (MQTT-3.1.0-2), as raw bytes.
    SecondConnect { slot: u8 },
}

impl Op {
    /// The slot the op acts on, if any.
    pub fn slot(&self) -> Option<usize> {
        match self {
            Op::Connect(c) => Some(c.slot),
            Op::Disconnect { slot, .. }
            | Op::Close { slot, .. }
            | Op::Silent { slot }
            | Op::BadDisconnect { slot, .. }
            | Op::SecondConnect { slot } => Some(*slot),
            Op::Wait { .. } => None,
        }
        .map(|s| usize::from(s) % SLOTS)
    }

    /// Whether the op sends something a conforming client never sends.
    pub fn is_malformed(&self) -> bool {
        match self {
            Op::Connect(c) => c.malformed.is_some(),
            Op::BadDisconnect { .. } | Op::SecondConnect { .. } => true,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOp {
    pub slot: u8,
    /// Names the will's topic and payload; unique within a case.
    pub tag: u16,
    pub clean_start: bool,
    pub keep_alive: u16,
    /// 5.0 Session Expiry Interval.
    pub session_expiry: Option<u32>,
    pub will: Option<WillDef>,
    pub malformed: Option<Malformed>,
}

/// A will's QoS, flags and (5.0) properties. Topic and payload follow from
/// the CONNECT's tag.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WillDef {
    pub qos: u8,
    pub retain: bool,
    pub delay: Option<u32>,
    pub message_expiry: Option<u32>,
    pub payload_format: Option<u8>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<String>,
    pub user_properties: Vec<(String, String)>,
    /// Extra payload bytes after `lw{tag}`.
    pub padding: u16,
}

/// Ways a CONNECT's will fields are broken on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Malformed {
    /// Will QoS 3 (3.1.1 MQTT-3.1.2-14; 5.0 §3.1.2.6).
    WillQos3,
    /// Will QoS bits set with Will Flag 0 (MQTT-3.1.2-11 / -13).
    WillQosWithoutWillFlag,
    /// Will Retain set with Will Flag 0 (3.1.1 MQTT-3.1.2-15; 5.0 MQTT-3.1.2-13).
    WillRetainWithoutWillFlag,
    /// `#` in the will topic (MQTT-4.7.1-1 / MQTT-3.3.2-2).
    WildcardTopic,
    /// A zero-length will topic (MQTT-4.7.3-1).
    EmptyTopic,
    /// U+0000 in the will topic (MQTT-1.5.3-2 / MQTT-1.5.4-2).
    NulInTopic,
    /// Ill-formed UTF-8 in the will topic (MQTT-1.5.3-1 / MQTT-1.5.4-1).
    BadUtf8Topic,
}

impl Malformed {
    pub const ALL: [Malformed; 7] = [
        Malformed::WillQos3,
        Malformed::WillQosWithoutWillFlag,
        Malformed::WillRetainWithoutWillFlag,
        Malformed::WildcardTopic,
        Malformed::EmptyTopic,
        Malformed::NulInTopic,
        Malformed::BadUtf8Topic,
    ];

    /// Whether the CONNECT still carries a will (Will Flag 1).
    pub fn has_will(self) -> bool {
        !matches!(
            self,
            Malformed::WillQosWithoutWillFlag | Malformed::WillRetainWithoutWillFlag
        )
    }
}

/// Broken DISCONNECTs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadDisconnect {
    /// Fixed-header flags 0b0010 (MQTT-3.14.1-1).
    ReservedFlags,
    /// 5.0: a reason code no DISCONNECT may carry (0x05). 3.1.1: a DISCONNECT
    /// with a one-byte body, which 3.1.1 does not allow.
    ReservedReason,
    /// 5.0: DISCONNECT with Session Expiry Interval 30 after CONNECT had
    /// none (MQTT-3.14.2-2). 3.1.1: same as ReservedFlags.
    SessionExpiryAfterZero,
}

impl BadDisconnect {
    pub const ALL: [BadDisconnect; 3] = [
        BadDisconnect::ReservedFlags,
        BadDisconnect::ReservedReason,
        BadDisconnect::SessionExpiryAfterZero,
    ];

    /// The packet's bytes under `version`.
    pub fn bytes(self, version: Version) -> Vec<u8> {
        match (self, version) {
            (BadDisconnect::ReservedFlags, _)
            | (BadDisconnect::SessionExpiryAfterZero, Version::V3_1_1) => vec![0xE2, 0x00],
            (BadDisconnect::ReservedReason, Version::V3_1_1) => vec![0xE0, 0x01, 0x00],
            (BadDisconnect::ReservedReason, Version::V5) => vec![0xE0, 0x01, 0x05],
            (BadDisconnect::SessionExpiryAfterZero, Version::V5) => {
                vec![0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x1E]
            }
        }
    }
}

/// What a case exercises, for the report's "cases by kind".
pub fn kind(case: &Case) -> &'static str {
    if case.ops.iter().any(Op::is_malformed) {
        return "malformed";
    }
    let connects: Vec<&ConnectOp> = case
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Connect(c) => Some(c),
            _ => None,
        })
        .collect();
    let ids: Vec<u8> = connects
        .iter()
        .map(|c| case.ids[usize::from(c.slot) % SLOTS])
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() < ids.len() {
        "takeover"
    } else if case.ops.iter().any(|op| matches!(op, Op::Silent { .. })) {
        "keep-alive"
    } else if connects
        .iter()
        .any(|c| c.will.as_ref().is_some_and(|w| w.delay.unwrap_or(0) > 0))
    {
        "will-delay"
    } else {
        "lifecycle"
    }
}

impl Case {
    /// The CONNECT op with `tag`.
    pub fn connect(&self, tag: u16) -> Option<&ConnectOp> {
        self.ops.iter().find_map(|op| match op {
            Op::Connect(c) if c.tag == tag => Some(c),
            _ => None,
        })
    }

    /// A one-line description of each op, for reports.
    pub fn describe(&self) -> Vec<String> {
        self.ops.iter().map(|op| format!("{op:?}")).collect()
    }
}
