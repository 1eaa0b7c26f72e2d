//! The scenario file format: the Rust types are the format's definition, and
//! the published JSON Schema is generated from them (`lastwill schema`).
//!
//! A scenario checks one behaviour. It names the rules it rests on per
//! protocol version (3.1.1 and 5.0 number the same concept differently) and
//! runs once under each version it names.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::located::Located;
use super::values::{Bytes, Code, CodeMatcher, Seconds, TimeWindow, UserProperties, Version};

/// One scenario file.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable identifier, dotted: `will.trigger.keep-alive-expiry`. Reports and
    /// expectations files refer to it, so it never changes once published.
    pub id: String,
    /// One line saying what the broker must do.
    pub title: String,
    /// Longer notes: why the scenario is shaped as it is, which catalogue
    /// ambiguity it settles.
    #[serde(default)]
    pub description: Option<String>,
    /// The normative statements checked, per protocol version. The scenario
    /// runs under exactly the versions listed here.
    pub rules: BTreeMap<Version, Vec<String>>,
    /// Broker capabilities the scenario needs; a broker without one gets `skip`.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// The broker nodes taking part, by name (`[a, b]`), for bridged or
    /// clustered targets; a client picks one with `node`. Absent: one node.
    /// Two or more need `requires: [second_node]`; the target's first
    /// endpoint is the first node, its second endpoint the second.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// The clients taking part, by name.
    pub clients: BTreeMap<String, ClientSpec>,
    /// What happens, in order.
    pub steps: Vec<Located<Step>>,
}

/// A capability a broker may lack. Read from CONNACK properties where the
/// protocol offers it (5.0 Maximum QoS, Retain Available, ...), otherwise
/// declared by the target profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Qos1,
    Qos2,
    Retain,
    WildcardSubscriptions,
    SharedSubscriptions,
    SubscriptionIdentifiers,
    /// The broker rejects a will whose payload does not match its Payload
    /// Format Indicator (a MAY in 5.0 §3.1.3.2.3).
    PayloadFormatValidation,
    /// The broker is configured with the auth fixture of
    /// `scenarios/auth/README.md`: user `lastwill-user` / `lastwill-pass`
    /// may publish to `+/allowed/#` only; anonymous clients to `#`.
    AuthFixture,
    /// The broker checks the will topic against ACLs at CONNECT (catalogue E7).
    WillAclAtConnect,
    /// The broker checks the will topic against ACLs at publication (catalogue E7).
    WillAclAtPublish,
    /// The target has a second node (cluster member or bridge peer).
    SecondNode,
}

/// How a client connects. Every CONNECT field and property can be set;
/// `connect` steps may override any of them for one connection.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// The node (one of the scenario's `nodes`) the client connects to;
    /// default: the first.
    #[serde(default)]
    pub node: Option<String>,
    /// Client identifier; `{ns}` expands to the run's unique namespace.
    /// Default: `{ns}-<client name>`. An empty string asks the broker to assign one.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Clean Session (3.1.1) / Clean Start (5.0). Default true.
    #[serde(default)]
    pub clean_start: Option<bool>,
    /// Keep Alive in seconds. Default 60; 0 turns keep-alive off.
    #[serde(default)]
    pub keep_alive: Option<u16>,
    /// 5.0 Session Expiry Interval in seconds; absent means 0.
    #[serde(default)]
    pub session_expiry: Option<u32>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Bytes>,
    #[serde(default)]
    pub will: Option<WillSpec>,
    /// 5.0 Receive Maximum.
    #[serde(default)]
    pub receive_maximum: Option<u16>,
    /// 5.0 Maximum Packet Size the client accepts.
    #[serde(default)]
    pub maximum_packet_size: Option<u32>,
    /// 5.0 Topic Alias Maximum the client accepts.
    #[serde(default)]
    pub topic_alias_maximum: Option<u16>,
    #[serde(default)]
    pub request_problem_information: Option<u8>,
    #[serde(default)]
    pub request_response_information: Option<u8>,
    #[serde(default)]
    pub user_properties: UserProperties,
}

