//! The reference broker in process. Each scenario run gets its own broker
//! (no state leaks between scenarios, and faults apply per run), served over
//! in-memory streams so that a paused tokio clock can jump over every wait.

use std::collections::BTreeSet;
use std::io;

use lastwill_broker::{bind_memory, BrokerConfig, MemoryConnector};
use lastwill_report::TargetInfo;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Target;
use crate::client::Transport;
use crate::scenario::Capability;

/// A running reference broker on the current tokio runtime.
#[derive(Debug)]
pub struct EmbeddedTarget {
    config: BrokerConfig,
    connector: MemoryConnector,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl EmbeddedTarget {
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
        }
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
    }
}

impl Target for EmbeddedTarget {
    async fn connect(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(self.connector.connect()?))
    }

    fn info(&self) -> TargetInfo {
        info(&self.config)
    }

    fn virtual_time(&self) -> bool {
        true
    }

    /// The reference broker rejects a will whose payload is not UTF-8 when
    /// its Payload Format Indicator is 1 (CONNACK 0x99, a MAY it takes).
    fn declared_capabilities(&self) -> BTreeSet<Capability> {
        BTreeSet::from([Capability::PayloadFormatValidation])
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
