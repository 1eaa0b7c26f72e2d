//! Hostile clients against a broker: many idle half-open connections (some
//! having sent half a CONNECT) and a flood of CONNECTs whose Remaining
//! Length announces far more than the broker's Maximum Packet Size, while a
//! normal 5.0 client connects with a will, is reset, and its will must
//! still reach a subscriber. Measured: connections the broker actually
//! holds, its RSS before / at peak / after, the normal client's CONNACK
//! and will times during the flood, and how each oversized CONNECT was
//! answered.
//!
//! What the reference broker should show (`lastwill_broker::core::limits`):
//! about `max_pending_connections` half-open sockets held (the oldest are
//! evicted, the rest closed at the connect timeout), CONNACK 0x95 for every
//! oversized 5.0 CONNECT read from its fixed header alone, and RSS that does
//! not grow with the bytes announced.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lastwill_codec::{Connect, Packet, ProtocolVersion, QoS, ReasonCode, Will};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use self::wire::{connect_bytes, just_over_connect, oversized_head, Raw};
use super::client::dial;
use super::{millis, BrokerProcess};

mod wire;

const V5: ProtocolVersion = ProtocolVersion::V5;
/// Dials in flight at once (below a typical listen backlog).
const DIALS_IN_FLIGHT: usize = 64;
/// Oversized CONNECTs in flight at once.
const FLOOD_IN_FLIGHT: usize = 32;
/// How long to wait for any one answer.
const PATIENCE: Duration = Duration::from_secs(30);

/// One run's settings.
#[derive(Clone, Debug)]
pub struct HostileSpec {
    pub broker: SocketAddr,
    pub process: Option<BrokerProcess>,
    /// Idle connections that never complete a CONNECT.
    pub half_open: usize,
    /// Every K-th half-open connection sends the first half of a CONNECT
    /// (0: none do).
    pub partial_every: usize,
    /// CONNECTs announcing `announced_bytes`, each on its own connection.
    pub oversized_connects: usize,
    /// Remaining Length those CONNECTs announce (at most 268,435,455).
    pub announced_bytes: u32,
    /// The broker's Maximum Packet Size, if known: every fourth oversized
    /// CONNECT is then a whole 5.0 CONNECT of exactly one byte more.
    pub over_limit: Option<u32>,
    pub source_addrs: u8,
}

/// How the broker answered one kind of oversized CONNECT.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Answers {
    pub sent: usize,
    pub connack_0x95: usize,
    /// Any other CONNACK code.
    pub connack_other: usize,
    pub closed_without_connack: usize,
    pub reset: usize,
    pub no_answer: usize,
    pub dial_failed: usize,
}

/// One run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct HostileResult {
    pub half_open_requested: usize,
    pub half_open_opened: usize,
    pub half_open_dial_failed: usize,
    /// Half-open connections still open, as the tool sees them, once all
    /// were opened and again after the flood.
    pub held_after_open: usize,
    pub held_after_flood: usize,
    pub open_ms: f64,
    pub huge: Answers,
    pub just_over: Answers,
    pub flood_ms: f64,
    /// The normal client during the flood.
    pub normal_connack_ms: Option<f64>,
    pub normal_connack_code: Option<u8>,
    /// From its reset to its will at the subscriber.
    pub will_ms: Option<f64>,
    pub rss_before_kib: Option<u64>,
    pub rss_peak_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
}

