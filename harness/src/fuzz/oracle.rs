//! What the watcher must see, judged conservatively. For every connection
//! whose CONNECT carried a will, [`judge_wills`] decides a [`Fate`] from what
//! the case did and what the broker answered; [`judge`] then compares the
//! PUBLISHes the watcher received with those fates.
//!
//! Only what the specification makes unambiguous is flagged (catalogue rows
//! in brackets; the ambiguities E1–E11 of the will catalogue are left open):
//!
//! | check | 3.1.1 | 5.0 |
//! | --- | --- | --- |
//! | no will after a normal DISCONNECT (3.1.1: any; 5.0: 0x00) | MQTT-3.14.4-3 [A24] | MQTT-3.14.4-3 [B60] |
//! | no will for a CONNECT the broker refused or closed | MQTT-3.1.2-8 [A1] | MQTT-3.1.2-7 [B1] |
//! | at most one publication per will | MQTT-3.1.2-10 [A4] | MQTT-3.1.2-10 [B5] |
//! | a will after FIN/RST, keep-alive expiry, a server close, 5.0 DISCONNECT 0x04 | MQTT-3.1.2-8 [A1] | MQTT-3.1.2-8 [B2] |
//! | a will when a Clean Start 1 takeover ends the old connection (5.0: Will Delay 0) | MQTT-3.1.2-8 | MQTT-3.1.2-8 |
//! | 5.0: not before min(Will Delay, Session Expiry) while the session lasts | – | MQTT-3.1.3-9 [B24] |
//! | 5.0: never after the session is resumed (Clean Start 0) within the delay | – | MQTT-3.1.3-9 [B24] |
//! | delivered QoS = min(Will QoS, granted QoS) | MQTT-3.8.4-6 [A33] | MQTT-3.8.4-8 [B52] |
//! | payload intact | A17 | B34 |
//! | 5.0 properties: User Properties in order, Content Type, Response Topic, Correlation Data, Payload Format Indicator, Message Expiry ≤ sent | – | MQTT-3.1.3-10, B28, B29, B30, MQTT-3.3.2-4, B27 |
//! | keep-alive enforced (1.5 × Keep Alive, +10 s) | MQTT-3.1.2-24 [A14] | MQTT-3.1.2-22 [B17] |
//!
//! Left open on purpose: 5.0 DISCONNECT with other codes (E5), invalid
//! DISCONNECTs and second CONNECTs (E6, A36), persistent takeovers (E2, E4),
//! Clean Start 1 while a delayed will is pending (E3), Session Expiry 0
//! with a Will Delay (E1: only the delay is used as the upper bound), wills
//! of malformed CONNECTs the broker accepted (the conformance suite judges
//! the acceptance). Real time is generous: a required will may come up to
//! [`SLACK`] after it is due, "too early" means more than [`EARLY_SLACK`]
//! before the earliest allowed instant.

use std::time::Duration;

use super::case::{Case, ConnectOp};
use super::exec::{will_payload, will_topic, Answer, ConnEvent, ConnRecord, Observation};
use super::fate::{by_version, secs};
pub use super::fate::{judge_wills, Fate, Judgement};
use crate::scenario::Version;

/// How late a required will may be after it is due.
pub const SLACK: Duration = Duration::from_secs(8);
/// How much earlier than allowed a delayed will must come to be "too early".
pub const EARLY_SLACK: Duration = Duration::from_millis(1200);
/// Watching goes on this long after the last thing that may happen.
pub const QUIET: Duration = Duration::from_millis(1000);
/// Beyond 1.5 × Keep Alive, before "keep-alive not enforced". The spec
/// sets no upper bound beyond "1.5 ×", and mosquitto 2.0.11 checks keep
/// alives only every few seconds (a silent Keep Alive 1 client was seen
/// closed after 1.2 to 6 s), so the margin is wide.
pub const KEEP_ALIVE_SLACK: Duration = Duration::from_secs(10);

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: String,
    /// Stable name of the check, for grouping findings.
    pub class: &'static str,
    pub message: String,
}

