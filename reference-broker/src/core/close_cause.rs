//! Why a connection ended, and the one pure function that turns that into
//! what happens to the will. Every will rule of both versions that depends on
//! the way a connection ended lives in [`decide_will`]; the rest of the core
//! only carries the decision out.

use std::fmt;

use lastwill_codec::{ProtocolVersion, ReasonCode};

use super::limits::Limit;
use crate::faults::{Fault, FaultSet};

/// Why a network connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseCause {
    /// A valid DISCONNECT from the client. 3.1.1 carries no code, so it is
    /// recorded as 0x00.
    ClientDisconnect(ReasonCode),
    /// A DISCONNECT the server did not take as valid: reserved flag bits
    /// (MQTT-3.14.1-1), a reserved reason code (MQTT-3.14.2-1), or a Session
    /// Expiry Interval raised from 0 (MQTT-3.14.2-2 text). Not a normal
    /// disconnection, so the will stays (catalogue E6).
    InvalidDisconnect {
        rule: &'static str,
        reason: ReasonCode,
    },
    /// Nothing arrived for 1.5 × Keep Alive (MQTT-3.1.2-24 / MQTT-3.1.2-22).
    KeepAliveExpired,
    /// The server closed because the client broke a rule after CONNACK.
    ProtocolViolation {
        rule: &'static str,
        reason: ReasonCode,
    },
    /// The peer closed its side (FIN) without DISCONNECT.
    NetworkClosed,
    /// The transport failed (RST, I/O error).
    NetworkError,
    /// Another connection with the same Client Identifier connected
    /// (5.0 MQTT-3.1.4-3, 3.1.1 MQTT-3.1.4-2).
    SessionTakenOver { new_clean_start: bool },
    /// The server is shutting down.
    ServerShutdown,
    /// No CONNECT within the connect timeout. Never has a will.
    ConnectTimeout,
    /// CONNECT was refused or malformed. Never has a will (MQTT-3.1.4-5 /
    /// MQTT-3.1.4-6).
    ConnectRejected(ReasonCode),
    /// The server closed the connection for a resource limit
    /// (`core::limits`): before CONNECT, without a will; after it, with
    /// DISCONNECT carrying the limit's code and the will published as for
    /// any close the client did not ask for.
    LimitExceeded(Limit),
}

impl CloseCause {
    /// The reason code a 5.0 server sends in DISCONNECT before closing for
    /// this cause, if it sends one.
    pub fn server_disconnect_reason(&self) -> Option<ReasonCode> {
        match self {
            CloseCause::InvalidDisconnect { reason, .. }
            | CloseCause::ProtocolViolation { reason, .. } => Some(*reason),
            CloseCause::KeepAliveExpired => Some(ReasonCode::KEEP_ALIVE_TIMEOUT),
            CloseCause::SessionTakenOver { .. } => Some(ReasonCode::SESSION_TAKEN_OVER),
            CloseCause::ServerShutdown => Some(ReasonCode::SERVER_SHUTTING_DOWN),
            CloseCause::LimitExceeded(limit) => Some(limit.reason_code()),
            CloseCause::ClientDisconnect(_)
            | CloseCause::NetworkClosed
            | CloseCause::NetworkError
            | CloseCause::ConnectTimeout
            | CloseCause::ConnectRejected(_) => None,
        }
    }
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseCause::ClientDisconnect(rc) => write!(f, "client DISCONNECT {rc}"),
            CloseCause::InvalidDisconnect { rule, reason } => {
                write!(f, "invalid DISCONNECT ({rule}, answered {reason})")
            }
            CloseCause::KeepAliveExpired => f.write_str("keep-alive expired"),
            CloseCause::ProtocolViolation { rule, reason } => {
                write!(f, "protocol violation {rule} ({reason})")
            }
            CloseCause::NetworkClosed => f.write_str("network closed by peer"),
            CloseCause::NetworkError => f.write_str("network error"),
            CloseCause::SessionTakenOver { new_clean_start } => {
                write!(
                    f,
                    "session taken over (new Clean Start {})",
                    u8::from(*new_clean_start)
                )
            }
            CloseCause::ServerShutdown => f.write_str("server shutdown"),
            CloseCause::ConnectTimeout => f.write_str("no CONNECT before the connect timeout"),
            CloseCause::ConnectRejected(rc) => write!(f, "CONNECT rejected {rc}"),
            CloseCause::LimitExceeded(limit) => write!(f, "limit {limit} exceeded"),
        }
    }
}

