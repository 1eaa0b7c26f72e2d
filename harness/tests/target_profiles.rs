//! Target profiles (`targets/NAME.yaml`): every checked-in profile loads
//! with its expectations file, and each kind of mistake is reported with
//! its file, line and column. Also the `--shard K/N` partition.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lastwill::expectations::Expectations;
use lastwill::scenario::{load_dir, Version};
use lastwill::target::profile::{self, Isolation};
use lastwill::target::shard::{all_runs, Shard};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_checked_in_profile_loads_with_its_expectations_file() {
    let (profiles, errors) = profile::load_dir(&repo().join("targets"));
    assert!(errors.is_empty(), "{errors:#?}");
    let names: BTreeSet<&str> = profiles.iter().map(|p| p.name()).collect();
    for name in ["reference", "mosquitto", "aedes", "amqtt", "rumqttd"] {
        assert!(names.contains(name), "targets/{name}.yaml is missing");
    }
    for p in &profiles {
        let path = p
            .expectations_path()
            .unwrap_or_else(|| panic!("{} names no expectations file", p.name()));
        let expectations = Expectations::load(&path).unwrap_or_else(|e| panic!("{e}"));
        for entry in &expectations.deviations {
            assert!(
                entry.reason.contains("MQTT-") || entry.reason.contains("catalogue"),
                "{}: the reason for {} names no rule: {}",
                path.display(),
                entry.scenario,
                entry.reason
            );
        }
        assert!(p.profile.version_command.is_some(), "{}", p.name());
        assert!(p.profile.install.is_some(), "{}", p.name());
    }
    let amqtt = profiles.iter().find(|p| p.name() == "amqtt").unwrap();
    assert_eq!(amqtt.profile.isolation, Isolation::Scenario);
    assert_eq!(amqtt.versions(), [Version::V3_1_1]);
}

/// Writes `text` as `DIR/NAME.yaml` and loads it.
fn load(name: &str, text: &str) -> Result<profile::LoadedProfile, profile::ProfileError> {
    // One directory per call: tests run in parallel and reuse names.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("lastwill-profiles-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    profile::load_file(&path)
}

const GOOD: &str = "\
name: demo
command: mosquitto
args: [-c, \"{config}\"]
config:
  file: demo.conf
  template: |
    listener {port} 127.0.0.1
ready: { timeout: 5s }
versions: [\"3.1.1\"]
capabilities: [payload_format_validation]
timeout_scale: 2
expectations: demo.expectations.yaml
version_command: [mosquitto, -h]
install: apt-get install mosquitto
";

#[test]
fn a_good_profile_loads_with_every_field() {
    let p = load("demo", GOOD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.name(), "demo");
    assert_eq!(p.product(), "demo");
    assert_eq!(p.versions(), [Version::V3_1_1]);
    assert_eq!(p.ready_timeout().as_secs(), 5);
    assert!(p
        .expectations_path()
        .unwrap()
        .ends_with("demo.expectations.yaml"));
    assert_eq!(p.profile.isolation, Isolation::Shared);
}

/// (file text, expected line, column, part of the message)
#[test]
fn each_kind_of_mistake_names_file_line_and_column() {
    let cases: &[(&str, u32, u32, &str)] = &[
        // YAML syntax
        ("name: demo\ncommand: [unclosed\n", 2, 0, ""),
        // an unknown field
        ("name: demo\ncommand: x\nport: 1883\n", 3, 1, "port"),
        // a missing field
        ("name: demo\nargs: []\n", 2, 1, "command"),
        // a wrong type
        ("name: demo\ncommand: x\nversions: 5\n", 3, 11, ""),
        // an unknown protocol version
        ("name: demo\ncommand: x\nversions: [\"4.0\"]\n", 3, 0, ""),
        // an unknown capability
        (
            "name: demo\ncommand: x\ncapabilities: [teleportation]\n",
            3,
            0,
            "teleportation",
        ),
        // an unknown placeholder, at the argument that has it
        (
            "name: demo\ncommand: x\nargs:\n  - --port\n  - \"{prot}\"\n",
            5,
            5,
            "{prot}",
        ),
        // {config} without a template
        (
            "name: demo\ncommand: x\nargs: [\"{config}\"]\n",
            3,
            8,
            "no `config` template",
        ),
        // a config file name with a directory
        (
            "name: demo\ncommand: x\nconfig:\n  file: ../x.conf\n  template: y\n",
            4,
            9,
            "plain file name",
        ),
        // a bad duration
        (
            "name: demo\ncommand: x\nready: { timeout: soon }\n",
            3,
            19,
            "ready.timeout",
        ),
        // a bad scale
        (
            "name: demo\ncommand: x\ntimeout_scale: 0\n",
            3,
            16,
            "timeout_scale",
        ),
        // no versions
        (
            "name: demo\ncommand: x\nversions: []\n",
            3,
            11,
            "at least one",
        ),
        // the name must match the file
        ("name: other\ncommand: x\n", 1, 7, "must agree"),
        // a bad isolation
        (
            "name: demo\ncommand: x\nisolation: sometimes\n",
            3,
            0,
            "sometimes",
        ),
    ];
    for (text, line, column, part) in cases {
        let error = load("demo", text).expect_err(text);
        let shown = error.to_string();
        assert!(
            shown.contains("demo.yaml:"),
            "no file in `{shown}` for {text:?}"
        );
        assert_eq!(error.line, *line, "line of `{shown}` for {text:?}");
        if *column != 0 {
            assert_eq!(error.column, *column, "column of `{shown}` for {text:?}");
        }
        assert!(
            shown.contains(part),
            "`{shown}` does not mention `{part}` for {text:?}"
        );
        assert!(
            shown.contains(&format!(":{}:{}:", error.line, error.column)),
            "{shown}"
        );
    }
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let error = profile::find(&repo().join("targets"), "nosuchbroker").expect_err("unknown");
    let shown = error.to_string();
    assert!(
        shown.contains("nosuchbroker") && shown.contains("mosquitto"),
        "{shown}"
    );
}

#[test]
fn shards_cover_every_scenario_run_exactly_once() {
    let (scenarios, errors) = load_dir(&repo().join("scenarios"));
    assert!(errors.is_empty(), "{errors:?}");
    for versions in [vec![], vec![Version::V5]] {
        let all = all_runs(&scenarios, &versions);
        assert!(all.len() > 40);
        for count in 1..=5 {
            let mut seen: Vec<(String, Version)> = Vec::new();
            let mut sizes = Vec::new();
            for index in 1..=count {
                let shard = Shard { index, count };
                let runs = shard.runs(&scenarios, &versions);
                // What `apply` keeps is exactly what `runs` lists.
                let applied = all_runs(&shard.apply(scenarios.clone(), &versions), &versions);
                assert_eq!(applied, runs, "shard {shard}");
                // Deterministic: the same call gives the same runs.
                assert_eq!(runs, shard.runs(&scenarios, &versions));
                sizes.push(runs.len());
                seen.extend(runs);
            }
            seen.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.as_str().cmp(b.1.as_str())));
            assert_eq!(seen, all, "N={count}: every run exactly once");
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "N={count}: balanced, {sizes:?}");
        }
    }
}
