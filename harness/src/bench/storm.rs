//! The will storm: N clients with wills, one subscriber on their will
//! topics, then every connection reset (RST) at once. Measured: the time
//! until the last will arrives, wills per second, missing and duplicate
//! wills, and the broker's resident memory per connection.
//!
//! On loopback a broker can keep pace with the tool's own close loop, which
//! then hides the broker's speed. With `freeze`, the broker is stopped
//! (SIGSTOP) while the N connections are reset and timed from SIGCONT, so
//! only the broker's drain of N dead connections is measured.

use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::{open_clients, reset_all, ClientSpec};
use super::subscriber::{StopRule, Subscriber};
use super::{millis, BrokerProcess};

/// One storm's settings.
#[derive(Clone, Debug)]
pub struct StormSpec {
    pub broker: std::net::SocketAddr,
    pub clients: usize,
    pub process: Option<BrokerProcess>,
    /// SIGSTOP the broker during the resets and time from SIGCONT.
    pub freeze: bool,
    pub source_addrs: u8,
}

/// One storm's figures.
#[derive(Clone, Debug, Serialize)]
pub struct StormResult {
    pub clients: usize,
    pub frozen: bool,
    /// Opening and CONNACK of all N clients.
    pub connect_ms: f64,
    /// The tool's loop of N resets.
    pub close_loop_ms: f64,
    /// From the first reset (or SIGCONT when frozen) to the first and the
    /// last will.
    pub first_will_ms: Option<f64>,
    pub last_will_ms: Option<f64>,
    pub wills_per_sec: Option<f64>,
    pub received: usize,
    pub missing: usize,
    pub duplicates: usize,
    pub rss_before_kib: Option<u64>,
    pub rss_connected_kib: Option<u64>,
    /// (connected - before) / N, in bytes.
    pub rss_per_connection_bytes: Option<f64>,
}

/// How long to wait for a storm's wills: generous, so a slow broker shows
/// as slow rather than as missing wills.
fn patience(clients: usize) -> Duration {
    Duration::from_secs(10) + Duration::from_millis(clients as u64)
}

/// Runs one storm.
pub async fn run(spec: &StormSpec) -> io::Result<StormResult> {
    let tag = super::run_tag();
    let (subscriber, stop) = Subscriber::start(spec.broker, &tag).await?;
    let rss_before = spec.process.and_then(|p| p.rss_kib().ok());
    let client_spec = ClientSpec {
        broker: spec.broker,
        tag: tag.clone(),
        keep_alive: 0,
        source_addrs: spec.source_addrs,
    };
    let began = Instant::now();
    let clients = open_clients(&client_spec, spec.clients).await?;
    let connect_ms = millis(began.elapsed());
    // Let the broker finish what the last CONNECTs started.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_connected = spec.process.and_then(|p| p.rss_kib().ok());

    let frozen = match (spec.freeze, spec.process) {
        (true, Some(process)) => {
            process.freeze()?;
            Some(process)
        }
        (true, None) => return Err(io::Error::other("--freeze needs --pid")),
        _ => None,
    };
    let reset_start = Instant::now();
    let close_loop = reset_all(clients);
    let start = match frozen {
        Some(process) => {
            // Let the kernel take every RST before the broker wakes.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let start = Instant::now();
            process.resume()?;
            start
        }
        None => reset_start,
    };
    stop.set(StopRule {
        expected: spec.clients,
        grace: Duration::from_millis(300),
        deadline: start + patience(spec.clients),
    });
    let arrivals = subscriber.finish().await?;

    let mut seen = vec![false; spec.clients];
    let (mut received, mut duplicates) = (0, 0);
    for &(index, _) in &arrivals {
        match seen.get_mut(index) {
            Some(flag) if *flag => duplicates += 1,
            Some(flag) => {
                *flag = true;
                received += 1;
            }
            None => duplicates += 1,
        }
    }
    let since_start = |at: Instant| millis(at.saturating_duration_since(start));
    let first = arrivals.iter().map(|&(_, at)| at).min().map(since_start);
    let last = arrivals.iter().map(|&(_, at)| at).max().map(since_start);
    let per_connection = match (rss_before, rss_connected) {
        (Some(before), Some(after)) if spec.clients > 0 => {
            Some((after as f64 - before as f64) * 1024.0 / spec.clients as f64)
        }
        _ => None,
    };
    Ok(StormResult {
        clients: spec.clients,
        frozen: spec.freeze,
        connect_ms,
        close_loop_ms: millis(close_loop),
        first_will_ms: first,
        last_will_ms: last,
        wills_per_sec: last
            .filter(|ms| *ms > 0.0)
            .map(|ms| received as f64 / (ms / 1000.0)),
        received,
        missing: spec.clients - received,
        duplicates,
        rss_before_kib: rss_before,
        rss_connected_kib: rss_connected,
        rss_per_connection_bytes: per_connection,
    })
}
