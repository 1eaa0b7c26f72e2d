//! Live-broker fuzzing (`lastwill fuzz`): generated and mutated CONNECT /
//! will sequences sent to a real broker, judged by a watcher client.
//!
//! - [`case`]: what a case is (ops over up to three clients, namespaced).
//! - [`rng`], [`generate`]: seeded generation and mutation of cases.
//! - [`wire`]: the bytes a case sends (shared with the scenario writer).
//! - [`exec`]: runs one case over TCP with the harness's test client, into
//!   an [`observe::Observation`].
//! - [`fate`], [`oracle`]: the will invariants, conservative, with their rule IDs.
//! - [`minimize`]: shrinks a case while its finding reproduces.
//! - [`emit`]: writes the minimized case as a scenario file.
//! - [`health`]: the liveness probe (crash and hang detection).
//! - [`report`]: the campaign report, JSON and Markdown.
//! - [`campaign`]: the loop tying them together ([`run_campaign`]).

pub mod campaign;
pub mod case;
pub mod emit;
pub mod exec;
pub mod fate;
pub mod generate;
pub mod health;
mod liveness;
pub mod minimize;
pub mod observe;
pub mod oracle;
pub mod report;
pub mod rng;
pub mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use self::campaign::{run_campaign, Progress};
pub use self::generate::Versions;
pub use self::report::{CampaignReport, FindingReport};
use crate::target::TcpTarget;

/// Everything a campaign needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    pub broker: TcpTarget,
    /// The same broker, for the liveness probe.
    pub addr: SocketAddr,
    /// `reference` / `mosquitto` when the harness launched the broker.
    pub target_name: Option<String>,
    pub duration: Duration,
    pub seed: u64,
    pub versions: Versions,
    /// Cases in flight at once.
    pub concurrency: usize,
    /// Reports go here, scenario files under `findings/`.
    pub out: PathBuf,
    /// Time allowed to minimize one finding.
    pub minimize_budget: Duration,
    pub exec: exec::ExecConfig,
    /// Timeout of the liveness probe.
    pub probe_timeout: Duration,
}

impl Config {
    pub fn new(addr: SocketAddr, out: PathBuf) -> Self {
        Self {
            broker: TcpTarget::from_addr(addr),
            addr,
            target_name: None,
            duration: Duration::from_secs(60),
            seed: 1,
            versions: Versions::Both,
            concurrency: 8,
            out,
            minimize_budget: Duration::from_secs(30),
            exec: exec::ExecConfig::default(),
            probe_timeout: Duration::from_secs(10),
        }
    }
}
