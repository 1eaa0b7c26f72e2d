//! Small value types of the scenario format, each accepting the spellings a
//! person writes by hand (`2s`, `1500ms`, `0x04`, `[a, b]` pairs).

use schemars::JsonSchema;
use serde::Deserialize;

/// A protocol version a scenario runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, JsonSchema)]
pub enum Version {
    #[serde(rename = "3.1.1")]
    V3_1_1,
    #[serde(rename = "5.0")]
    V5,
}

/// Payload or binary data: plain text, or `{ hex: "00 ff" }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Bytes {
    Text(String),
    Hex { hex: String },
}

impl Default for Bytes {
    fn default() -> Self {
        Self::Text(String::new())
    }
}

/// A reason or return code: `4`, or `"0x04"`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Code {
    Number(u8),
    Text(String),
}

/// Which codes a reply may carry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CodeMatcher {
    /// `error` (any code ≥ 0x80) or `success` (0x00).
    Class(CodeClass),
    One(Code),
    AnyOf(Vec<Code>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeClass {
    Error,
    Success,
}

/// A duration: a number of seconds (`2`, `0.5`) or a string with a unit
/// (`"1500ms"`, `"2s"`, `"2m"`).
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Seconds {
    Number(f64),
    Text(String),
}

/// `[earliest, latest]`, measured from the end of the previous step.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
pub struct TimeWindow(pub Seconds, pub Seconds);

/// User Properties as `[[name, value], ...]`, in order.
pub type UserProperties = Vec<[String; 2]>;
