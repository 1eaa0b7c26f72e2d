//! The soak (`lastwill bench soak`): a pool of client slots connecting,
//! publishing and ending their connections in every way that decides a
//! will, for a fixed time, while subscribers record every will the broker
//! publishes. At the end a ledger says which wills were required and which
//! forbidden, and whether each required one arrived exactly once on every
//! subscriber, by its deadline and not before its delay (MQTT-3.1.2-8,
//! MQTT-3.1.2-10, MQTT-3.14.4-3, MQTT-3.1.3-9); the broker's resident memory
//! is sampled throughout, to show whether it stays flat.
//!
//! Phases: load (the given duration), wind-down (every slot finishes its
//! cycle, and one more when it handed a Client Identifier on), drain (until
//! every required will arrived or passed its deadline), then a quiet period
//! long enough for a forbidden delayed will or a duplicate to show up.
//!
//! The workload is drawn from a seeded generator; the broker's timing is
//! not, so two runs with one seed share their plan, not their interleaving.

mod conn;
mod ledger;
mod plan;
mod slot;
mod watch;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use lastwill_codec::ProtocolVersion;
use serde::Serialize;

pub use self::conn::ClientError;
use self::ledger::Ledger;
pub use self::ledger::{Counts, Tally, WillKey};
pub use self::plan::Ending;
use self::slot::SlotContext;
use self::watch::Watcher;
use super::BrokerProcess;
use crate::fuzz::rng::Rng;

/// Long enough for a forbidden will held back by the longest Will Delay
/// the workload draws (4 s), or for a duplicate, to arrive.
const QUIET: Duration = Duration::from_secs(5);
/// How often the idle loops look at the ledger.
const POLL: Duration = Duration::from_millis(200);
/// The subscribers: one per protocol version.
const WATCH_VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];

/// One soak's settings.
#[derive(Clone, Debug)]
pub struct SoakSpec {
    pub broker: SocketAddr,
    /// Client slots running at once.
    pub clients: usize,
    /// How long new cycles are started.
    pub duration: Duration,
    pub seed: u64,
    /// Slack on every will deadline, for a loaded machine.
    pub grace: Duration,
    /// The broker's process, for memory figures.
    pub process: Option<BrokerProcess>,
    /// How often memory is sampled and progress reported.
    pub sample_every: Duration,
}

/// Why a soak could not run to its verdict.
#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error("subscriber {index} could not start: {source}")]
    SubscriberStart {
        index: usize,
        #[source]
        source: ClientError,
    },
    #[error("subscriber {index} failed mid-run: {source}")]
    SubscriberFailed {
        index: usize,
        #[source]
        source: ClientError,
    },
    #[error("subscriber {index} stopped mid-run")]
    SubscriberStopped { index: usize },
}

/// The phase a progress report belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Load,
    WindDown,
    Drain,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Load => "load",
            Phase::WindDown => "wind-down",
            Phase::Drain => "drain",
        }
    }
}

/// A progress report, every `sample_every`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub phase: Phase,
    pub elapsed: Duration,
    pub connections: u64,
    pub client_errors: u64,
    pub wills: Counts,
    pub rss_kib: Option<u64>,
}

/// The soak's figures.
#[derive(Clone, Debug, Serialize)]
pub struct SoakResult {
    pub seed: u64,
    pub clients: usize,
    pub duration_s: f64,
    /// From the start until every slot stopped.
    pub active_s: f64,
    pub connections: u64,
    pub connections_per_sec: f64,
    pub wills: Counts,
    pub by_ending: std::collections::BTreeMap<Ending, Counts>,
    /// Will-namespace messages that named no will (counted as unexpected).
    pub unknown_wills: u64,
    pub data_messages: u64,
    pub client_errors: u64,
    pub error_samples: Vec<String>,
    /// Keep-alive clients the broker had not closed within 1.5 × Keep Alive
    /// plus the grace.
    pub keep_alive_not_closed: u64,
    pub rss_start_kib: Option<u64>,
    pub rss_mid_kib: Option<u64>,
    pub rss_end_kib: Option<u64>,
    pub rss_max_kib: Option<u64>,
    /// (seconds since start, KiB).
    pub rss_samples_kib: Vec<(f64, u64)>,
}

