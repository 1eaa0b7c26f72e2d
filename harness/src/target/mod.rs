//! What scenarios run against. A [`Target`] opens connections and says
//! what it is; the runner does the rest.
//!
//! - [`EmbeddedTarget`]: the reference broker in this process over
//!   in-memory streams, one fresh broker per scenario run, in virtual time.
//! - [`TcpTarget`]: a broker at `tcp://HOST:PORT`, in real time.
//! - [`profile`]: a broker the harness starts from a checked-in target
//!   profile (`targets/NAME.yaml`), then tests over TCP ([`launched`]).
//! - `container` (cargo feature `containers`, on by default): a container
//!   profile's image, or `--container IMAGE[:TAG]`, run through
//!   testcontainers, then tested over TCP.
//! - [`shard`]: one deterministic part of a run (`--shard K/N`).

#[cfg(feature = "containers")]
pub mod container;
mod embedded;
pub mod fixture;
pub mod launched;
pub mod profile;
pub mod shard;
mod suite;
mod tcp;
mod version;

use std::collections::BTreeSet;
use std::future::Future;
use std::io;

use lastwill_broker::BrokerConfig;
use lastwill_report::TargetInfo;

pub use self::embedded::EmbeddedTarget;
pub use self::tcp::TcpTarget;
use crate::client::Transport;
use crate::scenario::Capability;

/// A broker the harness can open connections to.
pub trait Target: Send + Sync + std::fmt::Debug {
    /// A new network connection, not yet speaking MQTT.
    fn connect(&self) -> impl Future<Output = io::Result<Box<dyn Transport>>> + Send;

    /// A new network connection to node `node` (0-based, in the order of a
    /// scenario's `nodes`). Single-node targets have node 0 only.
    fn connect_node(
        &self,
        node: usize,
    ) -> impl Future<Output = io::Result<Box<dyn Transport>>> + Send {
        async move {
            if node == 0 {
                self.connect().await
            } else {
                Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("the target has no node {}", node + 1),
                ))
            }
        }
    }

    /// How many nodes (endpoints) the target offers; two or more give it
    /// the `second_node` capability.
    fn nodes(&self) -> usize {
        1
    }

    /// What the report says about the target.
    fn info(&self) -> TargetInfo;

    /// True when the runtime's clock is paused and jumps to the next timer:
    /// time windows then cost nothing and are exact.
    fn virtual_time(&self) -> bool;

    /// Capabilities the target is known to have that no CONNACK reveals
    /// (`payload_format_validation`, `will_acl_*`, `second_node`).
    fn declared_capabilities(&self) -> BTreeSet<Capability> {
        BTreeSet::new()
    }
}

/// Why a target cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("`{address}` is not a broker address: {reason} (expected tcp://HOST:PORT, ws://HOST:PORT/PATH or mqtts://HOST:PORT, comma-separated for several nodes)")]
    InvalidAddress { address: String, reason: String },
    /// The resolver's reason is in the message and deliberately not a
    /// `#[source]`, so a `{:#}` chain does not print it twice.
    #[error("cannot resolve `{address}`: {reason}")]
    Resolve { address: String, reason: io::Error },
    #[error("`{address}` resolves to no address")]
    NoAddress { address: String },
}

/// Which target a run uses; [`crate::runner::run_scenarios`] starts the
/// per-scenario instances from it.
#[derive(Clone, Debug)]
pub enum TargetSpec {
    /// The reference broker in process, started fresh for every scenario
    /// run with this configuration (faults included).
    Embedded(BrokerConfig),
    Tcp(TcpTarget),
}

impl TargetSpec {
    /// `embedded` or `tcp://HOST:PORT` (resolved now, so a bad name is
    /// reported before any scenario runs).
    pub fn parse(text: &str, embedded: BrokerConfig) -> Result<Self, TargetError> {
        Self::parse_tls(text, embedded, None)
    }

    /// [`Self::parse`], with `mqtts://` addresses connecting through `tls`.
    pub fn parse_tls(
        text: &str,
        embedded: BrokerConfig,
        tls: Option<&crate::tls::ClientTls>,
    ) -> Result<Self, TargetError> {
        if text == "embedded" {
            Ok(Self::Embedded(embedded))
        } else {
            TcpTarget::resolve_tls(text, tls).map(Self::Tcp)
        }
    }

    pub fn info(&self) -> TargetInfo {
        match self {
            Self::Embedded(config) => embedded::info(config),
            Self::Tcp(tcp) => tcp.info(),
        }
    }
}
