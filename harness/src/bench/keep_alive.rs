//! Keep-alive precision: N clients connect with a will and Keep Alive K,
//! then stay silent. The broker must close each one and publish its will
//! once 1.5 × K has passed since the last packet it received from it
//! (MQTT-3.1.2-24 / MQTT-3.1.2-22), and not before. For each client the
//! tool takes its deadline as the instant its CONNECT was written plus
//! 1.5 × K, and reports the will's arrival against it.

use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::{open_clients, ClientSpec};
use super::millis;
use super::subscriber::{StopRule, Subscriber};

/// One run's settings.
#[derive(Clone, Debug)]
pub struct KeepAliveSpec {
    pub broker: std::net::SocketAddr,
    pub clients: usize,
    pub keep_alive: u16,
    pub source_addrs: u8,
}

/// One run's figures: will arrival minus deadline, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct KeepAliveResult {
    pub clients: usize,
    pub keep_alive_s: u16,
    pub deadline_ms: f64,
    pub received: usize,
    pub missing: usize,
    pub duplicates: usize,
    /// Wills that arrived before their deadline.
    pub early: usize,
    /// Wills within 50 ms after their deadline.
    pub within_50ms: usize,
    pub min_ms: Option<f64>,
    pub median_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Every offset, sorted, for the distribution plot.
    pub offsets_ms: Vec<f64>,
}

pub async fn run(spec: &KeepAliveSpec) -> io::Result<KeepAliveResult> {
    let tag = super::run_tag();
    let (subscriber, stop) = Subscriber::start(spec.broker, &tag).await?;
    let client_spec = ClientSpec {
        broker: spec.broker,
        tag,
        keep_alive: spec.keep_alive,
        source_addrs: spec.source_addrs,
    };
    let grace = Duration::from_millis(u64::from(spec.keep_alive) * 1500);
    let clients = open_clients(&client_spec, spec.clients).await?;
    let deadlines: Vec<Instant> = clients.iter().map(|c| c.connect_sent + grace).collect();
    let latest = deadlines.iter().max().copied().unwrap_or_else(Instant::now);
    stop.set(StopRule {
        expected: spec.clients,
        grace: Duration::from_millis(300),
        deadline: latest + Duration::from_secs(5),
    });
    let arrivals = subscriber.finish().await?;
    // The clients are held open until every will is in: a broker must
    // notice the silence, not a close.
    drop(clients);

    let mut seen = vec![false; spec.clients];
    let mut offsets = Vec::with_capacity(spec.clients);
    let mut duplicates = 0;
    for &(index, at) in &arrivals {
        match (seen.get_mut(index), deadlines.get(index)) {
            (Some(flag), Some(&deadline)) if !*flag => {
                *flag = true;
                let offset = if at >= deadline {
                    millis(at - deadline)
                } else {
                    -millis(deadline - at)
                };
                offsets.push(offset);
            }
            _ => duplicates += 1,
        }
    }
    offsets.sort_by(f64::total_cmp);
    let quantile = |q: f64| -> Option<f64> {
        let last = offsets.len().checked_sub(1)?;
        offsets.get(((last as f64) * q).round() as usize).copied()
    };
    Ok(KeepAliveResult {
        clients: spec.clients,
        keep_alive_s: spec.keep_alive,
        deadline_ms: millis(grace),
        received: offsets.len(),
        missing: spec.clients - offsets.len(),
        duplicates,
        early: offsets.iter().filter(|o| **o < 0.0).count(),
        within_50ms: offsets.iter().filter(|o| (0.0..=50.0).contains(*o)).count(),
        min_ms: quantile(0.0),
        median_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        max_ms: quantile(1.0),
        offsets_ms: offsets,
    })
}