impl SoakResult {
    /// Whether the broker broke a will rule, or the soak could not tell.
    pub fn failed(&self) -> bool {
        self.wills.violations() > 0
            || self.wills.pending > 0
            || self.client_errors > 0
            || self.keep_alive_not_closed > 0
    }
}

/// The run's names: topics under `soak/TAG/`, Client Identifiers
/// `soak-TAG-SLOT-SEQ`.
#[derive(Debug)]
pub struct Topics {
    tag: String,
}

impl Topics {
    fn filter(&self) -> String {
        format!("soak/{}/#", self.tag)
    }

    fn will(&self, slot: u32) -> String {
        format!("soak/{}/will/{slot}", self.tag)
    }

    fn data(&self, slot: u32) -> String {
        format!("soak/{}/data/{slot}", self.tag)
    }

    fn is_data(&self, topic: &str) -> bool {
        topic
            .strip_prefix("soak/")
            .and_then(|t| t.strip_prefix(self.tag.as_str()))
            .is_some_and(|t| t.starts_with("/data/"))
    }

    fn client_id(&self, key: WillKey) -> String {
        format!("soak-{}-{}-{}", self.tag, key.slot, key.seq)
    }
}

/// Runs one soak; `progress` is called every `sample_every`.
pub async fn run(
    spec: &SoakSpec,
    mut progress: impl FnMut(&Snapshot),
) -> Result<SoakResult, SoakError> {
    let topics = Arc::new(Topics {
        tag: super::run_tag(),
    });
    let ledger = Arc::new(Mutex::new(Ledger::new(WATCH_VERSIONS.len())));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut watchers = Vec::new();
    for (index, version) in WATCH_VERSIONS.into_iter().enumerate() {
        let watcher = Watcher::start(
            spec.broker,
            version,
            index,
            Arc::clone(&topics),
            Arc::clone(&ledger),
            stop_rx.clone(),
        )
        .await
        .map_err(|source| SoakError::SubscriberStart { index, source })?;
        watchers.push(watcher);
    }
    let ctx = Arc::new(SlotContext::new(
        spec.broker,
        topics,
        Arc::clone(&ledger),
        spec.grace,
    ));
    let mut monitor = Monitor {
        spec,
        started: Instant::now(),
        samples: Vec::new(),
        tick: tokio::time::interval(spec.sample_every),
        ctx: Arc::clone(&ctx),
        watchers,
    };
    monitor.sample();
    let mut rng = Rng::new(spec.seed);
    for slot in 0..spec.clients {
        slot::register(&ctx);
        let slot = u32::try_from(slot).unwrap_or(u32::MAX);
        tokio::spawn(slot::run(Arc::clone(&ctx), slot, rng.fork()));
    }

    let load_end = monitor.started + spec.duration;
    monitor
        .idle(Phase::Load, load_end, || false, &mut progress)
        .await?;
    ctx.stop();
    // A cycle lasts at most a few reply timeouts and a keep-alive wait.
    let wind_down_cap = Instant::now() + Duration::from_secs(120) + spec.grace;
    let stopped = || ctx.running() == 0;
    monitor
        .idle(Phase::WindDown, wind_down_cap, stopped, &mut progress)
        .await?;
    let active = monitor.started.elapsed();
    let drain_cap = Instant::now() + Duration::from_secs(30) + spec.grace;
    let settled = || lock(&ledger).settled(Instant::now());
    monitor
        .idle(Phase::Drain, drain_cap, settled, &mut progress)
        .await?;
    let quiet_end = Instant::now() + QUIET;
    monitor
        .idle(Phase::Drain, quiet_end, || false, &mut progress)
        .await?;

    let _ = stop_tx.send(true);
    let mut data_messages = 0;
    for (index, watcher) in std::mem::take(&mut monitor.watchers)
        .into_iter()
        .enumerate()
    {
        data_messages += watcher
            .finish()
            .await
            .map_err(|source| SoakError::SubscriberFailed { index, source })?;
    }
    monitor.sample();
    let tally = lock(&ledger).tally(Instant::now());
    Ok(monitor.result(tally, active, data_messages))
}

