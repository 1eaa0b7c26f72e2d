//! The will decision as a table: one row per cause × version × delay ×
//! session end, then one row per fault that bends it.

use super::*;

const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

#[derive(Debug, PartialEq)]
enum Want {
    Discard,
    Now,
    /// Published at close although a delay was set: the session ended.
    SessionEnd,
    Defer(u32),
}

fn classify(decision: WillDecision) -> Want {
    match decision {
        WillDecision::Discard(_) => Want::Discard,
        WillDecision::PublishNow(WillTrigger::SessionEndedAtClose(_)) => Want::SessionEnd,
        WillDecision::PublishNow(_) => Want::Now,
        WillDecision::Defer { delay_secs } => Want::Defer(delay_secs),
    }
}

fn ctx(version: ProtocolVersion, will_delay: u32, session_ends: bool) -> WillContext {
    WillContext {
        version,
        will_delay,
        session_ends,
    }
}

fn violation() -> CloseCause {
    CloseCause::ProtocolViolation {
        rule: "MQTT-3.1.0-2",
        reason: ReasonCode::PROTOCOL_ERROR,
    }
}

fn invalid_disconnect() -> CloseCause {
    CloseCause::InvalidDisconnect {
        rule: "MQTT-3.14.1-1",
        reason: ReasonCode::MALFORMED_PACKET,
    }
}

#[test]
fn decision_table_without_faults() {
    use CloseCause as C;
    let rc = ReasonCode;
    #[rustfmt::skip]
    let rows: Vec<(CloseCause, WillContext, Want)> = vec![
        // 3.1.1: the will belongs to the connection; only DISCONNECT deletes it.
        (C::ClientDisconnect(rc(0x00)), ctx(V3, 0, false), Want::Discard),
        (C::NetworkClosed,              ctx(V3, 0, false), Want::Now),
        (C::NetworkError,               ctx(V3, 0, true),  Want::Now),
        (C::KeepAliveExpired,           ctx(V3, 0, false), Want::Now),
        (violation(),                   ctx(V3, 0, false), Want::Now),
        (invalid_disconnect(),          ctx(V3, 0, false), Want::Now),
        (C::SessionTakenOver { new_clean_start: false }, ctx(V3, 0, false), Want::Now),
        (C::ServerShutdown,             ctx(V3, 0, false), Want::Now),
        // 5.0 DISCONNECT: only 0x00 deletes (MQTT-3.14.4-3, E5).
        (C::ClientDisconnect(rc(0x00)), ctx(V5, 0, false),  Want::Discard),
        (C::ClientDisconnect(rc(0x00)), ctx(V5, 30, false), Want::Discard),
        (C::ClientDisconnect(rc(0x04)), ctx(V5, 0, false),  Want::Now),
        (C::ClientDisconnect(rc(0x04)), ctx(V5, 30, false), Want::Defer(30)),
        (C::ClientDisconnect(rc(0x04)), ctx(V5, 30, true),  Want::SessionEnd),
        (C::ClientDisconnect(rc(0x80)), ctx(V5, 0, false),  Want::Now),
        (C::ClientDisconnect(rc(0x83)), ctx(V5, 0, true),   Want::Now),
        (C::ClientDisconnect(rc(0x98)), ctx(V5, 5, false),  Want::Defer(5)),
        // 5.0 other ends: delay 0 → now; delay > 0 → deferred unless the session ends (E1).
        (C::NetworkClosed,     ctx(V5, 0, false),  Want::Now),
        (C::NetworkClosed,     ctx(V5, 10, false), Want::Defer(10)),
        (C::NetworkClosed,     ctx(V5, 10, true),  Want::SessionEnd),
        (C::NetworkError,      ctx(V5, 10, false), Want::Defer(10)),
        (C::KeepAliveExpired,  ctx(V5, 0, false),  Want::Now),
        (C::KeepAliveExpired,  ctx(V5, 7, false),  Want::Defer(7)),
        (violation(),          ctx(V5, 0, false),  Want::Now),
        (violation(),          ctx(V5, 3, true),   Want::SessionEnd),
        (invalid_disconnect(), ctx(V5, 0, false),  Want::Now),
        (invalid_disconnect(), ctx(V5, 3, false),  Want::Defer(3)),
        // Takeover (B25/B38, E2): delay 0 → now; session ends → now; else pending.
        (C::SessionTakenOver { new_clean_start: false }, ctx(V5, 0, false), Want::Now),
        (C::SessionTakenOver { new_clean_start: true },  ctx(V5, 5, true),  Want::SessionEnd),
        (C::SessionTakenOver { new_clean_start: false }, ctx(V5, 5, true),  Want::SessionEnd),
        (C::SessionTakenOver { new_clean_start: false }, ctx(V5, 5, false), Want::Defer(5)),
        // Shutdown publishes every will at once (E8).
        (C::ServerShutdown, ctx(V5, 0, false),   Want::Now),
        (C::ServerShutdown, ctx(V5, 600, false), Want::Now),
    ];
    for (cause, context, want) in rows {
        let got = classify(decide_will(&cause, context, FaultSet::EMPTY));
        assert_eq!(got, want, "cause {cause}, {context:?}");
    }
}

