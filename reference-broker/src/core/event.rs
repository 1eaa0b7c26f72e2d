//! What the core asks its driver to do ([`Action`]) and what it reports for
//! observability ([`BrokerEvent`]). Events never steer the core; each one is
//! a single log line when displayed.

use std::fmt;

use bytes::Bytes;
use lastwill_codec::{MqttString, PacketType, ProtocolVersion, QoS, ReasonCode};

use super::close_cause::{CloseCause, WillDiscardReason, WillTrigger};
use super::limits::Limit;
use crate::time::{ConnectionId, Timestamp};

/// Something the driver must do on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes (one encoded packet) to the connection.
    Send { conn: ConnectionId, bytes: Bytes },
    /// Flush what was sent and close the connection. The core has already
    /// forgotten it; reporting its close afterwards is harmless.
    Close { conn: ConnectionId },
}

/// How the transport ended, as far as the driver can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportClose {
    /// The peer closed its side in order (TCP FIN, read returned 0).
    PeerClosed,
    /// The transport failed (TCP RST, any I/O error).
    Error,
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEndReason {
    /// Its connection closed with Session Expiry 0 (or 3.1.1 Clean Session 1).
    ClosedWithoutExpiry,
    /// Its Session Expiry Interval passed while offline.
    Expired,
    /// A new connection with Clean Start 1 discarded it (MQTT-3.1.2-4).
    CleanStart,
    /// The server shut down.
    ServerShutdown,
}

impl fmt::Display for SessionEndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionEndReason::ClosedWithoutExpiry => "connection closed, no session expiry",
            SessionEndReason::Expired => "session expiry interval passed",
            SessionEndReason::CleanStart => "discarded by Clean Start 1",
            SessionEndReason::ServerShutdown => "server shutdown",
        })
    }
}

/// Why a message owed to a client was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Its Message Expiry Interval passed while it waited (MQTT-3.3.2-5).
    Expired,
    /// Larger than the client's Maximum Packet Size (MQTT-3.1.2-25).
    TooLargeForClient,
    /// The session's queue is full.
    QueueFull,
    /// A QoS 0 message for a client whose transport has too many bytes
    /// unwritten (`core::limits`, a subscriber that does not read).
    ClientBacklog,
    /// A PUBLISH the ACL denies its sender; `client_id` names the sender
    /// (MQTT-3.3.5-2, MQTT-3.1.4-2).
    NotAuthorized,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Expired => "message expired (MQTT-3.3.2-5)",
            DropReason::TooLargeForClient => {
                "larger than the client's Maximum Packet Size (MQTT-3.1.2-25)"
            }
            DropReason::QueueFull => "session queue full",
            DropReason::ClientBacklog => "QoS 0 dropped: the client is not reading",
            DropReason::NotAuthorized => "publisher not authorized for the topic",
        })
    }
}

/// An observation about the broker's behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerEvent {
    ConnectionOpened {
        conn: ConnectionId,
    },
    ConnectionAccepted {
        conn: ConnectionId,
        client_id: String,
        version: ProtocolVersion,
        clean_start: bool,
        session_present: bool,
        /// The effective Keep Alive in seconds.
        keep_alive: u16,
        has_will: bool,
    },
    ConnectionRejected {
        conn: ConnectionId,
        client_id: Option<String>,
        /// The CONNACK code sent (in the CONNECT's version), or `None` when the
        /// connection was closed without CONNACK.
        reason: Option<ReasonCode>,
        rule: &'static str,
    },
    ConnectionClosed {
        conn: ConnectionId,
        client_id: Option<String>,
        cause: CloseCause,
    },
    ProtocolViolation {
        conn: ConnectionId,
        client_id: Option<String>,
        rule: &'static str,
        reason: ReasonCode,
        detail: String,
    },
    SessionTakenOver {
        client_id: String,
        old: ConnectionId,
        new: ConnectionId,
    },
    SessionEnded {
        client_id: String,
        reason: SessionEndReason,
    },
    WillScheduled {
        client_id: String,
        topic: MqttString,
        due: Timestamp,
    },
    WillPublished {
        client_id: String,
        topic: MqttString,
        trigger: WillTrigger,
        qos: QoS,
        retain: bool,
        /// Sessions it was sent or queued to.
        recipients: usize,
    },
    WillDiscarded {
        client_id: String,
        topic: MqttString,
        reason: WillDiscardReason,
    },
    MessageDropped {
        client_id: String,
        topic: MqttString,
        reason: DropReason,
    },
    /// The core could not encode a packet it meant to send (a bug or a limit).
    EncodeFailed {
        conn: ConnectionId,
        packet_type: PacketType,
        error: String,
    },
    ShutdownStarted {
        connections: usize,
        pending_wills: usize,
    },
    /// A client hit one of the limits of `core::limits`.
    LimitReached {
        /// `None` for an offline session.
        conn: Option<ConnectionId>,
        client_id: Option<String>,
        limit: Limit,
        detail: String,
    },
}

