//! Bad input to `lastwill run`, as users meet it (issue 6, item 6): each
//! case through the binary gets exit code 2 and one clear error naming the
//! file, line and column where there is one, and never a panic. The six
//! cases: malformed YAML, an unknown field, an unknown client, a bad timing
//! window, an unknown rule ID, a broker address that does not resolve.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scenario that loads; each case breaks one thing in it.
const GOOD: &str = r#"id: bad-input.base
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

/// A directory holding one scenario file, `GOOD` with `from` replaced by `to`.
fn scenario_dir(case: &str, from: &str, to: &str) -> (PathBuf, PathBuf) {
    assert!(GOOD.contains(from), "the case must change the text: {from}");
    let dir =
        std::env::temp_dir().join(format!("lastwill-bad-input-{}-{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scenario.yaml");
    std::fs::write(&file, GOOD.replacen(from, to, 1)).unwrap();
    (dir, file)
}

fn lastwill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastwill"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .output()
        .unwrap()
}

fn run_scenarios(dir: &Path) -> Output {
    lastwill(&["run", "--scenarios", dir.to_str().unwrap()])
}

/// Exit code 2, no panic, and exactly one error line, which starts with
/// `FILE:LINE:COLUMN: ` and says `says`.
fn assert_one_error_at(out: &Output, file: &Path, line: u32, column: u32, says: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        !all.contains("panicked") && !all.contains("backtrace"),
        "{all}"
    );
    let naming: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(&*file.to_string_lossy()))
        .collect();
    assert_eq!(naming.len(), 1, "one error line: {all}");
    let prefix = format!("{}:{line}:{column}: ", file.display());
    assert!(naming[0].starts_with(&prefix), "want {prefix}…, got: {all}");
    assert!(naming[0].contains(says), "want `{says}`: {all}");
}

#[test]
fn the_base_scenario_loads() {
    let (dir, _) = scenario_dir("base", "qos: 1 }", "qos: 1 }");
    let out = lastwill(&["run", "--list", "--scenarios", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("bad-input.base"), "{text}");
}

#[test]
fn malformed_yaml_exits_2_at_its_position() {
    let (dir, file) = scenario_dir("yaml-mapping", "id: bad-input.base", "id: bad: input");
    let out = run_scenarios(&dir);
    assert_one_error_at(&out, &file, 1, 8, "mapping values are not allowed");

    let (dir, file) = scenario_dir("yaml-bracket", "within: [0, 2s] }", "within: [0, 2s }");
    let out = run_scenarios(&dir);
    assert_one_error_at(&out, &file, 15, 88, "mismatched bracket");
}

#[test]
fn an_unknown_field_exits_2_at_the_field() {
    let (dir, file) = scenario_dir("field", "filter:", "filtre:");
    let out = run_scenarios(&dir);
    assert_one_error_at(
        &out,
        &file,
        12,
        35,
        "unknown field `filtre`, expected one of",
    );

    let (dir, file) = scenario_dir("will-field", "qos: 1 }", "qos: 1, delai: 2 }");
    let out = run_scenarios(&dir);
    assert_one_error_at(&out, &file, 8, 61, "unknown field `delai`");
}

#[test]
fn an_unknown_client_exits_2_at_its_step() {
    let (dir, file) = scenario_dir("client", "client: device, how", "client: devise, how");
    let out = run_scenarios(&dir);
    assert_one_error_at(
        &out,
        &file,
        14,
        5,
        "unknown client `devise`; this scenario's clients are: device, watcher",
    );
}

#[test]
fn a_bad_timing_window_exits_2_at_its_step() {
    let (dir, file) = scenario_dir("window", "within: [0, 2s]", "within: [3s, 2s]");
    let out = run_scenarios(&dir);
    assert_one_error_at(
        &out,
        &file,
        15,
        5,
        "time window [3s, 2s] ends before it starts",
    );

    let (dir, file) = scenario_dir("duration", "within: [0, 2s]", "within: [0, soon]");
    let out = run_scenarios(&dir);
    assert_one_error_at(&out, &file, 15, 5, "`soon` is not a duration");
}

#[test]
fn an_unknown_rule_id_exits_2_at_the_rule() {
    let (dir, file) = scenario_dir(
        "rule",
        r#""5.0": [MQTT-3.1.2-8]"#,
        r#""5.0": [MQTT-3.1.2-8, MQTT-9.9.9-9]"#,
    );
    let out = run_scenarios(&dir);
    assert_one_error_at(
        &out,
        &file,
        5,
        25,
        "rule `MQTT-9.9.9-9` is not a 5.0 statement of the will catalogue",
    );
}

#[test]
fn a_bad_client_definition_exits_2_at_the_client() {
    let (dir, file) = scenario_dir(
        "client-def",
        "payload: offline",
        r#"payload: { hex: "zz" }"#,
    );
    let out = run_scenarios(&dir);
    assert_one_error_at(
        &out,
        &file,
        8,
        5,
        "client `device` will payload: `zz` is not hex",
    );
}

#[test]
fn a_broker_address_that_does_not_resolve_exits_2_naming_it() {
    let (dir, _) = scenario_dir("resolve", "qos: 1 }", "qos: 1 }");
    let out = lastwill(&[
        "run",
        "--scenarios",
        dir.to_str().unwrap(),
        "--broker",
        "tcp://no-such-host.invalid:1883",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("lastwill:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("cannot resolve `tcp://no-such-host.invalid:1883`"),
        "{stderr}"
    );
}
