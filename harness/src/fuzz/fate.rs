//! The fate of each will: from what a case did to the will's connection
//! and what the broker answered, whether its publication is required (and
//! by when), forbidden, or left open by the specification. The table of
//! rules and the ambiguities left open are in [`super::oracle`].

use std::time::Duration;

use super::case::{Case, ConnectOp, Op, WillDef};
use super::exec::{Answer, ConnEvent, ConnRecord, Observation};
use super::oracle::{EARLY_SLACK, SLACK};
use crate::scenario::Version;

/// What must happen to one will.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Published exactly once, by `latest`.
    Required {
        rule: &'static str,
        why: String,
        latest: Duration,
    },
    /// Never published.
    Forbidden {
        rule: &'static str,
        class: &'static str,
        why: String,
    },
    /// The spec allows either, or the oracle does not judge it.
    Open,
}

/// The fate of the will of one connection.
#[derive(Clone, Debug)]
pub struct Judgement {
    pub tag: u16,
    pub fate: Fate,
    /// 5.0: publication before this is too early (MQTT-3.1.3-9).
    pub not_before: Option<Duration>,
    /// When the connection's will could first be due (its end).
    pub ended: Option<Duration>,
    /// Will Delay Interval in force (0 under 3.1.1).
    pub delay: Duration,
}

pub(super) fn by_version(case: &Case, v311: &'static str, v5: &'static str) -> &'static str {
    match case.version {
        Version::V3_1_1 => v311,
        Version::V5 => v5,
    }
}

pub(super) fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The will a connection's CONNECT carried, if any.
fn will_of<'a>(case: &'a Case, record: &ConnRecord) -> Option<(&'a ConnectOp, &'a WillDef)> {
    let op = match case.ops.get(record.op)? {
        Op::Connect(c) => c,
        _ => return None,
    };
    if op.malformed.is_some_and(|m| !m.has_will()) {
        return None;
    }
    op.will.as_ref().map(|w| (op, w))
}

/// The fate of every will of the case.
pub fn judge_wills(case: &Case, obs: &Observation) -> Vec<Judgement> {
    obs.conns
        .iter()
        .filter_map(|record| {
            let (_, will) = will_of(case, record)?;
            Some(judge_one(case, obs, record, will))
        })
        .collect()
}

