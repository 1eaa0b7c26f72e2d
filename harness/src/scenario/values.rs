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

/// A value in a scenario file that does not parse; the loader reports it
/// with the file, line and column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("`{0}` is not a duration: use seconds (`2`, `0.5`) or a unit (`1500ms`, `2s`, `1m`)")]
    Duration(String),
    #[error("`{0}` is not a code: use a number (4) or hex (\"0x04\")")]
    Code(String),
    #[error("`{0}` is not hex: use pairs of hex digits, spaces allowed")]
    Hex(String),
    #[error("time window [{0:?}, {1:?}] ends before it starts")]
    Window(std::time::Duration, std::time::Duration),
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3_1_1 => "3.1.1",
            Self::V5 => "5.0",
        }
    }

    pub fn protocol(self) -> lastwill_codec::ProtocolVersion {
        match self {
            Self::V3_1_1 => lastwill_codec::ProtocolVersion::V3_1_1,
            Self::V5 => lastwill_codec::ProtocolVersion::V5,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Bytes {
    pub fn to_bytes(&self) -> Result<bytes::Bytes, ValueError> {
        match self {
            Self::Text(text) => Ok(bytes::Bytes::from(text.clone().into_bytes())),
            Self::Hex { hex } => parse_hex(hex).map(bytes::Bytes::from),
        }
    }
}

/// Hex digits in pairs; spaces, newlines and `_` between pairs are ignored.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, ValueError> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'_')
        .collect();
    if digits.len() % 2 != 0 {
        return Err(ValueError::Hex(text.to_owned()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| ValueError::Hex(text.to_owned()))
        })
        .collect()
}

impl Code {
    pub fn value(&self) -> Result<u8, ValueError> {
        match self {
            Self::Number(n) => Ok(*n),
            Self::Text(text) => {
                let t = text.trim();
                let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    Some(hex) => u8::from_str_radix(hex, 16).ok(),
                    None => t.parse::<u8>().ok(),
                };
                parsed.ok_or_else(|| ValueError::Code(text.clone()))
            }
        }
    }
}

impl CodeMatcher {
    /// Whether `code` is one this matcher accepts.
    pub fn matches(&self, code: u8) -> Result<bool, ValueError> {
        Ok(match self {
            Self::Class(CodeClass::Error) => code >= 0x80,
            Self::Class(CodeClass::Success) => code == 0,
            Self::One(expected) => expected.value()? == code,
            Self::AnyOf(list) => {
                for expected in list {
                    if expected.value()? == code {
                        return Ok(true);
                    }
                }
                false
            }
        })
    }

    /// Checks every code parses.
    pub fn validate(&self) -> Result<(), ValueError> {
        self.matches(0).map(|_| ())
    }
}

impl std::fmt::Display for CodeMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |code: &Code| match code.value() {
            Ok(v) => format!("0x{v:02X}"),
            Err(_) => format!("{code:?}"),
        };
        match self {
            Self::Class(CodeClass::Error) => f.write_str("any code ≥ 0x80"),
            Self::Class(CodeClass::Success) => f.write_str("0x00"),
            Self::One(code) => f.write_str(&show(code)),
            Self::AnyOf(list) => {
                let shown: Vec<String> = list.iter().map(show).collect();
                write!(f, "one of {}", shown.join(", "))
            }
        }
    }
}

impl Seconds {
    pub fn to_duration(&self) -> Result<std::time::Duration, ValueError> {
        let bad = || ValueError::Duration(self.describe());
        let seconds = match self {
            Self::Number(n) => *n,
            Self::Text(text) => {
                let t = text.trim();
                let (number, scale) = if let Some(ms) = t.strip_suffix("ms") {
                    (ms, 0.001)
                } else if let Some(s) = t.strip_suffix('s') {
                    (s, 1.0)
                } else if let Some(m) = t.strip_suffix('m') {
                    (m, 60.0)
                } else {
                    (t, 1.0)
                };
                number.trim().parse::<f64>().map_err(|_| bad())? * scale
            }
        };
        if !seconds.is_finite() || !(0.0..=86_400.0 * 365.0).contains(&seconds) {
            return Err(bad());
        }
        Ok(std::time::Duration::from_secs_f64(seconds))
    }

    fn describe(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(t) => t.clone(),
        }
    }
}

impl TimeWindow {
    pub fn bounds(&self) -> Result<(std::time::Duration, std::time::Duration), ValueError> {
        let (earliest, latest) = (self.0.to_duration()?, self.1.to_duration()?);
        if latest < earliest {
            return Err(ValueError::Window(earliest, latest));
        }
        Ok((earliest, latest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_spelling() {
        let d = |s: &str| Seconds::Text(s.into()).to_duration();
        assert_eq!(d("1500ms"), Ok(std::time::Duration::from_millis(1500)));
        assert_eq!(d("2s"), Ok(std::time::Duration::from_secs(2)));
        assert_eq!(d("2m"), Ok(std::time::Duration::from_secs(120)));
        assert_eq!(d("2.5"), Ok(std::time::Duration::from_millis(2500)));
        assert_eq!(
            Seconds::Number(0.25).to_duration(),
            Ok(std::time::Duration::from_millis(250))
        );
        assert!(d("soon").is_err());
        assert!(Seconds::Number(-1.0).to_duration().is_err());
    }

    #[test]
    fn codes_and_matchers() {
        assert_eq!(Code::Text("0x8E".into()).value(), Ok(0x8E));
        assert_eq!(Code::Number(4).value(), Ok(4));
        assert!(Code::Text("0x1FF".into()).value().is_err());
        let error = CodeMatcher::Class(CodeClass::Error);
        assert_eq!(error.matches(0x80), Ok(true));
        assert_eq!(error.matches(0x04), Ok(false));
        let list = CodeMatcher::AnyOf(vec![Code::Number(0x81), Code::Text("0x82".into())]);
        assert_eq!(list.matches(0x82), Ok(true));
        assert_eq!(list.matches(0x90), Ok(false));
    }

    #[test]
    fn hex_ignores_spacing_and_rejects_odd_digits() {
        assert_eq!(parse_hex("e0 02_ff 00"), Ok(vec![0xe0, 0x02, 0xff, 0x00]));
        assert!(parse_hex("e0 0").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