/// Runs one measurement.
pub async fn run(spec: &HostileSpec) -> io::Result<HostileResult> {
    let tag = super::run_tag();
    let will_topic = format!("lastwill-bench/{tag}/hostile-will");
    let mut watcher = Raw::dial(spec.broker, None).await?;
    watcher
        .handshake(Connect::new(V5, format!("lwb-{tag}-watcher")))
        .await?;
    watcher.subscribe(&will_topic).await?;
    let rss_before = spec.process.and_then(|p| p.rss_kib().ok());
    let sampler = RssSampler::start(spec.process);

    let began = Instant::now();
    let (mut idle, dial_failed) = open_half_open(spec).await;
    let open_ms = millis(began.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held_after_open = count_held(&mut idle);

    let flood_began = Instant::now();
    let flood = tokio::spawn(flood(spec.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let normal = normal_client(spec.broker, &tag, &will_topic, &mut watcher).await;
    let (huge, just_over) = flood.await.map_err(io::Error::other)?;
    let flood_ms = millis(flood_began.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held_after_flood = count_held(&mut idle);
    let rss_peak = sampler.stop();

    drop(idle);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = spec.process.and_then(|p| p.rss_kib().ok());
    let (normal_connack_ms, normal_connack_code, will_ms) = normal;
    Ok(HostileResult {
        half_open_requested: spec.half_open,
        half_open_opened: spec.half_open - dial_failed,
        half_open_dial_failed: dial_failed,
        held_after_open,
        held_after_flood,
        open_ms,
        huge,
        just_over,
        flood_ms,
        normal_connack_ms,
        normal_connack_code,
        will_ms,
        rss_before_kib: rss_before,
        rss_peak_kib: rss_peak,
        rss_after_kib: rss_after,
    })
}

fn source(spec: &HostileSpec, index: usize) -> Option<IpAddr> {
    (spec.source_addrs > 1 && spec.broker.ip().is_loopback()).then(|| {
        let last = 1 + (index % usize::from(spec.source_addrs)) as u8;
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    })
}

/// Opens the half-open connections; those that could not be dialled are
/// counted, not fatal (the broker may be refusing by then).
async fn open_half_open(spec: &HostileSpec) -> (Vec<TcpStream>, usize) {
    let permits = Arc::new(Semaphore::new(DIALS_IN_FLIGHT));
    let half = {
        let bytes = connect_bytes(Connect::new(V5, "half-open"));
        bytes.slice(..bytes.len() / 2)
    };
    let mut tasks = JoinSet::new();
    for index in 0..spec.half_open {
        let (permits, half) = (Arc::clone(&permits), half.clone());
        let (broker, from) = (spec.broker, source(spec, index));
        let partial = spec.partial_every > 0 && index % spec.partial_every == 0;
        tasks.spawn(async move {
            let _permit = permits.acquire().await;
            let mut stream = tokio::time::timeout(PATIENCE, dial(broker, from))
                .await
                .map_err(io::Error::other)??;
            if partial {
                stream.write_all(&half).await?;
            }
            Ok::<_, io::Error>(stream)
        });
    }
    let (mut streams, mut failed) = (Vec::with_capacity(spec.half_open), 0);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(stream)) => streams.push(stream),
            _ => failed += 1,
        }
    }
    (streams, failed)
}

/// Connections the broker has not closed: nothing to read yet. A FIN or a
/// reset shows as readable, which a non-blocking read then tells apart.
fn count_held(streams: &mut [TcpStream]) -> usize {
    let mut byte = [0u8; 64];
    streams
        .iter_mut()
        .filter(
            |s| matches!(s.try_read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock),
        )
        .count()
}

/// Sends every oversized CONNECT and tallies the answers.
async fn flood(spec: HostileSpec) -> (Answers, Answers) {
    let permits = Arc::new(Semaphore::new(FLOOD_IN_FLIGHT));
    let huge_head = Bytes::from(oversized_head(spec.announced_bytes));
    let just_over = spec.over_limit.map(just_over_connect);
    let mut tasks = JoinSet::new();
    for index in 0..spec.oversized_connects {
        let permits = Arc::clone(&permits);
        let (broker, from) = (spec.broker, source(&spec, index));
        let (bytes, is_huge) = match &just_over {
            Some(packet) if index % 4 == 3 => (packet.clone(), false),
            _ => (huge_head.clone(), true),
        };
        tasks.spawn(async move {
            let _permit = permits.acquire().await;
            (is_huge, answer_to(broker, from, &bytes).await)
        });
    }
    let (mut huge, mut over) = (Answers::default(), Answers::default());
    while let Some(joined) = tasks.join_next().await {
        let Ok((is_huge, answer)) = joined else {
            continue;
        };
        let tally = if is_huge { &mut huge } else { &mut over };
        tally.sent += 1;
        match answer {
            Answer::ConnAck(code) if code == ReasonCode::PACKET_TOO_LARGE => {
                tally.connack_0x95 += 1
            }
            Answer::ConnAck(_) => tally.connack_other += 1,
            Answer::Closed => tally.closed_without_connack += 1,
            Answer::Reset => tally.reset += 1,
            Answer::Nothing => tally.no_answer += 1,
            Answer::DialFailed => tally.dial_failed += 1,
        }
    }
    (huge, over)
}

enum Answer {
    ConnAck(ReasonCode),
    Closed,
    Reset,
    Nothing,
    DialFailed,
}

/// Sends `bytes` (write errors ignored: the broker may close first) and
/// reads what comes back.
async fn answer_to(broker: SocketAddr, from: Option<IpAddr>, bytes: &[u8]) -> Answer {
    let Ok(Ok(stream)) = tokio::time::timeout(PATIENCE, dial(broker, from)).await else {
        return Answer::DialFailed;
    };
    let mut raw = Raw::new(stream);
    let _ = raw.stream.write_all(bytes).await;
    match tokio::time::timeout(PATIENCE, raw.recv()).await {
        Ok(Ok(Some(Packet::ConnAck(ack)))) => Answer::ConnAck(ack.reason_code),
        Ok(Ok(_)) => Answer::Closed,
        Ok(Err(_)) => Answer::Reset,
        Err(_) => Answer::Nothing,
    }
}

/// The normal 5.0 client: CONNACK time, its code, and the time from its
/// reset to its will at the watcher.
async fn normal_client(
    broker: SocketAddr,
    tag: &str,
    will_topic: &str,
    watcher: &mut Raw,
) -> (Option<f64>, Option<u8>, Option<f64>) {
    let began = Instant::now();
    let Ok(Ok(stream)) = tokio::time::timeout(PATIENCE, dial(broker, None)).await else {
        return (None, None, None);
    };
    let mut client = Raw::new(stream);
    let mut connect = Connect::new(V5, format!("lwb-{tag}-normal"));
    connect.keep_alive = 0;
    connect.will = Some(Will {
        topic: will_topic.into(),
        payload: Bytes::from_static(b"reset during the flood"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    });
    let code = match tokio::time::timeout(PATIENCE, client.handshake(connect)).await {
        Ok(Ok(code)) => code,
        _ => return (None, None, None),
    };
    let connack_ms = millis(began.elapsed());
    let _ = client.stream.set_zero_linger();
    drop(client);
    let reset_at = Instant::now();
    let will = async {
        loop {
            match watcher.recv().await {
                Ok(Some(Packet::Publish(p))) if p.topic == will_topic => return true,
                Ok(Some(_)) => {}
                _ => return false,
            }
        }
    };
    let will_ms = match tokio::time::timeout(PATIENCE, will).await {
        Ok(true) => Some(millis(reset_at.elapsed())),
        _ => None,
    };
    (Some(connack_ms), Some(code.0), will_ms)
}

/// Samples the broker's RSS every 50 ms; [`stop`](Self::stop) gives the peak.
struct RssSampler {
    peak: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
    sampled: bool,
}

impl RssSampler {
    fn start(process: Option<BrokerProcess>) -> Self {
        let (peak, running) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(true)));
        if let Some(process) = process {
            let (peak, running) = (Arc::clone(&peak), Arc::clone(&running));
            tokio::spawn(async move {
                while running.load(Ordering::Relaxed) {
                    if let Ok(kib) = process.rss_kib() {
                        peak.fetch_max(kib, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
        }
        Self {
            peak,
            running,
            sampled: process.is_some(),
        }
    }

    fn stop(self) -> Option<u64> {
        self.running.store(false, Ordering::Relaxed);
        self.sampled.then(|| self.peak.load(Ordering::Relaxed))
    }
}
