//! What one execution of a case saw: the broker's answers to each CONNECT,
//! how each connection ended, and every PUBLISH the watcher received, with
//! times measured from the case start. [`super::exec`] fills it in,
//! [`super::oracle`] judges it, [`super::emit`] turns it into a scenario.

use std::time::Duration;

use lastwill_codec::Publish;
use lastwill_report::TimelineEntry;

/// Timeouts of one execution.
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// For CONNACK, SUBACK and PINGRESP.
    pub reply_timeout: Duration,
    /// Hard cap on watching after the last op.
    pub max_watch: Duration,
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            reply_timeout: Duration::from_secs(8),
            max_watch: Duration::from_secs(30),
        }
    }
}

/// What the broker answered to a CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// CONNACK with this reason (3.1.1: return) code.
    Connack(u8),
    /// The connection closed (or a DISCONNECT came) without CONNACK.
    Closed,
    /// Nothing within the reply timeout.
    Nothing,
}

/// Something the case did to a connection after its CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnEvent {
    Disconnect(u8),
    BadDisconnect,
    SecondConnect,
    Fin,
    Rst,
    Silent,
}

/// One network connection the case opened.
#[derive(Clone, Debug)]
pub struct ConnRecord {
    /// Index of the Connect op in the case.
    pub op: usize,
    pub tag: u16,
    pub slot: usize,
    /// Client Identifier index.
    pub id: u8,
    pub sent_at: Duration,
    pub answer: Answer,
    pub answered_at: Option<Duration>,
    /// Session Expiry Interval in force: the CONNACK's if it sent one (5.0).
    pub session_expiry: u32,
    /// Keep Alive in force: the CONNACK's Server Keep Alive if any (5.0).
    pub keep_alive: u16,
    /// Our actions on the connection, while it was open, with their times.
    pub events: Vec<(Duration, ConnEvent)>,
    /// When the broker ended the connection, if it did (EOF or reset).
    pub broker_end: Option<Duration>,
}

/// A PUBLISH the watcher received.
#[derive(Clone, Debug)]
pub struct SeenPublish {
    pub at: Duration,
    pub publish: Publish,
}

/// Everything one execution saw.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    pub ns: String,
    /// The QoS the broker granted the watcher.
    pub granted_qos: u8,
    pub conns: Vec<ConnRecord>,
    pub publishes: Vec<SeenPublish>,
    /// Start and end of each op.
    pub op_times: Vec<(Duration, Duration)>,
    /// Ops that did nothing (their slot had no open connection).
    pub skipped: Vec<usize>,
    /// How long the watcher watched, from the case start.
    pub watched: Duration,
    /// The watcher could not be set up (no connection, refused, no SUBACK).
    pub setup_failed: Option<String>,
    /// A reply the case waited for never came.
    pub stalled: Option<String>,
    /// The broker sent a packet the strict codec rejects: (rule, message).
    pub malformed_reply: Option<(String, String)>,
    pub timeline: Vec<TimelineEntry>,
}
