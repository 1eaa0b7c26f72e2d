//! The soak in miniature, over real TCP against the reference broker in
//! this process: a healthy broker passes with every required will exactly
//! once and none forbidden, and a broker with will faults switched on is
//! caught by the ledger. A few seconds of load each; deadlines keep the
//! soak's generous grace, since the test machine may be loaded.

use std::net::SocketAddr;
use std::time::Duration;

use lastwill::bench::soak::{self, Ending, SoakResult, SoakSpec};
use lastwill_broker::{bind, BrokerConfig, Fault, FaultSet, ServerConfig};

/// The reference broker on its own runtime thread, for the life of the test process.
fn reference_broker(faults: FaultSet) -> SocketAddr {
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
                broker: BrokerConfig {
                    faults,
                    ..BrokerConfig::default()
                },
            })
            .await
            .expect("bind");
            tx.send(server.local_addrs()[0]).expect("address");
            server.run(std::future::pending()).await
        })
    });
    rx.recv().expect("broker address")
}

fn soak(broker: SocketAddr, seed: u64) -> SoakResult {
    let spec = SoakSpec {
        broker,
        clients: 24,
        duration: Duration::from_secs(6),
        seed,
        grace: Duration::from_secs(5),
        process: None,
        sample_every: Duration::from_secs(1),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(soak::run(&spec, |_| {}))
        .expect("the soak runs to its verdict")
}

#[test]
fn a_healthy_broker_publishes_every_required_will_exactly_once() {
    let result = soak(reference_broker(FaultSet::EMPTY), 1);
    let summary = format!("{result:#?}");
    assert!(!result.failed(), "{summary}");
    assert_eq!(result.wills.missing, 0, "{summary}");
    assert_eq!(result.wills.duplicated, 0, "{summary}");
    assert_eq!(result.wills.unexpected, 0, "{summary}");
    assert!(result.wills.expected > 20, "too little load: {summary}");
    assert!(result.wills.forbidden > 5, "too little load: {summary}");
    // Every ending was exercised.
    for ending in Ending::ALL {
        assert!(
            result.by_ending.contains_key(&ending),
            "{} never drawn: {summary}",
            ending.name()
        );
    }
}

#[test]
fn a_broker_that_loses_doubles_and_leaks_wills_is_caught() {
    let faults = [
        Fault::SkipWillOnKeepAlive,
        Fault::PublishWillTwice,
        Fault::PublishWillAfterNormalDisconnect,
        Fault::KeepWillOnReconnect,
    ]
    .into_iter()
    .collect();
    let result = soak(reference_broker(faults), 2);
    let summary = format!("{result:#?}");
    assert!(result.failed(), "{summary}");
    let by = |ending: Ending| result.by_ending.get(&ending).copied().unwrap_or_default();
    assert!(by(Ending::KeepAliveExpiry).missing > 0, "{summary}");
    assert!(by(Ending::Reset).duplicated > 0, "{summary}");
    assert!(by(Ending::NormalDisconnect).unexpected > 0, "{summary}");
    assert!(by(Ending::ResumeWithinDelay).unexpected > 0, "{summary}");
}
