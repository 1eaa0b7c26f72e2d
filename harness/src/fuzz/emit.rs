//! Writes a finding's (minimized) case as a scenario file the suite's loader
//! accepts (scenarios/README.md), so it can join `scenarios/` or a bug
//! report and be run with `lastwill run --scenarios DIR --broker ...`.
//!
//! The translation mirrors the execution: each op the execution actually
//! carried out becomes a step (`connect` with the will as a client override,
//! `disconnect`, `close`, `go_silent`, `wait`, `send_raw` for hand-made
//! bytes); then, per will, what the oracle decided: a required will is an
//! `expect_publish` with its QoS and properties (its lower bound is the Will
//! Delay, minus the oracle's tolerance, when the will's connection ended in
//! the last op), a will the spec leaves open is an `optional` one, and a
//! forbidden will gets no step at all, so the runner's "unexpected PUBLISH"
//! check at the end catches it, as it catches a second copy. A final `wait`
//! leaves room for late wills. Crash and hang findings end with a fresh
//! client's `connect` and `ping`. Strings are written as JSON literals,
//! which are valid YAML double-quoted scalars.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::case::{Case, Malformed, Op, SLOTS};
use super::exec::{
    connect_bytes, flags_index, second_connect_bytes, will_payload, Answer, Observation,
};
use super::oracle::{judge_wills, Fate, EARLY_SLACK};
use crate::catalogue::Catalogue;
use crate::scenario::Version;

/// What the scenario file says about its origin.
#[derive(Clone, Debug)]
pub struct EmitInfo {
    /// Scenario id: lowercase, digits, `.`, `-`, `_`.
    pub id: String,
    pub title: String,
    pub description: String,
    /// Rule the finding broke (checked against the catalogue; a liveness
    /// finding cites the rule of what the case exercised).
    pub rule: String,
    /// The finding's check, e.g. `will-published-twice`.
    pub class: String,
    /// Crash or hang: end with a liveness probe.
    pub liveness: bool,
}

fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn seconds(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

const ANY_ANSWER: &str =
    "{ one_of: [{ connack: success }, { connack: error }, { disconnect: error }, closed] }";

/// The scenario text for `case` as `obs` saw it.
pub fn scenario_yaml(case: &Case, obs: &Observation, info: &EmitInfo) -> String {
    let version = case.version;
    let rule = if Catalogue::get().knows(version, &info.rule) {
        info.rule.clone()
    } else {
        "MQTT-3.1.2-8".to_owned()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Found by `lastwill fuzz`; see the campaign report for the evidence."
    );
    let _ = writeln!(out, "id: {}", q(&info.id));
    let _ = writeln!(out, "title: {}", q(&info.title));
    let _ = writeln!(out, "description: {}", q(&info.description));
    let _ = writeln!(out, "rules:\n  {}: [{}]", q(version.as_str()), q(&rule));
    let _ = writeln!(out, "clients:\n  watcher: {{}}");
    let used: Vec<usize> = (0..SLOTS)
        .filter(|s| case.ops.iter().any(|op| op.slot() == Some(*s)))
        .collect();
    for slot in &used {
        let _ = writeln!(
            out,
            "  d{slot}: {{ client_id: {} }}",
            q(&format!("{{ns}}-id{}", case.ids[*slot]))
        );
    }
    if info.liveness {
        let _ = writeln!(out, "  probe: {{}}");
    }
    let _ = writeln!(out, "steps:\n  - connect: watcher");
    let _ = writeln!(
        out,
        "  - subscribe: {{ client: watcher, filter: \"{{ns}}/#\", qos: {}, expect: [0, 1, 2] }}",
        case.sub_qos.min(2)
    );
    for (index, op) in case.ops.iter().enumerate() {
        if obs.skipped.contains(&index) {
            continue;
        }
        let _ = writeln!(out, "  - {}", step(case, obs, index, op));
    }
    expectations(case, obs, info, &mut out);
    out
}

fn step(case: &Case, obs: &Observation, index: usize, op: &Op) -> String {
    let version = case.version;
    match op {
        Op::Connect(c) => {
            let client = format!("d{}", usize::from(c.slot) % SLOTS);
            if c.malformed == Some(Malformed::BadUtf8Topic) {
                return format!(
                    "send_raw: {{ client: {client}, first_byte: 16, body: {}, expect: {ANY_ANSWER} }}",
                    q(&raw_body(version, |id| connect_bytes(version, c, id, "lw").ok()))
                );
            }
            let mut fields = vec![format!("client: {client}")];
            fields.push(format!("clean_start: {}", c.clean_start));
            fields.push(format!("keep_alive: {}", c.keep_alive));
            if let (Version::V5, Some(s)) = (version, c.session_expiry) {
                fields.push(format!("session_expiry: {s}"));
            }
            let with_will = c.malformed.is_none_or(Malformed::has_will);
            if let (Some(w), true) = (&c.will, with_will) {
                let topic = match c.malformed {
                    Some(Malformed::WildcardTopic) => format!("{{ns}}/w{}/#", c.tag),
                    Some(Malformed::EmptyTopic) => String::new(),
                    Some(Malformed::NulInTopic) => format!("{{ns}}/w{}\0", c.tag),
                    _ => format!("{{ns}}/w{}", c.tag),
                };
                let mut will = vec![
                    format!("topic: {}", q(&topic)),
                    format!("payload: {}", q(&will_payload(c.tag, w.padding))),
                    format!("qos: {}", w.qos.min(2)),
                    format!("retain: {}", w.retain),
                ];
                if version == Version::V5 {
                    let optional = [
                        ("delay", w.delay.map(|v| v.to_string())),
                        ("message_expiry", w.message_expiry.map(|v| v.to_string())),
                        ("payload_format", w.payload_format.map(|v| v.to_string())),
                        ("content_type", w.content_type.as_deref().map(q)),
                        ("response_topic", w.response_topic.as_deref().map(q)),
                        ("correlation_data", w.correlation_data.as_deref().map(q)),
                    ];
                    will.extend(
                        optional
                            .into_iter()
                            .filter_map(|(k, v)| v.map(|v| format!("{k}: {v}"))),
                    );
                    if !w.user_properties.is_empty() {
                        will.push(format!("user_properties: {}", pairs(&w.user_properties)));
                    }
                }
                fields.push(format!("will: {{ {} }}", will.join(", ")));
            }
            if matches!(
                c.malformed,
                Some(
                    Malformed::WillQos3
                        | Malformed::WillQosWithoutWillFlag
                        | Malformed::WillRetainWithoutWillFlag
                )
            ) {
                if let Ok(bytes) = connect_bytes(version, c, "x", "lw") {
                    if let Some(flags) = flags_index(&bytes).and_then(|i| bytes.get(i)) {
                        fields.push(format!("connect_flags: 0x{flags:02x}"));
                    }
                }
            }
            let accepted = obs
                .conns
                .iter()
                .any(|r| r.op == index && r.answer == Answer::Connack(0));
            if c.malformed.is_some() || !accepted {
                fields.push(format!("expect: {ANY_ANSWER}"));
            }
            format!("connect: {{ {} }}", fields.join(", "))
        }
        Op::Disconnect { slot, reason } => match version {
            Version::V5 => format!(
                "disconnect: {{ client: d{}, reason: 0x{reason:02x} }}",
                slot % 3
            ),
            Version::V3_1_1 => format!("disconnect: {{ client: d{} }}", slot % 3),
        },
        Op::Close { slot, rst } => {
            format!(
                "close: {{ client: d{}, how: {} }}",
                slot % 3,
                if *rst { "rst" } else { "fin" }
            )
        }
        Op::Silent { slot } => format!("go_silent: d{}", slot % 3),
        Op::Wait { ms } => format!("wait: \"{ms}ms\""),
        Op::BadDisconnect { slot, kind } => {
            let hex: Vec<String> = kind
                .bytes(version)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!(
                "send_raw: {{ client: d{}, hex: \"{}\" }}",
                slot % 3,
                hex.join(" ")
            )
        }
        Op::SecondConnect { slot } => format!(
            "send_raw: {{ client: d{}, first_byte: 16, body: {} }}",
            slot % 3,
            q(&raw_body(version, |id| second_connect_bytes(version, id).ok()))
        ),
    }
}

fn pairs(list: &[(String, String)]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|(k, v)| format!("[{}, {}]", q(k), q(v)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The packet body (after the Remaining Length) as hex, with the client
/// identifier replaced by `{client_id}` (which the runner expands to the
/// client's id as an MQTT string).
fn raw_body(_version: Version, encode: impl Fn(&str) -> Option<Vec<u8>>) -> String {
    const MARK: &str = "\u{1}CID\u{1}";
    let Some(bytes) = encode(MARK) else {
        return String::new();
    };
    let Some(length) = bytes.iter().skip(1).take(4).position(|b| b & 0x80 == 0) else {
        return String::new();
    };
    let body = bytes.get(2 + length..).unwrap_or_default();
    let mut needle = vec![0u8, MARK.len() as u8];
    needle.extend_from_slice(MARK.as_bytes());
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match body
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
    {
        Some(at) => format!(
            "{} {{client_id}} {}",
            hex(&body[..at]),
            hex(&body[at + needle.len()..])
        )
        .trim()
        .to_owned(),
        None => hex(body),
    }
}

fn expectations(case: &Case, obs: &Observation, info: &EmitInfo, out: &mut String) {
    let last_end = obs.op_times.last().map_or(Duration::ZERO, |(_, end)| *end);
    let last_start = obs
        .op_times
        .last()
        .map_or(Duration::ZERO, |(start, _)| *start);
    let mut linger = Duration::from_millis(1500);
    if info.class == "keep-alive-not-enforced" {
        for record in &obs.conns {
            if record
                .events
                .iter()
                .any(|(_, e)| *e == super::exec::ConnEvent::Silent)
            {
                let limit = Duration::from_millis(u64::from(record.keep_alive) * 1500)
                    + super::oracle::KEEP_ALIVE_SLACK;
                let _ = writeln!(
                    out,
                    "  - expect_close: {{ client: d{}, within: [0, {}] }}",
                    record.slot,
                    seconds(limit)
                );
            }
        }
    }
    for j in judge_wills(case, obs) {
        let Some(op) = case.connect(j.tag) else {
            continue;
        };
        let Some(will) = &op.will else { continue };
        let mut fields = vec![
            "client: watcher".to_owned(),
            format!("topic: \"{{ns}}/w{}\"", j.tag),
            format!("payload: {}", q(&will_payload(j.tag, will.padding))),
        ];
        if op.malformed.is_none() {
            fields.push(format!("qos: {}", will.qos.min(obs.granted_qos)));
            if case.version == Version::V5 {
                if !will.user_properties.is_empty() {
                    fields.push(format!("user_properties: {}", pairs(&will.user_properties)));
                }
                if let Some(ct) = &will.content_type {
                    fields.push(format!("content_type: {}", q(ct)));
                }
                if let Some(rt) = &will.response_topic {
                    fields.push(format!("response_topic: {}", q(rt)));
                }
                if let Some(cd) = &will.correlation_data {
                    fields.push(format!("correlation_data: {}", q(cd)));
                }
                if let Some(m) = will.message_expiry {
                    fields.push(format!("message_expiry: [0, {m}]"));
                }
            }
        }
        let ended = j.ended.unwrap_or(last_end);
        linger =
            linger.max((ended + j.delay + Duration::from_millis(1500)).saturating_sub(last_end));
        // A lower bound is measured from the start of the last acting
        // step: only meaningful when that step ended the will's connection.
        let lower = |upper: Duration| match j.not_before {
            Some(nb) if ended >= last_start && info.class == "will-before-delay" => {
                nb.saturating_sub(last_start).min(upper)
            }
            _ => Duration::ZERO,
        };
        match &j.fate {
            Fate::Forbidden { .. } => continue,
            Fate::Required { latest, .. } => {
                let upper = latest.saturating_sub(last_end).max(Duration::from_secs(3));
                fields.push(format!(
                    "within: [{}, {}]",
                    seconds(lower(upper)),
                    seconds(upper)
                ));
            }
            Fate::Open => {
                let upper = (ended + j.delay + Duration::from_secs(2))
                    .saturating_sub(last_end)
                    .max(Duration::from_secs(1));
                fields.push(format!(
                    "within: [{}, {}]",
                    seconds(lower(upper)),
                    seconds(upper)
                ));
                fields.push("optional: true".into());
            }
        }
        let _ = writeln!(out, "  - expect_publish: {{ {} }}", fields.join(", "));
    }
    let _ = writeln!(out, "  - wait: {}", seconds(linger.max(EARLY_SLACK)));
    if info.liveness {
        let _ = writeln!(out, "  - connect: probe\n  - ping: probe");
    }
}

/// Writes the scenario under `dir` as `<file_stem>.yaml`; returns its path.
pub fn write(dir: &Path, file_stem: &str, yaml: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{file_stem}.yaml"));
    let tmp = dir.join(format!(".{file_stem}.yaml.tmp"));
    std::fs::write(&tmp, yaml)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}