/// The Will Message of a CONNECT, with its 5.0 Will Properties.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WillSpec {
    pub topic: String,
    #[serde(default)]
    pub payload: Bytes,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
    /// Will Delay Interval in seconds (5.0).
    #[serde(default)]
    pub delay: Option<u32>,
    /// Message Expiry Interval in seconds (5.0).
    #[serde(default)]
    pub message_expiry: Option<u32>,
    /// Payload Format Indicator (5.0): 0 bytes, 1 UTF-8.
    #[serde(default)]
    pub payload_format: Option<u8>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub response_topic: Option<String>,
    #[serde(default)]
    pub correlation_data: Option<Bytes>,
    /// In order; the broker must keep the order (MQTT-3.1.3-10).
    #[serde(default)]
    pub user_properties: UserProperties,
}

/// One step. Every step names the client it acts on or observes.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Open a connection and send CONNECT; wait for the broker's answer.
    Connect(ConnectStep),
    /// SUBSCRIBE and wait for SUBACK.
    Subscribe(SubscribeStep),
    /// UNSUBSCRIBE and wait for UNSUBACK.
    Unsubscribe(UnsubscribeStep),
    /// PUBLISH; at QoS 1/2 the step completes with the acknowledgement flow.
    Publish(PublishStep),
    /// Send DISCONNECT (with a 5.0 reason code and properties), then close.
    Disconnect(DisconnectStep),
    /// End the connection without DISCONNECT.
    Close(CloseStep),
    /// Stop sending anything, PINGREQ included, so keep-alive expires;
    /// the socket stays open.
    GoSilent(ClientRef),
    /// Write the given bytes as they are: malformed packets on purpose.
    SendRaw(SendRawStep),
    /// PINGREQ and wait for PINGRESP: a barrier proving everything the broker
    /// sent before it has arrived.
    Ping(ClientRef),
    /// Let time pass.
    Wait(Seconds),
    /// A PUBLISH must arrive on the client within the window.
    ExpectPublish(ExpectPublishStep),
    /// No PUBLISH (matching `topic`, if given) may arrive for the duration.
    ExpectNoPublish(ExpectNoPublishStep),
    /// The broker must end the connection in one of the listed ways.
    ExpectClose(ExpectCloseStep),
}

/// A client named by the scenario, alone.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ClientRef {
    Name(String),
    Named { client: String },
}

