//! The runner over real TCP, in real time: against the reference broker on
//! 127.0.0.1:0, and against small misbehaving servers written here (one
//! answers CONNECT with garbage, one never answers). Tolerances are honest:
//! windows are wide where the machine may be slow, and nothing here waits
//! longer than a step timeout of one second.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use lastwill::runner::{run_scenarios, RunOptions};
use lastwill::scenario::{load, LoadedScenario};
use lastwill::target::{TargetSpec, TcpTarget};
use lastwill_broker::{bind, BrokerConfig, ServerConfig};
use lastwill_report::{ScenarioResult, Verdict};

fn scenario(yaml: &str) -> LoadedScenario {
    LoadedScenario {
        scenario: load::parse(yaml).unwrap_or_else(|e| panic!("test scenario: {e:?}")),
        path: "test.yaml".into(),
        relative: "test.yaml".into(),
    }
}

const FIN: &str = r#"
id: test.tcp.fin
title: a FIN publishes the will
rules:
  "3.1.1": [MQTT-3.1.2-8]
  "5.0": [MQTT-3.1.2-8]
requires: [qos1]
clients:
  device: { will: { topic: "{ns}/status", payload: offline, qos: 1 } }
  watcher: {}
steps:
  - connect: watcher
  - subscribe: { client: watcher, filter: "{ns}/status", qos: 1 }
  - connect: device
  - close: { client: device, how: fin }
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: offline, qos: 1, within: [0, 5] }
  - connect: device
  - close: { client: device, how: rst }
  - expect_publish: { client: watcher, topic: "{ns}/status", payload: offline, qos: 1, within: [0, 5] }
"#;

fn run(addr: SocketAddr, loaded: &LoadedScenario) -> Vec<ScenarioResult> {
    let options = RunOptions {
        step_timeout: Duration::from_secs(1),
        ..RunOptions::default()
    };
    let target = TargetSpec::Tcp(TcpTarget::from_addr(addr));
    run_scenarios(std::slice::from_ref(loaded), &[], &target, &options, |_| {})
}

/// The reference broker on its own runtime thread, for the life of the test process.
fn reference_broker() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let server = bind(ServerConfig {
                listen: vec!["127.0.0.1:0".parse().expect("address")],
                broker: BrokerConfig::default(),
            })
            .await
            .expect("bind");
            tx.send(server.local_addrs()[0]).expect("address");
            server.run(std::future::pending()).await
        })
    });
    rx.recv().expect("broker address")
}

/// A server that reads whatever comes and answers each read with `reply`
/// (nothing at all when it is empty), never closing first.
fn fake_broker(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || (!reply.is_empty() && stream.write_all(reply).is_err()) {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn fin_and_rst_publish_the_will_over_tcp() {
    let addr = reference_broker();
    let wall = Instant::now();
    let results = run(addr, &scenario(FIN));
    assert_eq!(results.len(), 2);
    for result in &results {
        assert_eq!(result.verdict, Verdict::Pass, "{result:#?}");
        assert!(result.timeline.iter().any(|e| e.summary == "RST sent"));
        assert!(result.timeline.iter().any(|e| e.summary == "FIN sent"));
    }
    // Both versions ran at once, each in well under its windows.
    assert!(
        wall.elapsed() < Duration::from_secs(10),
        "{:?}",
        wall.elapsed()
    );
}

#[test]
fn garbage_in_answer_to_connect_fails_naming_the_codec_rule() {
    // A CONNACK with fixed-header flags 0001: reserved bits must be 0.
    const GARBAGE: &[u8] = &[0x21, 0x02, 0x00, 0x00];
    let expected_rule = lastwill_codec::decode_packet(
        GARBAGE,
        lastwill_codec::ProtocolVersion::V5,
        &lastwill_codec::Limits::UNLIMITED,
    )
    .expect_err("malformed")
    .rule();
    let results = run(
        fake_broker(GARBAGE),
        &scenario(&FIN.replace("requires: [qos1]\n", "")),
    );
    for result in &results {
        assert_eq!(result.verdict, Verdict::Fail, "{result:#?}");
        assert_eq!(result.failed_step, Some(1));
        let observed = result.observed.as_deref().unwrap_or_default();
        assert!(observed.contains("malformed packet"), "{observed}");
        assert!(observed.contains("21020000"), "{observed}");
    }
    let five = results.iter().find(|r| r.version == "5.0").expect("5.0");
    assert_eq!(five.failed_rule.as_deref(), Some(expected_rule));
}

#[test]
fn a_broker_that_never_answers_ends_in_error_without_hanging() {
    let wall = Instant::now();
    let results = run(
        fake_broker(b""),
        &scenario(&FIN.replace("requires: [qos1]\n", "")),
    );
    for result in &results {
        assert_eq!(result.verdict, Verdict::Error, "{result:#?}");
        assert_eq!(result.failed_step, Some(1));
        assert!(
            result.reason.contains("no answer to CONNECT within 1 s"),
            "{}",
            result.reason
        );
    }
    // The capability probe hits the same timeout when a scenario needs one.
    let probed = run(fake_broker(b""), &scenario(FIN));
    assert!(
        probed.iter().all(|r| r.verdict == Verdict::Error),
        "{probed:#?}"
    );
    assert!(
        probed[0].reason.contains("no CONNACK within 1 s"),
        "{}",
        probed[0].reason
    );
    assert!(
        wall.elapsed() < Duration::from_secs(8),
        "{:?}",
        wall.elapsed()
    );
}

#[test]
fn a_refused_connection_is_an_error() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let results = run(addr, &scenario(&FIN.replace("requires: [qos1]\n", "")));
    for result in &results {
        assert_eq!(result.verdict, Verdict::Error, "{result:#?}");
        assert!(
            result.reason.contains("cannot connect to tcp://127.0.0.1:"),
            "{}",
            result.reason
        );
    }
}

#[test]
fn an_interrupt_drops_runs_in_progress() {
    let addr = reference_broker();
    let loaded = scenario(&FIN.replace(
        "  - connect: device\n  - close: { client: device, how: fin }",
        "  - wait: 30\n  - connect: device\n  - close: { client: device, how: fin }",
    ));
    let options = RunOptions::default();
    let interrupt = options.interrupt.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        interrupt.interrupt();
    });
    let wall = Instant::now();
    let target = TargetSpec::Tcp(TcpTarget::from_addr(addr));
    let results = run_scenarios(&[loaded], &[], &target, &options, |_| {});
    stopper.join().expect("stopper");
    assert!(results.is_empty(), "{results:#?}");
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "{:?}",
        wall.elapsed()
    );
}
