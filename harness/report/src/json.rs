//! The JSON rendering: the source of truth every other rendering can be
//! rebuilt from, so reading it back checks the schema version before
//! anything else and says plainly what to do about a mismatch.

use serde::Deserialize;

use crate::error::ReportError;
use crate::result::{RunReport, SCHEMA_VERSION};

/// Pretty-printed JSON with a trailing newline (diff- and editor-friendly).
pub fn to_json(report: &RunReport) -> String {
    // Serialising plain structs of strings, numbers and vectors cannot fail;
    // fall back to an empty object rather than panic if it ever did.
    let mut json = serde_json::to_string_pretty(report).unwrap_or_else(|_| String::from("{}"));
    json.push('\n');
    json
}

/// Reads a report, refusing any `schema_version` but [`SCHEMA_VERSION`].
pub fn from_json(json: &str) -> Result<RunReport, ReportError> {
    /// Only the version, read first so a newer report is refused for its
    /// version rather than for whichever new field breaks parsing first.
    #[derive(Deserialize)]
    struct Probe {
        schema_version: Option<u64>,
    }
    let probe: Probe = serde_json::from_str(json)?;
    match probe.schema_version {
        None => Err(ReportError::MissingSchemaVersion),
        Some(found) if found != u64::from(SCHEMA_VERSION) => {
            Err(ReportError::UnsupportedSchemaVersion { found })
        }
        Some(_) => Ok(serde_json::from_str(json)?),
    }
}
