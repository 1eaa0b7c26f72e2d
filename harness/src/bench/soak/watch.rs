//! The soak's subscribers: one 3.1.1 and one 5.0 connection, each with a
//! QoS 2 subscription to the run's whole namespace, so every will reaches
//! each at its own QoS and nothing the run publishes goes unseen. Every
//! will goes into the ledger as it arrives; data messages are only counted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use lastwill_codec::{
    Connect, Packet, ProtocolVersion, PublishResponse, QoS, ReasonCode, Subscribe, Subscription,
    SubscriptionOptions,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::conn::{ClientError, Conn};
use super::ledger::{Ledger, WillKey};
use super::Topics;

/// A running subscriber.
#[derive(Debug)]
pub struct Watcher {
    task: JoinHandle<Result<u64, ClientError>>,
}

impl Watcher {
    /// Connects as subscriber `index`, subscribes and waits for SUBACK.
    pub async fn start(
        broker: SocketAddr,
        version: ProtocolVersion,
        index: usize,
        topics: Arc<Topics>,
        ledger: Arc<Mutex<Ledger>>,
        stop: watch::Receiver<bool>,
    ) -> Result<Self, ClientError> {
        let mut connect = Connect::new(version, format!("soak-{}-watch-{index}", topics.tag));
        connect.keep_alive = 0;
        let (mut conn, _) = Conn::open(broker, None, connect).await?;
        conn.send(&Packet::Subscribe(Subscribe {
            packet_id: 1,
            properties: Default::default(),
            subscriptions: vec![Subscription {
                filter: topics.filter().into(),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    ..Default::default()
                },
            }],
        }))
        .await?;
        match conn.recv("SUBACK").await? {
            Packet::SubAck(ack) if ack.reason_codes == [ReasonCode::GRANTED_QOS_2] => {}
            Packet::SubAck(ack) => {
                let code = ack.reason_codes.first().copied().unwrap_or_default();
                return Err(ClientError::Refused(code));
            }
            other => {
                return Err(ClientError::Unexpected {
                    expected: "SUBACK",
                    got: other.packet_type(),
                })
            }
        }
        let task = tokio::spawn(record(conn, index, topics, ledger, stop));
        Ok(Self { task })
    }

    /// Whether the subscriber stopped on its own (an error: it should run
    /// until told to stop).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the subscriber to stop; the data messages it counted.
    pub async fn finish(self) -> Result<u64, ClientError> {
        self.task
            .await
            .map_err(|e| ClientError::Io(std::io::Error::other(e)))?
    }
}

async fn record(
    mut conn: Conn,
    index: usize,
    topics: Arc<Topics>,
    ledger: Arc<Mutex<Ledger>>,
    mut stop: watch::Receiver<bool>,
) -> Result<u64, ClientError> {
    let mut data = 0;
    loop {
        let packet = tokio::select! {
            packet = conn.next_packet() => packet?,
            _ = stop.changed() => return Ok(data),
        };
        let now = Instant::now();
        match packet {
            Packet::Publish(publish) => {
                if topics.is_data(&publish.topic) {
                    data += 1;
                } else {
                    let key = WillKey::parse(&publish.payload)
                        .filter(|key| topics.will(key.slot) == publish.topic);
                    ledger
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .arrive(index, key, now);
                }
                conn.acknowledge(&publish).await?;
            }
            Packet::PubRel(rel) => {
                conn.send(&Packet::PubComp(PublishResponse::new(rel.packet_id)))
                    .await?;
            }
            other => {
                return Err(ClientError::Unexpected {
                    expected: "PUBLISH or PUBREL",
                    got: other.packet_type(),
                })
            }
        }
    }
}
