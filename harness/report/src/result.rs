//! The result model. Field names are the JSON schema (versioned by
//! [`SCHEMA_VERSION`]); change them only with a new version.

use serde::{Deserialize, Serialize};

/// Bumped whenever the JSON shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// One run: a set of scenarios against one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    /// `lastwill` version that produced the report.
    pub tool_version: String,
    pub target: TargetInfo,
    /// RFC 3339 UTC time the run started.
    pub started_at: String,
    /// Wall-clock duration of the whole run.
    pub wall_time_ms: u64,
    /// True when the run was interrupted: `results` holds what finished.
    pub partial: bool,
    pub results: Vec<ScenarioResult>,
}

/// What was tested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `embedded`, a profile name, or the broker address.
    pub name: String,
    /// `tcp://127.0.0.1:1883`, `embedded`, ...
    pub address: String,
    /// Broker product and version where known (`mosquitto 2.0.11`).
    pub broker: Option<String>,
    /// True when time was virtual (the embedded reference broker).
    pub virtual_time: bool,
    /// Faults injected into the embedded reference broker, if any.
    #[serde(default)]
    pub faults: Vec<String>,
}

/// The outcome class of one scenario under one protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// A MUST was broken.
    Fail,
    /// A SHOULD was broken, or the broker chose a behaviour the spec allows
    /// that users should know of.
    Warn,
    /// The broker lacks a capability the scenario needs.
    Skip,
    /// The harness could not run the scenario (connection refused, timeout
    /// of the harness itself, crash of the broker process, ...).
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Skip => "skip",
            Self::Error => "error",
        }
    }
}

/// One scenario run under one protocol version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario id (`will.trigger.keep-alive-expiry`).
    pub id: String,
    pub title: String,
    /// `3.1.1` or `5.0`.
    pub version: String,
    /// Scenario file, relative to the scenario directory.
    pub file: String,
    /// Spec rules the scenario checks under this version (`MQTT-3.1.2-8`).
    pub rules: Vec<String>,
    pub verdict: Verdict,
    /// Why: for `fail`/`warn`/`error` the rule broken and what went wrong in
    /// plain words; for `skip` the missing capability; for `pass` empty.
    pub reason: String,
    /// The rule the deciding expectation rests on, when there is one.
    pub failed_rule: Option<String>,
    /// Index of the step that decided a non-pass verdict.
    pub failed_step: Option<usize>,
    /// What the scenario expected at that step, in plain words.
    pub expected: Option<String>,
    /// What the broker did instead.
    pub observed: Option<String>,
    /// Where the spec allows several behaviours: the one the broker chose,
    /// per step (`step 3: CONNACK 0x90`).
    #[serde(default)]
    pub choices: Vec<String>,
    /// Protocol time covered (virtual or real), in milliseconds.
    pub scenario_time_ms: u64,
    /// Wall-clock time the scenario took.
    pub wall_time_ms: u64,
    /// Every packet and transport event, in order.
    pub timeline: Vec<TimelineEntry>,
}

/// One thing that happened on one client's connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Milliseconds since the scenario started (virtual or real).
    pub at_ms: u64,
    /// Scenario client name (`device`, `watcher`).
    pub client: String,
    /// Which connection of that client (0 for the first, 1 after a reconnect...).
    pub connection: u32,
    pub direction: Direction,
    /// One-line summary: `PUBLISH topic=ns/status qos=1 retain=0 payload="offline"`.
    pub summary: String,
    /// The exact bytes on the wire, as lowercase hex, for packets; empty for events.
    #[serde(default)]
    pub hex: String,
    /// For events that change the connection itself, what happened to it.
    /// Typed, so renderings (the pcap's TCP flags) never read it from prose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
}

/// What a timeline event did to its TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// The connection was established.
    Opened,
    /// The client closed its side (FIN).
    ClientFin,
    /// The client aborted the connection (RST).
    ClientRst,
    /// The broker closed the connection (EOF seen by the client).
    BrokerFin,
    /// The connection failed under the client (reset by the broker, I/O error).
    BrokerRst,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Client to broker.
    Sent,
    /// Broker to client.
    Received,
    /// A transport or harness event: connected, FIN, RST, closed by the broker, step marker.
    Event,
}

impl RunReport {
    /// Counts per verdict, in the order pass, fail, warn, skip, error.
    pub fn counts(&self) -> VerdictCounts {
        let mut counts = VerdictCounts::default();
        for result in &self.results {
            match result.verdict {
                Verdict::Pass => counts.pass += 1,
                Verdict::Fail => counts.fail += 1,
                Verdict::Warn => counts.warn += 1,
                Verdict::Skip => counts.skip += 1,
                Verdict::Error => counts.error += 1,
            }
        }
        counts
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
    pub error: usize,
}
