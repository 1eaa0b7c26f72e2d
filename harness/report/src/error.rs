//! The one error type of the crate: reading and combining reports. Writing
//! files returns `io::Error`, which already says what failed.

use crate::result::SCHEMA_VERSION;

/// Why a report could not be read or combined.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not JSON, or JSON of the right version that does not fit the schema.
    #[error("not a valid lastwill report: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON has no `schema_version`, so it is probably not a report.
    #[error("not a lastwill report: the JSON has no schema_version field (this lastwill reads schema_version {SCHEMA_VERSION})")]
    MissingSchemaVersion,
    /// Written under another schema; the fields cannot be trusted to mean
    /// the same, so the report is refused rather than half-read.
    #[error(
        "report has schema_version {found}, but this lastwill reads only schema_version {supported}: {hint}",
        supported = SCHEMA_VERSION,
        hint = version_hint(*.found)
    )]
    UnsupportedSchemaVersion { found: u64 },
    /// `merge` was given nothing to merge.
    #[error("no reports to merge")]
    NothingToMerge,
    /// Shards of different targets cannot be one report; use a matrix.
    #[error("cannot merge reports of different targets ({first} and {other}); build a Matrix to compare targets")]
    TargetMismatch { first: String, other: String },
}

fn version_hint(found: u64) -> &'static str {
    if found > u64::from(SCHEMA_VERSION) {
        "it was written by a newer lastwill; upgrade lastwill to read it"
    } else {
        "it was written by an older lastwill; re-run the suite or read it with that version"
    }
}
