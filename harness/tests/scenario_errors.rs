//! A bad scenario file gets one clear error naming its line and column.

use lastwill::scenario::load::parse;

const GOOD: &str = r#"
id: trigger.fin
title: Closing without DISCONNECT publishes the will
rules:
  "3.1.1": [MQTT-3.1.2-8]
  "5.0": [MQTT-3.1.2-8]
clients:
  device:
    will: { topic: "{ns}/status", payload: offline, qos: 1 }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - close: { client: device, how: rst }
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: offline, within: [0, 2s] }
"#;

fn error_of(text: &str) -> (u32, u32, String) {
    match parse(text) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error,
    }
}

#[test]
fn the_reference_text_loads() {
    let scenario = parse(GOOD).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(scenario.steps.len(), 5);
    assert_eq!(scenario.steps[3].line, 15);
}

#[test]
fn an_unknown_field_names_its_line_and_column() {
    let (line, column, message) = error_of(&GOOD.replace("filter:", "filtre:"));
    assert_eq!((line, column), (13, 35), "{message}");
    assert!(message.contains("unknown field `filtre`"), "{message}");
}

#[test]
fn an_unknown_step_kind_is_named() {
    let (line, _, message) = error_of(&GOOD.replace("- close:", "- shut:"));
    assert_eq!(line, 15);
    assert!(message.contains("unknown variant `shut`"), "{message}");
}

#[test]
fn an_unknown_client_points_at_its_step() {
    let (line, column, message) =
        error_of(&GOOD.replace("client: device, how", "client: devise, how"));
    assert_eq!((line, column), (15, 5), "{message}");
    assert!(message.contains("unknown client `devise`"), "{message}");
}

#[test]
fn a_bad_window_points_at_its_step() {
    let (line, _, message) = error_of(&GOOD.replace("within: [0, 2s]", "within: [3s, 2s]"));
    assert_eq!(line, 16);
    assert!(message.contains("ends before it starts"), "{message}");
}

#[test]
fn a_bad_duration_is_explained() {
    let (line, _, message) = error_of(&GOOD.replace("within: [0, 2s]", "within: [0, soon]"));
    assert_eq!(line, 16);
    assert!(message.contains("`soon` is not a duration"), "{message}");
}

#[test]
fn malformed_yaml_names_its_position() {
    let (line, _, message) = error_of(&GOOD.replace("  watcher: {}", "  watcher: {"));
    assert!(line >= 10, "{line}: {message}");
}

#[test]
fn an_unknown_rule_id_is_refused_with_its_version() {
    let (_, _, message) =
        error_of(&GOOD.replace(r#""5.0": [MQTT-3.1.2-8]"#, r#""5.0": [MQTT-3.1.2-17]"#));
    assert!(
        message.contains("rule `MQTT-3.1.2-17` is not a 5.0 statement"),
        "{message}"
    );
}