/// Until when (from the case start) the watcher must keep watching.
pub fn watch_until(case: &Case, obs: &Observation) -> Duration {
    let mut until = obs.op_times.last().map_or(Duration::ZERO, |(_, end)| *end) + QUIET;
    let judgements = judge_wills(case, obs);
    for j in &judgements {
        if let Some(ended) = j.ended {
            until = until.max(ended + j.delay + QUIET);
        }
        if let Fate::Required { latest, .. } = j.fate {
            match arrivals(case, obs, j.tag).first() {
                Some(first) => until = until.max(*first + QUIET),
                None => until = until.max(latest),
            }
        }
    }
    for record in &obs.conns {
        if let Some(deadline) = keep_alive_deadline(record) {
            if record.broker_end.is_none() {
                until = until.max(deadline);
            }
        }
    }
    until
}

/// For a connection that went silent with a small Keep Alive: when the
/// broker must have closed it by.
fn keep_alive_deadline(record: &ConnRecord) -> Option<Duration> {
    if record.answer != Answer::Connack(0) || !(1..=10).contains(&record.keep_alive) {
        return None;
    }
    let (at, _) = record
        .events
        .iter()
        .find(|(_, e)| *e == ConnEvent::Silent)?;
    if record.events.iter().any(|(_, e)| *e != ConnEvent::Silent) {
        return None;
    }
    Some(*at + Duration::from_millis(u64::from(record.keep_alive) * 1500) + KEEP_ALIVE_SLACK)
}

/// Arrival times of the will with `tag` (by topic).
fn arrivals(case: &Case, obs: &Observation, tag: u16) -> Vec<Duration> {
    let _ = case;
    let topic = will_topic(&obs.ns, tag);
    obs.publishes
        .iter()
        .filter(|p| p.publish.topic == topic)
        .map(|p| p.at)
        .collect()
}

/// Every invariant the observation breaks. `watched` is how long the
/// watcher actually watched (from the case start).
pub fn judge(case: &Case, obs: &Observation, watched: Duration) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut flag = |rule: &str, class: &'static str, message: String| {
        if !found.iter().any(|v: &Violation| v.class == class) {
            found.push(Violation {
                rule: rule.to_owned(),
                class,
                message,
            });
        }
    };
    if let Some((rule, message)) = &obs.malformed_reply {
        flag(rule, "malformed-packet-from-broker", message.clone());
    }
    for j in judge_wills(case, obs) {
        let Some(op) = case.connect(j.tag) else {
            continue;
        };
        let Some(will) = &op.will else { continue };
        let topic = will_topic(&obs.ns, j.tag);
        let seen: Vec<_> = obs
            .publishes
            .iter()
            .filter(|p| p.publish.topic == topic)
            .collect();
        if seen.len() > 1 {
            let times: Vec<String> = seen.iter().map(|p| secs(p.at)).collect();
            flag(
                "MQTT-3.1.2-10",
                "will-published-twice",
                format!(
                    "the will on {topic} was published {} times (at {})",
                    seen.len(),
                    times.join(", ")
                ),
            );
        }
        match (&j.fate, seen.first()) {
            (Fate::Forbidden { rule, class, why }, Some(p)) => flag(
                rule,
                class,
                format!(
                    "the will on {topic} was published at {} although {why}",
                    secs(p.at)
                ),
            ),
            (Fate::Required { rule, why, latest }, None) if watched >= *latest => flag(
                rule,
                "will-missing",
                format!("no will on {topic} by {} although {why}", secs(*latest)),
            ),
            _ => {}
        }
        if let (Some(first), Some(not_before)) = (seen.first(), j.not_before) {
            if first.at < not_before {
                flag(
                    "MQTT-3.1.3-9",
                    "will-before-delay",
                    format!(
                        "the will on {topic} came at {}, before its Will Delay Interval allowed ({} at the earliest, {} tolerance included)",
                        secs(first.at),
                        secs(not_before + EARLY_SLACK),
                        secs(not_before)
                    ),
                );
            }
        }
        if let Some(p) = seen.first() {
            if op.malformed.is_none() {
                check_content(case, obs, op, will, p, &mut flag);
            }
        }
    }
    for record in &obs.conns {
        if let Some(deadline) = keep_alive_deadline(record) {
            if record.broker_end.is_none() && watched >= deadline {
                flag(
                    by_version(case, "MQTT-3.1.2-24", "MQTT-3.1.2-22"),
                    "keep-alive-not-enforced",
                    format!(
                        "the connection with Keep Alive {} s stayed open {} after it went silent",
                        record.keep_alive,
                        secs(deadline - record.events.first().map_or(Duration::ZERO, |e| e.0))
                    ),
                );
            }
        }
    }
    found
}