fn judge_one(case: &Case, obs: &Observation, record: &ConnRecord, will: &WillDef) -> Judgement {
    let v5 = case.version == Version::V5;
    let delay = Duration::from_secs(if v5 {
        u64::from(will.delay.unwrap_or(0))
    } else {
        0
    });
    let session = Duration::from_secs(u64::from(record.session_expiry));
    let mut judgement = Judgement {
        tag: record.tag,
        fate: Fate::Open,
        not_before: None,
        ended: None,
        delay,
    };
    match record.answer {
        Answer::Connack(0) => {}
        Answer::Nothing => return judgement,
        Answer::Connack(_) | Answer::Closed => {
            judgement.ended = record.answered_at;
            judgement.fate = Fate::Forbidden {
                rule: by_version(case, "MQTT-3.1.2-8", "MQTT-3.1.2-7"),
                class: "will-of-refused-connect",
                why: "the broker refused the CONNECT, so no will was stored".into(),
            };
            return judgement;
        }
    }
    // Later accepted connections with the same Client Identifier.
    let later: Vec<&ConnRecord> = obs
        .conns
        .iter()
        .filter(|r| {
            r.id == record.id && r.sent_at > record.sent_at && r.answer == Answer::Connack(0)
        })
        .collect();
    let first_event = record.events.first().copied();
    let silent_at = record
        .events
        .iter()
        .find(|(_, e)| *e == ConnEvent::Silent)
        .map(|(at, _)| *at);
    let ours = record
        .events
        .iter()
        .find(|(_, e)| *e != ConnEvent::Silent)
        .copied();
    let open_until = [ours.map(|(at, _)| at), record.broker_end]
        .into_iter()
        .flatten()
        .min();
    let takeover = later
        .iter()
        .find(|r| open_until.is_none_or(|end| r.sent_at < end))
        .copied();
    let required = |rule: &'static str, why: String, at: Duration| Fate::Required {
        rule,
        why,
        latest: at + delay + SLACK,
    };
    // Which of our events, the broker's close and a takeover came first.
    let takeover_at = takeover.map(|r| r.sent_at);
    let trigger: Option<Duration>;
    match (ours, takeover_at) {
        (_, Some(t))
            if ours.is_none_or(|(at, _)| t < at)
                && record
                    .broker_end
                    .is_none_or(|b| t <= b + Duration::from_millis(500)) =>
        {
            let new = takeover.and_then(|r| match case.ops.get(r.op) {
                Some(Op::Connect(c)) => Some(c.clean_start),
                _ => None,
            });
            let at = takeover.and_then(|r| r.answered_at).unwrap_or(t);
            trigger = Some(at);
            judgement.fate = match (case.version, new, delay.is_zero(), session.is_zero()) {
                (Version::V3_1_1, Some(true), _, _) | (Version::V5, Some(true), true, _) => required(
                    "MQTT-3.1.2-8",
                    "a Clean Start 1 CONNECT with the same Client Identifier closed the connection".into(),
                    at,
                ),
                (Version::V5, Some(false), false, false) => Fate::Forbidden {
                    rule: "MQTT-3.1.3-9",
                    class: "will-after-session-resumed",
                    why: "the session was resumed (Clean Start 0) before the Will Delay Interval passed".into(),
                },
                _ => Fate::Open,
            };
        }
        _ => {
            // Ended by us or by the broker, or not at all.
            let broker_first = record
                .broker_end
                .filter(|b| ours.is_none_or(|(at, _)| *b < at));
            match (broker_first, ours, silent_at) {
                (Some(b), _, silent) => {
                    trigger = Some(b);
                    let others = obs.conns.iter().any(|r| {
                        r.id == record.id
                            && r.sent_at > record.sent_at
                            && r.sent_at <= b + Duration::from_millis(500)
                    });
                    let disconnected_before =
                        first_event.is_some_and(|(_, e)| matches!(e, ConnEvent::Disconnect(_)));
                    if !others && !disconnected_before {
                        let why = if silent.is_some() {
                            "the broker closed the silent connection (keep-alive expiry)"
                        } else {
                            "the broker closed the connection without a DISCONNECT from the client"
                        };
                        judgement.fate = required(
                            by_version(case, "MQTT-3.1.2-8", "MQTT-3.1.2-8"),
                            why.into(),
                            b,
                        );
                    }
                }
                (None, Some((at, event)), silent) => {
                    trigger = Some(at);
                    // A DISCONNECT sent when the broker's keep-alive timer
                    // may already have run out races with its close.
                    let idle_since = record.answered_at.unwrap_or(record.sent_at);
                    let keep_alive_safe = record.keep_alive == 0
                        || at < idle_since + Duration::from_secs(u64::from(record.keep_alive));
                    judgement.fate = match (event, silent) {
                        (ConnEvent::Disconnect(0), None) if keep_alive_safe => Fate::Forbidden {
                            rule: "MQTT-3.14.4-3",
                            class: "will-after-normal-disconnect",
                            why: "the client sent a normal DISCONNECT".into(),
                        },
                        (ConnEvent::Disconnect(4), None) if v5 => required(
                            "MQTT-3.1.2-8",
                            "the client sent DISCONNECT 0x04 (Disconnect with Will Message)".into(),
                            at,
                        ),
                        (ConnEvent::Fin | ConnEvent::Rst, _) => required(
                            "MQTT-3.1.2-8",
                            format!(
                                "the client closed the connection ({event:?}) without DISCONNECT"
                            ),
                            at,
                        ),
                        _ => Fate::Open,
                    };
                }
                (None, None, _) => trigger = None,
            }
        }
    }
    judgement.ended = trigger;
    let Some(at) = trigger else { return judgement };
    // 5.0 Will Delay: not before min(delay, session expiry) while the
    // session lasts. A new connection for the Client Identifier within the
    // delay cancels the will if it resumes the session (Clean Start 0,
    // MQTT-3.1.3-9); if the session had ended (Session Expiry 0, E1), the
    // new connection starts clean (E3) or was refused, the spec reads both
    // ways: open.
    if !v5 || delay.is_zero() || takeover.is_some() {
        return judgement;
    }
    if !matches!(judgement.fate, Fate::Required { .. } | Fate::Open) {
        return judgement;
    }
    let window = delay.min(session);
    let cutoff = (at + window).saturating_sub(EARLY_SLACK);
    if window > EARLY_SLACK {
        judgement.not_before = Some(cutoff);
    }
    // Any CONNECT for the Client Identifier counts here, refused or
    // malformed ones too: whether a refused CONNECT is "a new Network
    // Connection for the ClientID" the spec does not say (mosquitto 2.0.11
    // drops the pending will on one), so such a will is left open.
    let Some(r) = obs
        .conns
        .iter()
        .find(|r| r.id == record.id && r.sent_at > at && r.sent_at < at + delay + EARLY_SLACK)
    else {
        return judgement;
    };
    let clean = matches!(case.ops.get(r.op), Some(Op::Connect(c)) if c.clean_start);
    let accepted = r.answer == Answer::Connack(0);
    if accepted && !clean && window > EARLY_SLACK && r.sent_at < cutoff {
        judgement.fate = Fate::Forbidden {
            rule: "MQTT-3.1.3-9",
            class: "will-after-session-resumed",
            why: format!(
                "the session was resumed at {} (Clean Start 0), before the Will Delay Interval passed",
                secs(r.sent_at)
            ),
        };
    } else {
        judgement.fate = Fate::Open;
        judgement.not_before = judgement.not_before.map(|n| n.min(r.sent_at));
    }
    judgement
}
