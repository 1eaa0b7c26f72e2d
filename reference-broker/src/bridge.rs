//! A minimal MQTT bridge: two client connections, one to a *remote* broker
//! (node A) and one to the *local* broker (node B), each subscribed to the
//! configured topic filters; whatever arrives on one side is published on
//! the other with its QoS, RETAIN flag, payload and properties.
//!
//! It exists so that the conformance suite's two-node scenarios
//! (`scenarios/bridge/`) can run against two reference brokers, in virtual
//! time in process (`EmbeddedTarget`) or as two `lastwill broker` processes
//! (`--bridge tcp://HOST:PORT`), and so that `lastwill selfcheck` can prove
//! those scenarios fail under a broken bridge ([`Fault::BridgeDropsRetain`],
//! [`Fault::BridgeWithoutWill`]).
//!
//! Decisions:
//! - **Both directions, loops cut by No Local.** Both connections speak 5.0
//!   and subscribe with No Local (MQTT-3.8.3-3), so what the bridge
//!   publishes on a side never comes back to it on that side, and Retain As
//!   Published, so a retained message stays retained on the far side
//!   (a late subscriber there gets it).
//! - **mosquitto's notification convention.** Like a mosquitto bridge with
//!   `notifications true`, the bridge publishes a retained `1` on
//!   `$SYS/broker/connection/CLIENT_ID/state` on both brokers when it is up,
//!   and its connection to the remote broker carries a will of a retained
//!   `0` on that topic, so the remote broker announces the bridge's loss.
//!   `#` does not match `$SYS` (MQTT-4.7.2-1), so notifications never cross.
//! - **Reconnects** after [`BridgeConfig::reconnect_delay`] when either side
//!   ends, with Clean Start 1: messages published while the bridge is down
//!   cross only if retained (the new subscription gets them).
//! - No keep-alive, no persistence, QoS 2 forwarded on receipt of PUBLISH:
//!   this is test equipment, not a production bridge.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, Publish, PublishResponse,
    QoS, ReasonCode, RetainHandling, Subscribe, Subscription, SubscriptionOptions, Will,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::faults::{Fault, FaultSet};

/// A byte stream the bridge speaks MQTT over.
pub trait BridgeStream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> BridgeStream for T {}

/// A boxed connection attempt.
pub type Dialing = Pin<Box<dyn Future<Output = io::Result<Box<dyn BridgeStream>>> + Send>>;

/// Opens a new connection to one side of the bridge.
pub trait Dial: Send + Sync {
    fn dial(&self) -> Dialing;
}

impl<F> Dial for F
where
    F: Fn() -> Dialing + Send + Sync,
{
    fn dial(&self) -> Dialing {
        self()
    }
}

/// What the bridge forwards and how it names itself.
#[derive(Clone, Debug)]
pub struct BridgeConfig {
    /// The client identifier on both brokers (`lastwill-bridge`).
    pub client_id: String,
    /// Topic filters forwarded in both directions; default `#`.
    pub topics: Vec<String>,
    /// Wait before reconnecting after either side ended.
    pub reconnect_delay: Duration,
    /// Bridge faults ([`Fault::BridgeDropsRetain`], [`Fault::BridgeWithoutWill`]).
    pub faults: FaultSet,
}

/// The client identifier the suite's bridged targets give their bridge.
pub const DEFAULT_CLIENT_ID: &str = "lastwill-bridge";

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.into(),
            topics: vec!["#".into()],
            reconnect_delay: Duration::from_secs(1),
            faults: FaultSet::EMPTY,
        }
    }
}

impl BridgeConfig {
    /// `$SYS/broker/connection/CLIENT_ID/state`, as mosquitto names it.
    pub fn state_topic(&self) -> String {
        format!("$SYS/broker/connection/{}/state", self.client_id)
    }
}

/// Runs the bridge until the task is dropped: connect both sides, forward,
/// and reconnect after either side ends.
pub async fn run(config: BridgeConfig, remote: impl Dial, local: impl Dial) {
    loop {
        match session(&config, &remote, &local).await {
            Ok(()) => tracing::info!("bridge: a side closed; reconnecting"),
            Err(error) => tracing::info!(%error, "bridge: reconnecting"),
        }
        tokio::time::sleep(config.reconnect_delay).await;
    }
}

/// One side's connection with its read buffer and packet ids.
struct Side {
    name: &'static str,
    stream: Box<dyn BridgeStream>,
    buf: BytesMut,
    next_id: u16,
}