fn check_content(
    case: &Case,
    obs: &Observation,
    op: &ConnectOp,
    will: &super::case::WillDef,
    seen: &super::exec::SeenPublish,
    flag: &mut impl FnMut(&str, &'static str, String),
) {
    let p = &seen.publish;
    let topic = &p.topic;
    if p.payload.as_ref() != will_payload(op.tag, will.padding).as_bytes() {
        flag(
            by_version(case, "A17", "B34"),
            "will-payload-altered",
            format!(
                "the will on {topic} arrived with payload {:?}",
                String::from_utf8_lossy(&p.payload)
            ),
        );
    }
    let want = will.qos.min(obs.granted_qos);
    if p.qos.as_u8() != want {
        flag(
            by_version(case, "MQTT-3.8.4-6", "MQTT-3.8.4-8"),
            "will-qos",
            format!(
                "the will on {topic} arrived at QoS {}; Will QoS {} on a subscription granted QoS {} gives QoS {want}",
                p.qos.as_u8(),
                will.qos,
                obs.granted_qos
            ),
        );
    }
    if case.version != Version::V5 {
        return;
    }
    let props = &p.properties;
    let users: Vec<(String, String)> = props
        .rest
        .user_properties
        .iter()
        .map(|u| (u.name.to_string(), u.value.to_string()))
        .collect();
    if users != will.user_properties {
        flag(
            "MQTT-3.1.3-10",
            "will-user-properties",
            format!(
                "the will on {topic} carried User Properties {users:?}, sent {:?}",
                will.user_properties
            ),
        );
    }
    let checks: [(&str, &'static str, bool, String); 4] = [
        (
            "B28",
            "will-content-type",
            props.rest.content_type.as_deref() == will.content_type.as_deref(),
            format!(
                "Content Type {:?}, sent {:?}",
                props.rest.content_type, will.content_type
            ),
        ),
        (
            "B29",
            "will-response-topic",
            props.rest.response_topic.as_deref() == will.response_topic.as_deref(),
            format!(
                "Response Topic {:?}, sent {:?}",
                props.rest.response_topic, will.response_topic
            ),
        ),
        (
            "B30",
            "will-correlation-data",
            props.rest.correlation_data.as_deref()
                == will.correlation_data.as_deref().map(str::as_bytes),
            format!(
                "Correlation Data {:?}, sent {:?}",
                props.rest.correlation_data, will.correlation_data
            ),
        ),
        (
            "MQTT-3.3.2-4",
            "will-payload-format",
            props.payload_format_indicator.unwrap_or(0) == will.payload_format.unwrap_or(0),
            format!(
                "Payload Format Indicator {:?}, sent {:?}",
                props.payload_format_indicator, will.payload_format
            ),
        ),
    ];
    for (rule, class, ok, detail) in checks {
        if !ok {
            flag(rule, class, format!("the will on {topic} carried {detail}"));
        }
    }
    let expiry_ok = match (will.message_expiry, props.message_expiry_interval) {
        (None, None) => true,
        (Some(sent), Some(got)) => got <= sent,
        _ => false,
    };
    if !expiry_ok {
        flag(
            "B27",
            "will-message-expiry",
            format!(
                "the will on {topic} carried Message Expiry Interval {:?}, sent {:?}",
                props.message_expiry_interval, will.message_expiry
            ),
        );
    }
}

#[cfg(test)]
#[path = "oracle_tests.rs"]
mod tests;