/// Why a will was published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WillTrigger {
    /// Published when the connection closed: 3.1.1, or Will Delay 0.
    ConnectionClosed(CloseCause),
    /// Will Delay > 0, but the session ended with the connection (Session
    /// Expiry 0, or a takeover with Clean Start 1), so the delay is cut short
    /// (MQTT-3.1.3-9, catalogue E1/E2).
    SessionEndedAtClose(CloseCause),
    /// The Will Delay Interval passed while the session lived on.
    WillDelayElapsed,
    /// The session expired before the Will Delay Interval passed.
    SessionExpired,
    /// The client came back with Clean Start 1, ending the session that held
    /// the pending will (MQTT-3.1.2-4, catalogue E3).
    CleanStartReconnect,
    /// The server shut down (catalogue E8).
    ServerShutdown,
    /// Only under the `will-on-rejected-connect` fault.
    RejectedConnect,
}

impl fmt::Display for WillTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WillTrigger::ConnectionClosed(cause) => write!(f, "connection closed: {cause}"),
            WillTrigger::SessionEndedAtClose(cause) => {
                write!(f, "session ended at close ({cause}), delay cut short")
            }
            WillTrigger::WillDelayElapsed => f.write_str("will delay elapsed"),
            WillTrigger::SessionExpired => f.write_str("session expired before the will delay"),
            WillTrigger::CleanStartReconnect => {
                f.write_str("client reconnected with Clean Start 1, ending the session")
            }
            WillTrigger::ServerShutdown => f.write_str("server shutdown"),
            WillTrigger::RejectedConnect => f.write_str("rejected CONNECT (fault)"),
        }
    }
}

/// Why a will was dropped unpublished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WillDiscardReason {
    /// 3.1.1 DISCONNECT, or 5.0 DISCONNECT 0x00 (MQTT-3.14.4-3).
    NormalDisconnect,
    /// The session was resumed within the Will Delay Interval (MQTT-3.1.3-9).
    SessionResumed,
    /// Its client may not publish to the will topic; checked when the will
    /// is due, in both authorization models (catalogue E7).
    NotAuthorized,
    /// A fault switched the rule off.
    Fault(Fault),
}

impl fmt::Display for WillDiscardReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WillDiscardReason::NormalDisconnect => f.write_str("normal disconnection"),
            WillDiscardReason::SessionResumed => {
                f.write_str("session resumed within the will delay")
            }
            WillDiscardReason::NotAuthorized => {
                f.write_str("not authorized: the client may not publish to the will topic (E7)")
            }
            WillDiscardReason::Fault(fault) => write!(f, "fault {fault}"),
        }
    }
}

/// What the closing of a connection does to its will.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WillDecision {
    Discard(WillDiscardReason),
    PublishNow(WillTrigger),
    /// Keep it as a pending will for this many seconds (or until the session
    /// ends, whichever comes first).
    Defer {
        delay_secs: u32,
    },
}

/// The facts besides the cause that the decision rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WillContext {
    pub version: ProtocolVersion,
    /// Will Delay Interval in seconds (0 when absent; always 0 before 5.0).
    pub will_delay: u32,
    /// Whether the session ends together with this connection: Session
    /// Expiry 0, or a takeover whose new connection has Clean Start 1.
    pub session_ends: bool,
}

