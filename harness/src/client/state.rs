//! What one scenario client has received, shared between its connection
//! tasks (which write it) and the runner (which waits on it).

use std::collections::VecDeque;

use lastwill_codec::{Packet, Publish};
use tokio::time::Instant;

/// Received state of one scenario client across all its connections.
#[derive(Debug, Default)]
pub struct ClientState {
    /// PUBLISHes not yet taken by a step, from every connection of the
    /// client, in arrival order. Left-overs fail the scenario at its end.
    pub inbox: VecDeque<ReceivedPublish>,
    /// One entry per connection, by index.
    pub connections: Vec<ConnectionState>,
}

/// A PUBLISH the broker sent.
#[derive(Clone, Debug)]
pub struct ReceivedPublish {
    pub connection: u32,
    pub at: Instant,
    pub publish: Publish,
}

/// A packet other than PUBLISH and PUBREL (those the client answers itself).
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub packet: Packet,
}

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndKind {
    /// The broker closed its side in order (we read EOF).
    BrokerClosed,
    /// Reading failed: a reset by the broker or another transport error.
    BrokerReset(String),
    /// We reset it ourselves.
    LocalReset,
    /// The broker sent bytes the strict codec rejects; we stopped reading.
    Malformed,
}

impl EndKind {
    pub fn describe(&self) -> String {
        match self {
            Self::BrokerClosed => "the broker closed the connection".into(),
            Self::BrokerReset(error) => format!("the connection failed ({error})"),
            Self::LocalReset => "the harness reset the connection".into(),
            Self::Malformed => "the broker sent a malformed packet".into(),
        }
    }
}

/// How we closed our side without waiting for the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalClose {
    Fin,
    Rst,
}

/// One network connection of a client.
#[derive(Debug, Default)]
pub struct ConnectionState {
    /// Non-PUBLISH packets in arrival order; steps look from a mark onwards.
    pub received: Vec<Received>,
    /// When and how the connection ended, if it has.
    pub ended: Option<(Instant, EndKind)>,
    /// Set when we sent FIN or RST.
    pub local_close: Option<LocalClose>,
    /// Set once a CONNACK with code 0x00 arrived: the connection is an MQTT
    /// session, so a PINGREQ barrier is meaningful on it.
    pub mqtt_connected: bool,
}

impl ConnectionState {
    /// Neither side has closed it.
    pub fn is_open(&self) -> bool {
        self.ended.is_none() && self.local_close.is_none()
    }
}