impl Side {
    async fn open(
        name: &'static str,
        dial: &impl Dial,
        config: &BridgeConfig,
        with_will: bool,
    ) -> io::Result<Self> {
        let stream = dial.dial().await?;
        let mut side = Side {
            name,
            stream,
            buf: BytesMut::with_capacity(4096),
            next_id: 0,
        };
        let mut connect = Connect::new(ProtocolVersion::V5, config.client_id.clone());
        connect.keep_alive = 0;
        if with_will && !config.faults.contains(Fault::BridgeWithoutWill) {
            connect.will = Some(Will {
                topic: config.state_topic().into(),
                payload: Bytes::from_static(b"0"),
                qos: QoS::AtLeastOnce,
                retain: true,
                properties: Default::default(),
            });
        }
        side.send(&Packet::Connect(Box::new(connect))).await?;
        match side.read().await? {
            Packet::ConnAck(ack) if ack.reason_code == ReasonCode::SUCCESS => {}
            other => {
                return Err(io::Error::other(format!(
                    "{name}: expected CONNACK 0, got {other:?}"
                )))
            }
        }
        let id = side.packet_id();
        let subscriptions = config
            .topics
            .iter()
            .map(|filter| Subscription {
                filter: filter.as_str().into(),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: RetainHandling::SendAtSubscribe,
                },
            })
            .collect();
        side.send(&Packet::Subscribe(Subscribe {
            packet_id: id,
            properties: Default::default(),
            subscriptions,
        }))
        .await?;
        side.publish_state(config, b"1").await?;
        Ok(side)
    }

    fn packet_id(&mut self) -> u16 {
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        self.next_id
    }

    async fn send(&mut self, packet: &Packet) -> io::Result<()> {
        let bytes = encode_to_bytes(packet, ProtocolVersion::V5)
            .map_err(|e| io::Error::other(format!("{}: cannot encode: {e}", self.name)))?;
        self.stream.write_all(&bytes).await
    }

    async fn publish_state(
        &mut self,
        config: &BridgeConfig,
        payload: &'static [u8],
    ) -> io::Result<()> {
        let id = self.packet_id();
        self.send(&Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: true,
            topic: config.state_topic().into(),
            packet_id: Some(id),
            properties: Default::default(),
            payload: Bytes::from_static(payload),
        }))
        .await
    }

    /// The next whole packet; an error at end of stream.
    async fn read(&mut self) -> io::Result<Packet> {
        loop {
            if let Some(packet) = self.decoded()? {
                return Ok(packet);
            }
            self.fill().await?;
        }
    }

    fn decoded(&mut self) -> io::Result<Option<Packet>> {
        decode(&mut self.buf, ProtocolVersion::V5, &Limits::default())
            .map_err(|e| io::Error::other(format!("{}: broker sent: {e}", self.name)))
    }

    /// Reads more bytes (cancel-safe).
    async fn fill(&mut self) -> io::Result<()> {
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: the broker closed the connection", self.name),
            ));
        }
        Ok(())
    }

    /// Answers what needs an answer; returns a PUBLISH to forward.
    async fn handle(&mut self, packet: Packet) -> io::Result<Option<Publish>> {
        match packet {
            Packet::Publish(publish) => {
                match (publish.qos, publish.packet_id) {
                    (QoS::AtLeastOnce, Some(id)) => {
                        self.send(&Packet::PubAck(PublishResponse::new(id))).await?;
                    }
                    (QoS::ExactlyOnce, Some(id)) => {
                        self.send(&Packet::PubRec(PublishResponse::new(id))).await?;
                    }
                    _ => {}
                }
                Ok(Some(publish))
            }
            Packet::PubRel(rel) => {
                self.send(&Packet::PubComp(PublishResponse::new(rel.packet_id)))
                    .await?;
                Ok(None)
            }
            Packet::PubRec(rec) => {
                self.send(&Packet::PubRel(PublishResponse::new(rec.packet_id)))
                    .await?;
                Ok(None)
            }
            Packet::Disconnect(d) => Err(io::Error::other(format!(
                "{}: the broker sent DISCONNECT {:#04x}",
                self.name, d.reason_code.0
            ))),
            _ => Ok(None),
        }
    }

    /// Publishes what the other side received, as it was received (the
    /// RETAIN flag dropped under [`Fault::BridgeDropsRetain`]).
    async fn forward(&mut self, mut publish: Publish, faults: FaultSet) -> io::Result<()> {
        publish.dup = false;
        publish.packet_id = match publish.qos {
            QoS::AtMostOnce => None,
            _ => Some(self.packet_id()),
        };
        publish.properties.topic_alias = None;
        publish.properties.rest.subscription_identifiers.clear();
        if faults.contains(Fault::BridgeDropsRetain) {
            publish.retain = false;
        }
        self.send(&Packet::Publish(publish)).await
    }
}

/// One connected period: both sides up, forwarding until one ends.
async fn session(config: &BridgeConfig, remote: &impl Dial, local: &impl Dial) -> io::Result<()> {
    let mut local = Side::open("local", local, config, false).await?;
    let mut remote = match Side::open("remote", remote, config, true).await {
        Ok(remote) => remote,
        Err(error) => {
            let _ = local.publish_state(config, b"0").await;
            return Err(error);
        }
    };
    let result = forward(config, &mut remote, &mut local).await;
    if result.is_err() {
        // Like mosquitto: the local broker hears that the bridge is down.
        let _ = local.publish_state(config, b"0").await;
    }
    result
}

async fn forward(config: &BridgeConfig, remote: &mut Side, local: &mut Side) -> io::Result<()> {
    loop {
        // Whole packets already buffered first, then wait for more bytes.
        if let Some(packet) = remote.decoded()? {
            if let Some(publish) = remote.handle(packet).await? {
                local.forward(publish, config.faults).await?;
            }
            continue;
        }
        if let Some(packet) = local.decoded()? {
            if let Some(publish) = local.handle(packet).await? {
                remote.forward(publish, config.faults).await?;
            }
            continue;
        }
        tokio::select! {
            read = remote.fill() => read?,
            read = local.fill() => read?,
        }
    }
}
