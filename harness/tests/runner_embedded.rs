//! The runner against the embedded reference broker, in virtual time: each
//! scenario below would take seconds to minutes in real time and takes
//! milliseconds here. Faults prove the scenarios can fail, and how.

use std::time::{Duration, Instant};

use lastwill::runner::{run_scenario, run_scenarios, RunOptions};
use lastwill::scenario::{load, LoadedScenario, Version};
use lastwill::target::{EmbeddedTarget, TargetSpec};
use lastwill_broker::{BrokerConfig, Fault};
use lastwill_report::{Direction, ScenarioResult, Verdict};

fn scenario(yaml: &str) -> LoadedScenario {
    let scenario = load::parse(yaml).unwrap_or_else(|e| panic!("test scenario: {e:?}"));
    LoadedScenario {
        scenario,
        path: "test.yaml".into(),
        relative: "test.yaml".into(),
    }
}

fn with_fault(fault: Fault) -> BrokerConfig {
    BrokerConfig {
        faults: fault.into(),
        ..BrokerConfig::default()
    }
}

/// Runs under both versions (or those the scenario lists) on the embedded
/// broker, as `lastwill run` does.
fn run(loaded: &LoadedScenario, config: BrokerConfig) -> Vec<ScenarioResult> {
    let options = RunOptions {
        jobs: Some(2),
        ..RunOptions::default()
    };
    run_scenarios(
        std::slice::from_ref(loaded),
        &[],
        &TargetSpec::Embedded(config),
        &options,
        |_| {},
    )
}

const KEEP_ALIVE: &str = r#"
id: test.keep-alive
title: the will is published when keep-alive expires
rules:
  "3.1.1": [MQTT-3.1.2-8, MQTT-3.1.2-24]
  "5.0": [MQTT-3.1.2-8, MQTT-3.1.2-22]
clients:
  device:
    keep_alive: 2
    will: { topic: "{ns}/status", payload: offline, qos: 1 }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - go_silent: device
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: offline, qos: 1, within: [2.9, 4.5] }
"#;

#[test]
fn keep_alive_will_arrives_within_its_window() {
    let results = run(&scenario(KEEP_ALIVE), BrokerConfig::default());
    assert_eq!(results.len(), 2);
    for result in &results {
        assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
        assert!(result.reason.is_empty());
        // 1.5 × 2 s after CONNECT, on the virtual clock.
        assert!(
            (3000..3100).contains(&result.scenario_time_ms),
            "{result:#?}"
        );
        let will = result
            .timeline
            .iter()
            .find(|e| e.client == "watcher" && e.summary.starts_with("PUBLISH"))
            .expect("will in the timeline");
        assert_eq!(will.direction, Direction::Received);
        assert!(
            will.summary.contains("payload=\"offline\""),
            "{}",
            will.summary
        );
        assert!(will.hex.starts_with("32"), "QoS 1 PUBLISH: {}", will.hex);
        assert!(result
            .timeline
            .iter()
            .any(|e| e.client == "watcher" && e.summary.starts_with("PUBACK")));
    }
    assert_eq!(
        results
            .iter()
            .map(|r| r.version.as_str())
            .collect::<Vec<_>>(),
        ["3.1.1", "5.0"]
    );
}

