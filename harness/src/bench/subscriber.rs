//! The one subscriber on a run's will topics: it records when each will
//! arrives, so the tools can count missing and duplicate wills and time them.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, QoS, Subscribe,
    Subscription, SubscriptionOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::client::{dial, read_packet};

/// Wills as they arrived: client index and arrival instant, in arrival order.
pub(super) type Arrivals = Vec<(usize, Instant)>;

/// A running subscriber; [`Subscriber::finish`] returns what it saw once
/// the [`StopRule`] given through its [`StopHandle`] says so.
#[derive(Debug)]
pub(super) struct Subscriber {
    task: JoinHandle<io::Result<Arrivals>>,
}

/// When the subscriber stops on its own: once `expected` distinct wills
/// arrived and then `grace` passed without another (to catch duplicates),
/// or at `deadline` whatever arrived.
#[derive(Clone, Copy, Debug)]
pub(super) struct StopRule {
    pub expected: usize,
    pub grace: Duration,
    pub deadline: Instant,
}

impl Subscriber {
    /// Connects, subscribes to `lastwill-bench/TAG/+` at QoS 0 and waits for
    /// SUBACK before returning.
    pub async fn start(broker: SocketAddr, tag: &str) -> io::Result<(Self, StopHandle)> {
        let mut stream = dial(broker, None).await?;
        let version = ProtocolVersion::V3_1_1;
        let mut connect = Connect::new(version, format!("lwb-{tag}-subscriber"));
        connect.keep_alive = 0;
        let subscribe = Subscribe {
            packet_id: 1,
            properties: Default::default(),
            subscriptions: vec![Subscription {
                filter: format!("lastwill-bench/{tag}/+").into(),
                options: SubscriptionOptions {
                    qos: QoS::AtMostOnce,
                    ..Default::default()
                },
            }],
        };
        for packet in [
            Packet::Connect(Box::new(connect)),
            Packet::Subscribe(subscribe),
        ] {
            let bytes = encode_to_bytes(&packet, version).map_err(io::Error::other)?;
            stream.write_all(&bytes).await?;
        }
        let mut buf = BytesMut::with_capacity(64 * 1024);
        for expected in ["CONNACK", "SUBACK"] {
            let packet = read_packet(&mut stream, &mut buf).await?;
            let ok = matches!(
                (&packet, expected),
                (Packet::ConnAck(_), "CONNACK") | (Packet::SubAck(_), "SUBACK")
            );
            if !ok {
                return Err(io::Error::other(format!(
                    "subscriber: expected {expected}, got {packet:?}"
                )));
            }
        }
        let (rule_tx, rule_rx) = oneshot::channel();
        let task = tokio::spawn(collect(stream, buf, tag.to_owned(), rule_rx));
        Ok((Self { task }, StopHandle { rule: rule_tx }))
    }

    /// Waits until the subscriber stops by its [`StopRule`] and returns the
    /// arrivals.
    pub async fn finish(self) -> io::Result<Arrivals> {
        self.task.await.map_err(io::Error::other)?
    }
}

/// Tells a running subscriber when to stop.
#[derive(Debug)]
pub(super) struct StopHandle {
    rule: oneshot::Sender<StopRule>,
}

impl StopHandle {
    pub fn set(self, rule: StopRule) {
        let _ = self.rule.send(rule);
    }
}

async fn collect(
    mut stream: TcpStream,
    mut buf: BytesMut,
    tag: String,
    mut rule_rx: oneshot::Receiver<StopRule>,
) -> io::Result<Arrivals> {
    let mut arrivals = Arrivals::new();
    let mut seen = std::collections::HashSet::new();
    let mut rule: Option<StopRule> = None;
    let mut last_new = Instant::now();
    loop {
        // Everything already buffered, stamped with the time it was read.
        let now = Instant::now();
        while let Some(packet) = decode(&mut buf, ProtocolVersion::V3_1_1, &Limits::default())
            .map_err(|e| io::Error::other(format!("broker sent: {e}")))?
        {
            if let Packet::Publish(publish) = packet {
                if let Some(index) = super::topic_index(&tag, &publish.topic) {
                    arrivals.push((index, now));
                    if seen.insert(index) {
                        last_new = now;
                    }
                }
            }
        }
        let wake = match rule {
            Some(r) if seen.len() >= r.expected => (last_new + r.grace).min(r.deadline),
            Some(r) => r.deadline,
            None => now + Duration::from_secs(3600),
        };
        if rule.is_some() && Instant::now() >= wake {
            return Ok(arrivals);
        }
        buf.reserve(64 * 1024);
        tokio::select! {
            read = stream.read_buf(&mut buf) => {
                if read? == 0 {
                    return Ok(arrivals);
                }
            }
            got = &mut rule_rx, if rule.is_none() => {
                rule = Some(got.map_err(io::Error::other)?);
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}
