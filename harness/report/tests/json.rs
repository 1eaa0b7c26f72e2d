//! The JSON rendering is the source of truth: it must read back to the
//! same report, and refuse reports of another schema version clearly.
#![allow(clippy::unwrap_used)]

mod common;

use lastwill_report::{from_json, to_json, ReportError, SCHEMA_VERSION};

#[test]
fn round_trip() {
    let report = common::fixture();
    let json = to_json(&report);
    assert_eq!(from_json(&json).unwrap(), report);
    // Stable: rendering the read-back report gives the same bytes.
    assert_eq!(to_json(&from_json(&json).unwrap()), json);
}

#[test]
fn defaults_of_optional_fields_apply() {
    let mut value: serde_json::Value = serde_json::from_str(&to_json(&common::fixture())).unwrap();
    value["target"].as_object_mut().unwrap().remove("faults");
    value["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("choices");
    let report = from_json(&value.to_string()).unwrap();
    assert!(report.target.faults.is_empty());
}

#[test]
fn other_schema_versions_are_refused() {
    let json = to_json(&common::fixture());
    let newer = json.replacen(
        &format!("\"schema_version\": {SCHEMA_VERSION}"),
        "\"schema_version\": 99",
        1,
    );
    let err = from_json(&newer).unwrap_err();
    assert!(matches!(
        err,
        ReportError::UnsupportedSchemaVersion { found: 99 }
    ));
    let message = err.to_string();
    assert!(
        message.contains("schema_version 99") && message.contains("newer lastwill"),
        "{message}"
    );

    let older = json.replacen(
        &format!("\"schema_version\": {SCHEMA_VERSION}"),
        "\"schema_version\": 0",
        1,
    );
    assert!(from_json(&older)
        .unwrap_err()
        .to_string()
        .contains("older lastwill"));

    // A newer report is refused for its version, even if its shape changed.
    let reshaped = r#"{"schema_version": 2, "results": "elsewhere"}"#;
    assert!(matches!(
        from_json(reshaped),
        Err(ReportError::UnsupportedSchemaVersion { found: 2 })
    ));

    assert!(matches!(
        from_json(r#"{"results": []}"#),
        Err(ReportError::MissingSchemaVersion)
    ));
    assert!(matches!(from_json("not json"), Err(ReportError::Json(_))));
}