#[test]
fn keep_alive_fault_fails_the_expect_step_with_the_scenario_rules() {
    let results = run(
        &scenario(KEEP_ALIVE),
        with_fault(Fault::SkipWillOnKeepAlive),
    );
    for result in &results {
        assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
        assert_eq!(result.failed_step, Some(5));
        let rule = if result.version == "5.0" {
            "MQTT-3.1.2-8, MQTT-3.1.2-22"
        } else {
            "MQTT-3.1.2-8, MQTT-3.1.2-24"
        };
        assert_eq!(result.failed_rule.as_deref(), Some(rule));
        let expected = result.expected.as_deref().unwrap_or_default();
        assert!(
            expected.starts_with("PUBLISH on lw-")
                && expected.ends_with("/status with payload \"offline\" at QoS 1 within 2.9–4.5 s"),
            "{expected}"
        );
        assert_eq!(result.observed.as_deref(), Some("nothing within 4.5 s"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_two_minute_will_delay_costs_no_wall_time() {
    let loaded = scenario(
        r#"
id: test.delay
title: a delayed will waits for its delay
rules: { "5.0": [MQTT-3.1.3-9] }
clients:
  device:
    session_expiry: 300
    will: { topic: "{ns}/status", payload: gone, qos: 1, delay: 120 }
  watcher: { keep_alive: 0 }
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - close: { client: device, how: rst }
  - expect_no_publish: { client: watcher, for: 119.9 }
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: gone, within: [0, 0.2] }
"#,
    );
    let wall = Instant::now();
    let target = EmbeddedTarget::start(BrokerConfig::default());
    let result = run_scenario(&loaded, Version::V5, &target, &RunOptions::default()).await;
    assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
    assert!(result.scenario_time_ms >= 120_000, "{result:#?}");
    assert!(
        wall.elapsed() < Duration::from_secs(1),
        "{:?}",
        wall.elapsed()
    );
    assert!(result.timeline.iter().any(|e| e.summary == "RST sent"));

    // Under `ignore-will-delay` the will comes at once: the quiet step fails.
    let target = EmbeddedTarget::start(with_fault(Fault::IgnoreWillDelay));
    let result = run_scenario(&loaded, Version::V5, &target, &RunOptions::default()).await;
    assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
    assert_eq!(result.failed_step, Some(5));
    assert_eq!(result.failed_rule.as_deref(), Some("MQTT-3.1.3-9"));
    let observed = result.observed.unwrap_or_default();
    assert!(observed.starts_with("PUBLISH topic=lw-"), "{observed}");
    assert!(observed.ends_with("after 0 s"), "{observed}");
}

#[test]
fn an_early_will_fails_even_when_the_step_would_take_it() {
    let loaded = scenario(
        r#"
id: test.too-early
title: a will before its delay is a failure
rules: { "5.0": [MQTT-3.1.3-9] }
clients:
  device:
    session_expiry: 300
    will: { topic: "{ns}/status", payload: gone, delay: 30 }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status" }
  - connect: device
  - close: { client: device }
  - expect_publish: { client: watcher, topic: "{ns}/status", within: [29.9, 31] }
"#,
    );
    let [pass] = &run(&loaded, BrokerConfig::default())[..] else {
        panic!("one version");
    };
    assert_eq!(pass.verdict, Verdict::Pass, "{pass:#?}");
    let [early] = &run(&loaded, with_fault(Fault::IgnoreWillDelay))[..] else {
        panic!("one version");
    };
    assert_eq!(early.verdict, Verdict::Fail);
    let observed = early.observed.as_deref().unwrap_or_default();
    assert!(
        observed.ends_with("after 0 s, before the window opened"),
        "{observed}"
    );
}

#[test]
fn one_of_records_the_choice_each_version_made() {
    let loaded = scenario(
        r#"
id: test.one-of
title: Will QoS without the Will Flag is refused
rules:
  "3.1.1": [MQTT-3.1.2-11]
  "5.0": [MQTT-3.1.2-11]
clients:
  device: {}
steps:
  - connect:
      client: device
      connect_flags: 0x0a
      expect: { one_of: [ { connack: error }, closed ] }
  - expect_close: { client: device }
"#,
    );
    let results = run(&loaded, BrokerConfig::default());
    let choices: Vec<(&str, &[String])> = results
        .iter()
        .map(|r| (r.version.as_str(), r.choices.as_slice()))
        .collect();
    assert_eq!(
        choices,
        [
            ("3.1.1", &["step 1: connection closed".to_owned()][..]),
            ("5.0", &["step 1: CONNACK 0x82".to_owned()][..]),
        ],
        "{results:#?}"
    );
    assert!(results.iter().all(|r| r.verdict == Verdict::Pass));

    let accepted = run(&loaded, with_fault(Fault::AcceptMalformedWillFlags));
    for result in &accepted {
        assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
        assert_eq!(result.failed_step, Some(1));
        assert_eq!(
            result.observed.as_deref(),
            Some("CONNACK 0x00 with Session Present 0")
        );
    }
}

const FIN: &str = r#"
id: test.fin
title: a FIN publishes the will exactly once
rules:
  "3.1.1": [MQTT-3.1.2-10]
  "5.0": [MQTT-3.1.2-10]
clients:
  device: { will: { topic: "{ns}/status", payload: offline, qos: 1 } }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - close: { client: device, how: fin }
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: offline, qos: 1, within: [0, 2] }
"#;

#[test]
fn a_will_published_twice_is_an_unexpected_publish() {
    let loaded = scenario(FIN);
    for result in run(&loaded, BrokerConfig::default()) {
        assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
    }
    for result in run(&loaded, with_fault(Fault::PublishWillTwice)) {
        assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
        assert_eq!(result.failed_step, None);
        assert_eq!(result.failed_rule.as_deref(), Some("MQTT-3.1.2-10"));
        let observed = result.observed.as_deref().unwrap_or_default();
        assert!(
            observed.starts_with("unexpected PUBLISH topic=lw-") && observed.contains("on watcher"),
            "{observed}"
        );
        // The settle barrier ran on the watcher.
        assert!(result
            .timeline
            .iter()
            .any(|e| e.client == "watcher" && e.summary == "PINGRESP"));
    }
}

#[test]
fn a_wrong_qos_is_named_in_the_observation() {
    let loaded = scenario(
        r#"
id: test.qos
title: the will is delivered at the subscription's QoS
rules:
  "3.1.1": [MQTT-3.8.4-6]
  "5.0": [MQTT-3.8.4-8]
clients:
  device: { will: { topic: "{ns}/status", payload: offline, qos: 2 } }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - close: { client: device, how: rst }
  - expect_publish: { client: watcher, topic: "{ns}/status", qos: 1, within: [0, 1] }
"#,
    );
    for result in run(&loaded, BrokerConfig::default()) {
        assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
    }
    for result in run(&loaded, with_fault(Fault::WillAtWillQos)) {
        assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
        let observed = result.observed.as_deref().unwrap_or_default();
        assert!(
            observed.starts_with("no matching PUBLISH within 1 s; received PUBLISH topic=")
                && observed.ends_with("after 0 s: QoS 2 (expected 1)"),
            "{observed}"
        );
        // QoS 2 inbound: the client answered PUBREC and, on PUBREL, PUBCOMP.
        let sent: Vec<&str> = result
            .timeline
            .iter()
            .filter(|e| e.client == "watcher" && e.direction == Direction::Sent)
            .map(|e| e.summary.split(' ').next().unwrap_or_default())
            .collect();
        assert!(
            sent.contains(&"PUBREC") && sent.contains(&"PUBCOMP"),
            "{sent:?}"
        );
    }
}

#[test]
fn capabilities_skip_and_versions_filter_and_order_is_stable() {
    let needs = |capability: &str| {
        scenario(&FIN.replacen(
            "clients:",
            &format!("requires: [{capability}]\nclients:"),
            1,
        ))
    };
    let no_qos2 = TargetSpec::Embedded(BrokerConfig {
        max_qos: lastwill_codec::QoS::AtLeastOnce,
        ..BrokerConfig::default()
    });
    let options = RunOptions::default();
    let scenarios = [
        needs("qos2"),
        needs("second_node"),
        needs("payload_format_validation"),
    ];
    let mut seen = 0;
    let results = run_scenarios(&scenarios, &[Version::V5], &no_qos2, &options, |_| {
        seen += 1
    });
    assert_eq!(seen, 3);
    let verdicts: Vec<Verdict> = results.iter().map(|r| r.verdict).collect();
    assert_eq!(verdicts, [Verdict::Skip, Verdict::Skip, Verdict::Pass]);
    assert_eq!(
        results[0].reason,
        "requires qos2: the broker's CONNACK says Maximum QoS 1"
    );
    assert!(results[1].reason.starts_with("requires second_node"));
    assert!(results.iter().all(|r| r.version == "5.0"));
}

#[test]
fn an_interrupted_run_returns_what_finished() {
    let options = RunOptions::default();
    options.interrupt.interrupt();
    let results = run_scenarios(
        &[scenario(FIN)],
        &[],
        &TargetSpec::Embedded(BrokerConfig::default()),
        &options,
        |_| {},
    );
    assert!(results.is_empty());
}

#[test]
fn virtual_time_is_precise_enough_to_catch_a_truncated_keep_alive() {
    // 1.5 × 3 s = 4.5 s; the fault closes after floor(4.5) = 4 s.
    let loaded = scenario(
        r#"
id: test.keep-alive-odd
title: keep-alive expiry at exactly 1.5 × an odd Keep Alive
rules:
  "3.1.1": [MQTT-3.1.2-24]
  "5.0": [MQTT-3.1.2-22]
clients:
  device: { keep_alive: 3 }
steps:
  - connect: device
  - go_silent: device
  - expect_close: { client: device, within: [4.5, 4.6] }
"#,
    );
    for result in run(&loaded, BrokerConfig::default()) {
        assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
    }
    for result in run(&loaded, with_fault(Fault::KeepAliveTruncated)) {
        assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
        let observed = result.observed.as_deref().unwrap_or_default();
        assert!(
            observed.ends_with("after 4 s, before the window opened"),
            "{observed}"
        );
    }
}

const PROMPT: &str = r#"
id: test.prompt
title: a will that is late but within the window gives warn
rules:
  "5.0": [MQTT-3.1.3-9, B6]
clients:
  device:
    session_expiry: 2
    will: { topic: "{ns}/status", payload: offline, qos: 1, delay: 10 }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - close: { client: device }
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: offline, within: [0, 12s], warn_after: 3s }
"#;

/// The session ends after 2 s, so the will is due then (MQTT-3.1.3-9); a
/// broker that waits the full 10 s delay is inside the window but not
/// prompt: `warn`, citing B6, with the arrival time as evidence.
#[test]
fn a_late_will_inside_the_window_is_a_warning() {
    let loaded = scenario(PROMPT);
    let good = run(&loaded, BrokerConfig::default());
    assert_eq!(good[0].verdict, Verdict::Pass, "{}", good[0].reason);
    let late = run(&loaded, with_fault(Fault::IgnoreSessionExpiryForWill));
    assert_eq!(late[0].verdict, Verdict::Warn, "{}", late[0].reason);
    assert_eq!(late[0].failed_rule.as_deref(), Some("B6"));
    assert_eq!(late[0].failed_step, Some(5));
    assert!(late[0].reason.contains("after 10"), "{}", late[0].reason);
}