impl ClientRef {
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) | Self::Named { client: name } => name,
        }
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ConnectStep {
    Name(String),
    Full(Box<ConnectDetails>),
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectDetails {
    pub client: String,
    /// Field overrides for this connection only.
    #[serde(default, flatten)]
    pub overrides: ClientSpec,
    /// Send no will this time, although the client spec has one.
    #[serde(default)]
    pub without_will: bool,
    /// What the broker must answer; default: CONNACK Success.
    #[serde(default)]
    pub expect: Option<Outcome>,
    /// Session Present in the CONNACK, when the scenario cares.
    #[serde(default)]
    pub session_present: Option<bool>,
    /// Overwrite the Connect Flags byte after encoding (e.g. `0x1e` for Will
    /// QoS 3): malformed CONNECTs whose other fields stay well-formed.
    #[serde(default)]
    pub connect_flags: Option<u8>,
    /// Restrict the step to one protocol version.
    #[serde(default)]
    pub only: Option<Version>,
}

/// What a broker did in answer to a step, for steps that may end a
/// connection. `one_of` lists behaviours the spec allows, and the verdict
/// records which one the broker chose.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// CONNACK with a matching reason code (3.1.1: return code).
    Connack(CodeMatcher),
    /// DISCONNECT with a matching reason code, then the connection closes.
    Disconnect(CodeMatcher),
    /// The connection closes with no CONNACK or DISCONNECT.
    Closed,
    OneOf(Vec<Outcome>),
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeStep {
    pub client: String,
    pub filter: String,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub no_local: bool,
    #[serde(default)]
    pub retain_as_published: bool,
    #[serde(default)]
    pub retain_handling: u8,
    /// Expected SUBACK code; default: the requested QoS granted.
    #[serde(default)]
    pub expect: Option<CodeMatcher>,
    #[serde(default)]
    pub only: Option<Version>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeStep {
    pub client: String,
    pub filter: String,
    #[serde(default)]
    pub only: Option<Version>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishStep {
    pub client: String,
    pub topic: String,
    #[serde(default)]
    pub payload: Bytes,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
    #[serde(default)]
    pub message_expiry: Option<u32>,
    #[serde(default)]
    pub user_properties: UserProperties,
    #[serde(default)]
    pub only: Option<Version>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisconnectStep {
    pub client: String,
    /// 5.0 reason code; default 0x00. Ignored under 3.1.1.
    #[serde(default)]
    pub reason: Option<Code>,
    /// 5.0 Session Expiry Interval carried by the DISCONNECT.
    #[serde(default)]
    pub session_expiry: Option<u32>,
    #[serde(default)]
    pub only: Option<Version>,
}

/// How a connection ends without DISCONNECT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseHow {
    /// An orderly TCP close (FIN).
    #[default]
    Fin,
    /// An abortive close (RST), as after a crash or network failure.
    Rst,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseStep {
    pub client: String,
    #[serde(default)]
    pub how: CloseHow,
    #[serde(default)]
    pub only: Option<Version>,
}

/// Bytes sent as they are. Give either `hex` (the whole packet, verbatim)
/// or `first_byte` and `body` (the Remaining Length is computed). In `body`,
/// `{client_id}` stands for the client's identifier encoded as an MQTT
/// string (two-byte length, then UTF-8), so raw CONNECTs stay unique per run.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRawStep {
    pub client: String,
    /// The whole packet as hex (spaces allowed): `"e0 02 ff 00"`.
    #[serde(default)]
    pub hex: Option<String>,
    /// The fixed header's first byte, with `body`.
    #[serde(default)]
    pub first_byte: Option<u8>,
    /// The packet after the Remaining Length, as hex with `{client_id}` allowed.
    #[serde(default)]
    pub body: Option<String>,
    /// What the broker must do in answer, if anything is checked here.
    #[serde(default)]
    pub expect: Option<Outcome>,
    #[serde(default)]
    pub only: Option<Version>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectPublishStep {
    pub client: String,
    pub topic: String,
    #[serde(default)]
    pub payload: Option<Bytes>,
    #[serde(default)]
    pub qos: Option<u8>,
    #[serde(default)]
    pub retain: Option<bool>,
    #[serde(default)]
    pub payload_format: Option<u8>,
    /// Expected Message Expiry Interval: an exact value or `[min, max]`.
    #[serde(default)]
    pub message_expiry: Option<Vec<u32>>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub response_topic: Option<String>,
    #[serde(default)]
    pub correlation_data: Option<Bytes>,
    /// Compared in order: the whole list must match.
    #[serde(default)]
    pub user_properties: Option<UserProperties>,
    /// When it must arrive, measured from the end of the previous step.
    #[serde(default)]
    pub within: Option<TimeWindow>,
    /// Arriving after this (but within `within`) gives `warn`, not `fail`:
    /// for wills the spec says SHOULD be published promptly (A7, B6), where
    /// `within` is what the suite tolerates and this is what is prompt.
    #[serde(default)]
    pub warn_after: Option<Seconds>,
    /// A PUBLISH the spec allows but does not require (the extra copy per
    /// overlapping subscription of MQTT-3.3.5-1 / MQTT-3.3.4-2): taken if it
    /// comes, not missed if it does not; the verdict records which.
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub only: Option<Version>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectNoPublishStep {
    pub client: String,
    /// How long to watch.
    #[serde(rename = "for")]
    pub duration: Seconds,
    /// Only publications on this topic count; default: any.
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub only: Option<Version>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectCloseStep {
    pub client: String,
    /// Default: any DISCONNECT with an error code, or a bare close.
    #[serde(default)]
    pub expect: Option<Outcome>,
    #[serde(default)]
    pub within: Option<TimeWindow>,
    #[serde(default)]
    pub only: Option<Version>,
}
