//! The reference broker in process. Each scenario run gets its own broker
//! (no state leaks between scenarios, and faults apply per run), served over
//! in-memory streams so that a paused tokio clock can jump over every wait.
//!
//! Scenarios with two `nodes` get two reference brokers joined by the
//! reference broker's minimal bridge ([`lastwill_broker::bridge`]), all in
//! the same virtual-time runtime: node A is the bridge's remote side, node
//! B its local side, as with `lastwill broker --bridge`.

use std::collections::BTreeSet;
use std::io;

use lastwill_broker::bridge::{self, BridgeConfig, BridgeStream, Dialing};
use lastwill_broker::{bind_memory, BrokerConfig, MemoryConnector};
use lastwill_report::TargetInfo;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Target;
use crate::client::Transport;
use crate::scenario::{Capability, Scenario};

/// A running reference broker on the current tokio runtime.
#[derive(Debug)]
pub struct EmbeddedTarget {
    config: BrokerConfig,
    connector: MemoryConnector,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
    /// Nodes after the first, each with its stop switch and task.
    others: Vec<Node>,
    bridge: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Node {
    connector: MemoryConnector,
    _stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

fn start_node(config: &BrokerConfig) -> Node {
    let server = bind_memory(config.clone());
    let connector = server.memory_connector();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Node {
        connector,
        _stop: stop,
        task,
    }
}

fn dialer(connector: MemoryConnector) -> impl Fn() -> Dialing + Send + Sync {
    move || {
        let stream = connector.connect();
        Box::pin(async move { stream.map(|s| Box::new(s) as Box<dyn BridgeStream>) })
    }
}

impl EmbeddedTarget {
    /// The configuration a scenario's own broker starts with: see
    /// [`super::fixture::config_for`].
    pub fn config_for(config: &BrokerConfig, scenario: &Scenario) -> BrokerConfig {
        super::fixture::config_for(config, scenario)
    }

    /// Starts a fresh broker. Must be called inside a tokio runtime; run it
    /// with a paused clock (`start_paused(true)`) for virtual time.
    pub fn start(config: BrokerConfig) -> Self {
        let server = bind_memory(config.clone());
        let connector = server.memory_connector();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Self {
            config,
            connector,
            stop: Some(stop),
            task,
            others: Vec::new(),
            bridge: None,
        }
    }

    /// Starts two fresh brokers, A and B, and a bridge forwarding `#` both
    /// ways between them (its faults are the config's). Must be called
    /// inside a tokio runtime, like [`start`](Self::start).
    pub fn start_bridged(config: BrokerConfig) -> Self {
        let mut target = Self::start(config.clone());
        let b = start_node(&config);
        let bridge_config = BridgeConfig {
            faults: config.faults,
            ..BridgeConfig::default()
        };
        target.bridge = Some(tokio::spawn(bridge::run(
            bridge_config,
            dialer(target.connector.clone()),
            dialer(b.connector.clone()),
        )));
        target.others.push(b);
        target
    }

    /// Stops the broker the way `lastwill broker` does on Ctrl-C (wills due
    /// at shutdown are published, 5.0 clients get DISCONNECT 0x8B).
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(error) => Err(io::Error::other(error)),
        }
    }
}

impl Drop for EmbeddedTarget {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(bridge) = &self.bridge {
            bridge.abort();
        }
        for node in &self.others {
            node.task.abort();
        }
    }
}

impl Target for EmbeddedTarget {
    async fn connect(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(self.connector.connect()?))
    }

    async fn connect_node(&self, node: usize) -> io::Result<Box<dyn Transport>> {
        let connector = match node {
            0 => &self.connector,
            n => match self.others.get(n - 1) {
                Some(other) => &other.connector,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("the embedded target has no node {}", n + 1),
                    ))
                }
            },
        };
        Ok(Box::new(connector.connect()?))
    }

    fn nodes(&self) -> usize {
        1 + self.others.len()
    }

    fn info(&self) -> TargetInfo {
        info(&self.config)
    }

    fn virtual_time(&self) -> bool {
        true
    }

    /// The reference broker rejects a will whose payload is not UTF-8 when
    /// its Payload Format Indicator is 1 (CONNACK 0x99, a MAY it takes).
    /// Each scenario run gets its own broker, started with the auth fixture
    /// and the will model the scenario requires ([`Self::config_for`]), so
    /// both will-authorization models are declared (catalogue E7).
    fn declared_capabilities(&self) -> BTreeSet<Capability> {
        BTreeSet::from([
            Capability::PayloadFormatValidation,
            Capability::AuthFixture,
            Capability::WillAclAtConnect,
            Capability::WillAclAtPublish,
        ])
    }
}

pub(super) fn info(config: &BrokerConfig) -> TargetInfo {
    TargetInfo {
        name: "embedded".into(),
        address: "embedded".into(),
        broker: Some(format!(
            "lastwill reference broker {}",
            env!("CARGO_PKG_VERSION")
        )),
        virtual_time: true,
        faults: config.faults.iter().map(|f| f.name().to_owned()).collect(),
    }
}