impl BrokerEvent {
    /// Whether this is about a will: drivers log these at a higher level.
    pub fn is_will_event(&self) -> bool {
        matches!(
            self,
            BrokerEvent::WillScheduled { .. }
                | BrokerEvent::WillPublished { .. }
                | BrokerEvent::WillDiscarded { .. }
        )
    }
}

fn opt(id: &Option<String>) -> &str {
    id.as_deref().unwrap_or("-")
}

impl fmt::Display for BrokerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerEvent::ConnectionOpened { conn } => write!(f, "{conn} opened"),
            BrokerEvent::ConnectionAccepted {
                conn,
                client_id,
                version,
                clean_start,
                session_present,
                keep_alive,
                has_will,
            } => write!(
                f,
                "{conn} accepted client `{client_id}` (MQTT {version}, clean start {}, session present {}, keep alive {keep_alive}s, will {})",
                u8::from(*clean_start),
                u8::from(*session_present),
                if *has_will { "yes" } else { "no" }
            ),
            BrokerEvent::ConnectionRejected {
                conn,
                client_id,
                reason,
                rule,
            } => match reason {
                Some(rc) => write!(f, "{conn} CONNECT from `{}` rejected with {rc} ({rule})", opt(client_id)),
                None => write!(f, "{conn} CONNECT rejected without CONNACK ({rule})"),
            },
            BrokerEvent::ConnectionClosed {
                conn,
                client_id,
                cause,
            } => write!(f, "{conn} client `{}` closed: {cause}", opt(client_id)),
            BrokerEvent::ProtocolViolation {
                conn,
                client_id,
                rule,
                reason,
                detail,
            } => write!(
                f,
                "{conn} client `{}` broke {rule} ({reason}): {detail}",
                opt(client_id)
            ),
            BrokerEvent::SessionTakenOver { client_id, old, new } => {
                write!(f, "session `{client_id}` taken over: {old} replaced by {new}")
            }
            BrokerEvent::SessionEnded { client_id, reason } => {
                write!(f, "session `{client_id}` ended: {reason}")
            }
            BrokerEvent::WillScheduled {
                client_id,
                topic,
                due,
            } => write!(f, "will of `{client_id}` on `{topic}` scheduled for {due}"),
            BrokerEvent::WillPublished {
                client_id,
                topic,
                trigger,
                qos,
                retain,
                recipients,
            } => write!(
                f,
                "will of `{client_id}` published on `{topic}` (QoS {}, retain {}, {recipients} recipient(s)): {trigger}",
                qos.as_u8(),
                u8::from(*retain)
            ),
            BrokerEvent::WillDiscarded {
                client_id,
                topic,
                reason,
            } => write!(f, "will of `{client_id}` on `{topic}` discarded: {reason}"),
            BrokerEvent::MessageDropped {
                client_id,
                topic,
                reason,
            } => write!(f, "message on `{topic}` for `{client_id}` dropped: {reason}"),
            BrokerEvent::EncodeFailed {
                conn,
                packet_type,
                error,
            } => write!(f, "{conn} could not encode {packet_type}: {error}"),
            BrokerEvent::ShutdownStarted {
                connections,
                pending_wills,
            } => write!(
                f,
                "shutting down: {connections} connection(s), {pending_wills} pending will(s)"
            ),
            BrokerEvent::LimitReached {
                conn,
                client_id,
                limit,
                detail,
            } => match conn {
                Some(conn) => write!(
                    f,
                    "{conn} client `{}` hit limit {limit}: {detail}",
                    opt(client_id)
                ),
                None => write!(
                    f,
                    "offline session `{}` hit limit {limit}: {detail}",
                    opt(client_id)
                ),
            },
        }
    }
}