fn lock(ledger: &Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Samples memory, reports progress and watches the subscribers while the
/// soak waits.
struct Monitor<'a> {
    spec: &'a SoakSpec,
    started: Instant,
    samples: Vec<(f64, u64)>,
    tick: tokio::time::Interval,
    ctx: Arc<SlotContext>,
    watchers: Vec<Watcher>,
}

impl Monitor<'_> {
    fn sample(&mut self) {
        if let Some(kib) = self.spec.process.and_then(|p| p.rss_kib().ok()) {
            self.samples
                .push((self.started.elapsed().as_secs_f64(), kib));
        }
    }

    /// Waits until `done` or `until`, sampling and reporting on every tick.
    async fn idle(
        &mut self,
        phase: Phase,
        until: Instant,
        mut done: impl FnMut() -> bool,
        progress: &mut impl FnMut(&Snapshot),
    ) -> Result<(), SoakError> {
        loop {
            let now = Instant::now();
            if done() || now >= until {
                return Ok(());
            }
            let nap = POLL.min(until - now);
            tokio::select! {
                _ = self.tick.tick() => {
                    self.sample();
                    self.check_watchers()?;
                    progress(&self.snapshot(phase));
                }
                () = tokio::time::sleep(nap) => {}
            }
        }
    }

    fn check_watchers(&self) -> Result<(), SoakError> {
        match self.watchers.iter().position(Watcher::is_finished) {
            Some(index) => Err(SoakError::SubscriberStopped { index }),
            None => Ok(()),
        }
    }

    fn snapshot(&self, phase: Phase) -> Snapshot {
        use std::sync::atomic::Ordering::Relaxed;
        Snapshot {
            phase,
            elapsed: self.started.elapsed(),
            connections: self.ctx.connections.load(Relaxed),
            client_errors: self.ctx.errors.load(Relaxed),
            wills: lock(&self.ctx.ledger).tally(Instant::now()).total,
            rss_kib: self.samples.last().map(|&(_, kib)| kib),
        }
    }

    fn result(self, tally: Tally, active: Duration, data_messages: u64) -> SoakResult {
        use std::sync::atomic::Ordering::Relaxed;
        let mid = self.spec.duration.as_secs_f64() / 2.0;
        let rss_mid = self
            .samples
            .iter()
            .min_by(|a, b| (a.0 - mid).abs().total_cmp(&(b.0 - mid).abs()))
            .map(|&(_, kib)| kib);
        let connections = self.ctx.connections.load(Relaxed);
        SoakResult {
            seed: self.spec.seed,
            clients: self.spec.clients,
            duration_s: self.spec.duration.as_secs_f64(),
            active_s: active.as_secs_f64(),
            connections,
            connections_per_sec: connections as f64 / active.as_secs_f64().max(1e-3),
            wills: tally.total,
            by_ending: tally.by_ending,
            unknown_wills: tally.unknown,
            data_messages,
            client_errors: self.ctx.errors.load(Relaxed),
            error_samples: self.ctx.error_samples(),
            keep_alive_not_closed: self.ctx.not_closed.load(Relaxed),
            rss_start_kib: self.samples.first().map(|&(_, kib)| kib),
            rss_mid_kib: rss_mid,
            rss_end_kib: self.samples.last().map(|&(_, kib)| kib),
            rss_max_kib: self.samples.iter().map(|&(_, kib)| kib).max(),
            rss_samples_kib: self.samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_keep_wills_data_and_other_runs_apart() {
        let topics = Topics { tag: "ab".into() };
        assert!(topics.is_data(&topics.data(3)));
        assert!(!topics.is_data(&topics.will(3)));
        assert!(!topics.is_data("soak/abc/data/3"));
        assert_eq!(topics.filter(), "soak/ab/#");
        let id = topics.client_id(WillKey { slot: 3, seq: 9 });
        assert_eq!(id, "soak-ab-3-9");
    }
}