#[test]
fn decision_table_under_faults() {
    use CloseCause as C;
    let rc = ReasonCode;
    #[rustfmt::skip]
    let rows: Vec<(Fault, CloseCause, WillContext, Want, Want)> = vec![
        // (fault, cause, context, without the fault, with it)
        (Fault::SkipWillOnKeepAlive, C::KeepAliveExpired, ctx(V3, 0, false), Want::Now, Want::Discard),
        (Fault::PublishWillAfterNormalDisconnect, C::ClientDisconnect(rc(0)), ctx(V5, 0, false), Want::Discard, Want::Now),
        (Fault::PublishWillAfterNormalDisconnect, C::ClientDisconnect(rc(0)), ctx(V3, 0, false), Want::Discard, Want::Now),
        (Fault::IgnoreWillDelay, C::NetworkClosed, ctx(V5, 60, false), Want::Defer(60), Want::Now),
        (Fault::Disconnect0x04AsNormal, C::ClientDisconnect(rc(4)), ctx(V5, 0, false), Want::Now, Want::Discard),
        (Fault::NoWillOnTakeover, C::SessionTakenOver { new_clean_start: true }, ctx(V5, 0, true), Want::Now, Want::Discard),
        (Fault::NoWillOnProtocolError, violation(), ctx(V5, 0, false), Want::Now, Want::Discard),
        (Fault::IgnoreSessionExpiryForWill, C::NetworkClosed, ctx(V5, 60, true), Want::SessionEnd, Want::Defer(60)),
        (Fault::NoWillOnServerShutdown, C::ServerShutdown, ctx(V5, 0, false), Want::Now, Want::Discard),
        (Fault::DiscardWillOnErrorDisconnect, C::ClientDisconnect(rc(0x80)), ctx(V5, 0, false), Want::Now, Want::Discard),
        (Fault::DiscardWillOnInvalidDisconnect, invalid_disconnect(), ctx(V5, 0, false), Want::Now, Want::Discard),
    ];
    for (fault, cause, context, without, with) in rows {
        assert_eq!(
            classify(decide_will(&cause, context, FaultSet::EMPTY)),
            without,
            "{fault} off, {cause}"
        );
        assert_eq!(
            classify(decide_will(&cause, context, fault.into())),
            with,
            "{fault} on, {cause}"
        );
    }
}

#[test]
fn server_disconnect_reasons() {
    assert_eq!(
        CloseCause::KeepAliveExpired.server_disconnect_reason(),
        Some(ReasonCode::KEEP_ALIVE_TIMEOUT)
    );
    assert_eq!(
        CloseCause::SessionTakenOver {
            new_clean_start: false
        }
        .server_disconnect_reason(),
        Some(ReasonCode::SESSION_TAKEN_OVER)
    );
    assert_eq!(
        CloseCause::ServerShutdown.server_disconnect_reason(),
        Some(ReasonCode::SERVER_SHUTTING_DOWN)
    );
    assert_eq!(CloseCause::NetworkClosed.server_disconnect_reason(), None);
    assert_eq!(
        violation().server_disconnect_reason(),
        Some(ReasonCode::PROTOCOL_ERROR)
    );
}
