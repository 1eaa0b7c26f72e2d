//! The published JSON Schema (`scenarios/scenario.schema.json`) is the one
//! the Rust types generate: regenerate it with
//! `cargo run -- schema > scenarios/scenario.schema.json`.

#[test]
fn the_published_schema_is_current() {
    let generated =
        serde_json::to_string_pretty(&schemars::schema_for!(lastwill::scenario::Scenario))
            .unwrap_or_default()
            + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/scenario.schema.json");
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == generated,
        "{} is out of date: run `cargo run -- schema > scenarios/scenario.schema.json`",
        path.display()
    );
}
