//! A value with the place in its file where it was written, so checks made
//! after parsing (unknown client, bad duration) can still name the line and
//! column. Its JSON Schema is the inner value's: editors see no wrapper.
//! [`Positions`] does the same for the parts the model keeps as plain
//! values (rule IDs, clients), by reading the file a second time on the
//! error path.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use super::values::Version;

#[derive(Clone, Debug)]
pub struct Located<T> {
    pub value: T,
    /// 1-based; 0 when unknown.
    pub line: u32,
    pub column: u32,
}

/// Writes `FILE:LINE:COLUMN: message`, or `FILE: message` when there is no
/// position (line 0): the one form every file error of the harness takes
/// (scenarios, target profiles), so editors and CI logs can jump to it.
pub fn write_at(
    f: &mut std::fmt::Formatter<'_>,
    file: &std::path::Path,
    line: u32,
    column: u32,
    message: &str,
) -> std::fmt::Result {
    if line == 0 {
        write!(f, "{}: {message}", file.display())
    } else {
        write!(f, "{}:{line}:{column}: {message}", file.display())
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        let at = spanned.referenced;
        Ok(Self {
            value: spanned.value,
            line: u32::try_from(at.line()).unwrap_or(0),
            column: u32::try_from(at.column()).unwrap_or(0),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// Where the parts that checks after parsing refer to were written: read
/// again, on the error path only, since [`Scenario`](super::Scenario) keeps no position for
/// its rules and clients.
#[derive(Deserialize)]
pub(super) struct Positions {
    #[serde(default)]
    rules: BTreeMap<Version, Vec<Located<String>>>,
    #[serde(default)]
    clients: BTreeMap<String, Located<IgnoredAny>>,
}

impl Positions {
    fn read(text: &str) -> Option<Self> {
        serde_saphyr::from_str(text).ok()
    }

    pub(super) fn rule(text: &str, version: Version, id: &str) -> (u32, u32) {
        Self::read(text)
            .and_then(|p| {
                let rules = p.rules.get(&version)?;
                let rule = rules.iter().find(|rule| rule.value == id)?;
                Some((rule.line, rule.column))
            })
            .unwrap_or((1, 1))
    }

    pub(super) fn client(text: &str, name: &str) -> (u32, u32) {
        Self::read(text)
            .and_then(|p| p.clients.get(name).map(|c| (c.line, c.column)))
            .unwrap_or((1, 1))
    }
}