/// What happens to the will of a connection that ended for `cause`.
///
/// 3.1.1 ties the will to the network connection (catalogue E9): any valid
/// DISCONNECT deletes it (MQTT-3.14.4-3), every other end publishes it
/// (MQTT-3.1.2-8). 5.0 deletes it only on DISCONNECT 0x00 (MQTT-3.14.4-3,
/// E5) and otherwise publishes after the Will Delay Interval or when the
/// session ends, whichever is first (MQTT-3.1.2-8, MQTT-3.1.3-9). On shutdown
/// every will is published at once, since this in-memory broker cannot defer
/// to a restart (E8).
pub fn decide_will(cause: &CloseCause, ctx: WillContext, faults: FaultSet) -> WillDecision {
    let fault = |f: Fault| faults.contains(f);
    let discard_by = |f: Fault| WillDecision::Discard(WillDiscardReason::Fault(f));
    match cause {
        CloseCause::ClientDisconnect(rc) => {
            let normal = !ctx.version.is_v5() || *rc == ReasonCode::NORMAL_DISCONNECTION;
            if normal {
                if fault(Fault::PublishWillAfterNormalDisconnect) {
                    return timed(cause, ctx, faults);
                }
                return WillDecision::Discard(WillDiscardReason::NormalDisconnect);
            }
            if *rc == ReasonCode::DISCONNECT_WITH_WILL_MESSAGE
                && fault(Fault::Disconnect0x04AsNormal)
            {
                return discard_by(Fault::Disconnect0x04AsNormal);
            }
            if rc.is_error() && fault(Fault::DiscardWillOnErrorDisconnect) {
                return discard_by(Fault::DiscardWillOnErrorDisconnect);
            }
            timed(cause, ctx, faults)
        }
        CloseCause::InvalidDisconnect { .. } if fault(Fault::DiscardWillOnInvalidDisconnect) => {
            discard_by(Fault::DiscardWillOnInvalidDisconnect)
        }
        CloseCause::KeepAliveExpired if fault(Fault::SkipWillOnKeepAlive) => {
            discard_by(Fault::SkipWillOnKeepAlive)
        }
        CloseCause::ProtocolViolation { .. } if fault(Fault::NoWillOnProtocolError) => {
            discard_by(Fault::NoWillOnProtocolError)
        }
        CloseCause::SessionTakenOver { .. } if fault(Fault::NoWillOnTakeover) => {
            discard_by(Fault::NoWillOnTakeover)
        }
        CloseCause::ServerShutdown if fault(Fault::NoWillOnServerShutdown) => {
            discard_by(Fault::NoWillOnServerShutdown)
        }
        CloseCause::ServerShutdown => WillDecision::PublishNow(WillTrigger::ServerShutdown),
        CloseCause::InvalidDisconnect { .. }
        | CloseCause::KeepAliveExpired
        | CloseCause::ProtocolViolation { .. }
        | CloseCause::NetworkClosed
        | CloseCause::NetworkError
        | CloseCause::SessionTakenOver { .. }
        | CloseCause::ConnectTimeout
        | CloseCause::ConnectRejected(_)
        | CloseCause::LimitExceeded(_) => timed(cause, ctx, faults),
    }
}

/// The will is due: now, or after its delay unless the session ends first.
fn timed(cause: &CloseCause, ctx: WillContext, faults: FaultSet) -> WillDecision {
    let closed = || WillDecision::PublishNow(WillTrigger::ConnectionClosed(cause.clone()));
    if !ctx.version.is_v5() || ctx.will_delay == 0 || faults.contains(Fault::IgnoreWillDelay) {
        return closed();
    }
    if ctx.session_ends && !faults.contains(Fault::IgnoreSessionExpiryForWill) {
        return WillDecision::PublishNow(WillTrigger::SessionEndedAtClose(cause.clone()));
    }
    WillDecision::Defer {
        delay_secs: ctx.will_delay,
    }
}

#[cfg(test)]
#[path = "close_cause_tests.rs"]
mod tests;
