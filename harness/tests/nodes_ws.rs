//! Several nodes and the WebSocket transport: the bridged scenarios in
//! virtual time and under the bridge faults, scenarios over `ws://`
//! against the reference broker's WebSocket listener, two reference
//! brokers bridged over real TCP, and the multi-node profile format.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lastwill::runner::{run_scenarios, RunOptions};
use lastwill::scenario::{load, load_dir, LoadedScenario};
use lastwill::target::{profile, TargetSpec, TcpTarget};
use lastwill_broker::bridge::{self, BridgeConfig, BridgeStream, Dialing};
use lastwill_broker::server::ws::WsListener;
use lastwill_broker::{bind, BrokerConfig, Fault, FaultSet, ServerConfig};
use lastwill_report::{ScenarioResult, Verdict};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenarios(filter: &str) -> Vec<LoadedScenario> {
    let (loaded, errors) = load_dir(&repo().join("scenarios"));
    assert!(errors.is_empty(), "{errors:#?}");
    loaded
        .into_iter()
        .filter(|s| s.scenario.id.contains(filter))
        .collect()
}

fn verdicts(results: &[ScenarioResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| {
            format!(
                "{} [{}] {}: {}",
                r.id,
                r.version,
                r.verdict.as_str(),
                r.reason
            )
        })
        .collect()
}

fn embedded(faults: FaultSet) -> Vec<ScenarioResult> {
    let target = TargetSpec::Embedded(BrokerConfig {
        faults,
        ..BrokerConfig::default()
    });
    run_scenarios(
        &scenarios("bridge."),
        &[],
        &target,
        &RunOptions::default(),
        |_| {},
    )
}

#[test]
fn bridged_scenarios_pass_on_two_embedded_brokers_and_fail_under_bridge_faults() {
    let results = embedded(FaultSet::EMPTY);
    assert_eq!(results.len(), 6, "{:#?}", verdicts(&results));
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Pass),
        "{:#?}",
        verdicts(&results)
    );
    for (fault, killed) in [
        (Fault::BridgeDropsRetain, "bridge.retained-will-crosses"),
        (Fault::BridgeWithoutWill, "bridge.link-drop"),
    ] {
        let results = embedded(FaultSet::from(fault));
        let failed: Vec<&str> = results
            .iter()
            .filter(|r| r.verdict == Verdict::Fail)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            failed,
            [killed, killed],
            "{fault}: {:#?}",
            verdicts(&results)
        );
    }
}

#[test]
fn a_single_node_target_skips_two_node_scenarios() {
    let addr = broker_thread(None, false).0;
    let target = TargetSpec::Tcp(TcpTarget::from_addr(addr));
    let results = run_scenarios(
        &scenarios("bridge.will-crosses"),
        &[],
        &target,
        &RunOptions::default(),
        |_| {},
    );
    assert!(results.iter().all(|r| r.verdict == Verdict::Skip));
    assert!(results[0].reason.starts_with("requires second_node"));
}

/// A reference broker on its own runtime thread: its TCP address and, if
/// asked, a `ws://` URL; bridged to `bridge_to` if given.
fn broker_thread(bridge_to: Option<SocketAddr>, ws: bool) -> (SocketAddr, Option<String>) {
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
            let url = if ws {
                let listener = WsListener::bind("127.0.0.1:0".parse().expect("addr"), "/mqtt")
                    .await
                    .expect("bind ws");
                let url = listener.url();
                tokio::spawn(listener.serve(server.memory_connector()));
                Some(url)
            } else {
                None
            };
            if let Some(remote) = bridge_to {
                let local = server.memory_connector();
                let dial_remote = move || -> Dialing {
                    Box::pin(async move {
                        let stream = tokio::net::TcpStream::connect(remote).await?;
                        Ok(Box::new(stream) as Box<dyn BridgeStream>)
                    })
                };
                let dial_local = move || -> Dialing {
                    let stream = local.connect();
                    Box::pin(async move { stream.map(|s| Box::new(s) as Box<dyn BridgeStream>) })
                };
                tokio::spawn(bridge::run(
                    BridgeConfig::default(),
                    dial_remote,
                    dial_local,
                ));
            }
            tx.send((server.local_addrs()[0], url)).expect("address");
            server.run(std::future::pending()).await
        })
    });
    rx.recv().expect("broker address")
}

#[test]
fn scenarios_run_over_websocket_against_the_reference_broker() {
    let (_, url) = broker_thread(None, true);
    let url = url.expect("ws url");
    let target = TargetSpec::Tcp(TcpTarget::resolve(&url).expect("ws address"));
    let mut selected = scenarios("trigger.fin");
    selected.extend(scenarios("trigger.rst"));
    selected.extend(scenarios("retained.late-subscriber"));
    selected.extend(scenarios("takeover.delay-0-expiry-0-clean-start-1"));
    assert!(selected.len() >= 3, "{}", selected.len());
    let options = RunOptions {
        step_timeout: Duration::from_secs(5),
        ..RunOptions::default()
    };
    let results = run_scenarios(&selected, &[], &target, &options, |_| {});
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Pass),
        "{:#?}",
        verdicts(&results)
    );
}

#[test]
fn two_reference_brokers_bridged_over_tcp_pass_the_bridged_scenarios() {
    let (a, _) = broker_thread(None, false);
    let (b, _) = broker_thread(Some(a), false);
    let target = TargetSpec::Tcp(TcpTarget::resolve(&format!("tcp://{a},tcp://{b}")).expect("two"));
    // One at a time: link-drop takes the bridge down for whatever runs beside it.
    let options = RunOptions {
        jobs: Some(1),
        ..RunOptions::default()
    };
    for selected in [
        "bridge.will-crosses",
        "bridge.retained-will-crosses",
        "bridge.link-drop",
    ] {
        let results = run_scenarios(&scenarios(selected), &[], &target, &options, |_| {});
        assert!(
            results.iter().all(|r| r.verdict == Verdict::Pass),
            "{:#?}",
            verdicts(&results)
        );
    }
}

#[test]
fn multi_node_profiles_load_and_name_their_ports() {
    for name in ["reference-bridged", "mosquitto-bridged"] {
        let loaded = profile::find(&repo().join("targets"), name).unwrap_or_else(|e| panic!("{e}"));
        let nodes: Vec<&str> = loaded
            .profile
            .nodes
            .iter()
            .map(|n| n.name.value.as_str())
            .collect();
        assert_eq!(nodes, ["a", "b"], "{name}");
    }
    let bad = "name: x\ncommand: x\nargs: [\"{port_c}\"]\nnodes:\n  - name: a\n  - name: b\n";
    let error = profile::parse(bad).expect_err("unknown node port");
    assert!(error.2.contains("port_c"), "{error:?}");
    let good = "name: x\ncommand: x\nnodes:\n  - name: a\n  - name: b\n    args: [\"{port_a}\", \"{port}\"]\n";
    assert!(profile::parse(good).is_ok());
}

#[test]
fn a_client_on_an_undeclared_node_is_a_load_error() {
    let yaml = r#"
id: test.nodes
title: t
rules: { "5.0": [MQTT-3.1.2-8] }
requires: [second_node]
nodes: [a, b]
clients:
  c: { node: z }
steps:
  - connect: c
"#;
    let error = load::parse(yaml).expect_err("node z");
    assert!(error.2.contains("node `z`"), "{error:?}");
    let missing = yaml
        .replace("requires: [second_node]\n", "")
        .replace("node: z", "node: b");
    let error = load::parse(&missing).expect_err("no second_node");
    assert!(error.2.contains("second_node"), "{error:?}");
}
