//! Runs one [`Case`] against a broker over TCP with the harness's test
//! client ([`crate::client::Client`]): the watcher connects and subscribes to
//! `{ns}/#`, the ops run in order, then the watcher keeps watching until the
//! oracle has nothing left to wait for ([`super::oracle::watch_until`]),
//! and a PINGREQ/PINGRESP barrier makes sure everything the broker sent
//! before it has arrived. What happened is an [`Observation`]; judging it
//! is the oracle's job.
//!
//! A reply that never comes (CONNACK, SUBACK, PINGRESP) is recorded as
//! `stalled`, not judged here: the campaign's liveness probe decides whether
//! the broker hangs.

use std::time::Duration;

use bytes::Bytes;
use lastwill_codec::{
    Connect, Disconnect, Packet, Properties, ProtocolVersion, QoS, ReasonCode, Subscribe,
    Subscription, SubscriptionOptions,
};
use tokio::time::Instant;

use super::case::{Case, ConnectOp, Op, SLOTS};
pub use super::observe::*;
pub use super::wire::*;
use crate::client::{Client, EndKind, Scene, Wait};
use crate::scenario::Version;
use crate::target::{Target, TcpTarget};

/// Runs `case` under namespace `ns` against `target`.
pub async fn run_case(
    case: &Case,
    target: &TcpTarget,
    ns: &str,
    config: &ExecConfig,
) -> Observation {
    let mut run = Run {
        case,
        target,
        ns,
        config,
        scene: Scene::new(),
        slots: Vec::new(),
        obs: Observation {
            ns: ns.to_owned(),
            ..Observation::default()
        },
        conn_index: Vec::new(),
    };
    let version = case.version.protocol();
    let watcher = match run.watcher(version).await {
        Ok(watcher) => watcher,
        Err(reason) => {
            run.obs.setup_failed = Some(reason);
            run.obs.timeline = run.scene.timeline();
            return run.obs;
        }
    };
    for slot in 0..SLOTS {
        run.slots
            .push(Client::new(format!("d{slot}"), version, run.scene.clone()));
    }
    for (index, op) in case.ops.iter().enumerate() {
        let started = run.scene.elapsed();
        if !run.op(index, op).await {
            run.obs.skipped.push(index);
        }
        run.obs.op_times.push((started, run.scene.elapsed()));
    }
    // Watch until the oracle expects nothing more.
    let cap = Instant::now() + config.max_watch;
    loop {
        run.refresh(&watcher);
        let until = run.scene.start() + super::oracle::watch_until(case, &run.obs);
        let now = Instant::now();
        if now >= until.min(cap) {
            break;
        }
        tokio::time::sleep((until.min(cap) - now).min(Duration::from_millis(100))).await;
    }
    let mark = watcher.mark();
    if watcher.send(&Packet::PingReq).await.is_ok() {
        let got = watcher
            .wait_for(Instant::now() + config.reply_timeout, |state| {
                let conn = state.connections.first()?;
                conn.received
                    .iter()
                    .skip(mark)
                    .any(|r| matches!(r.packet, Packet::PingResp))
                    .then_some(())
            })
            .await;
        if matches!(got, Wait::TimedOut) {
            run.obs.stalled = Some("no PINGRESP on the watcher after the case".into());
        }
    }
    run.refresh(&watcher);
    run.obs.watched = run.scene.elapsed();
    if let Some(failure) = run.scene.failure() {
        run.obs.malformed_reply = Some((
            failure.rule().to_owned(),
            format!(
                "{} sent a malformed packet: {} [{}]",
                failure.client, failure.error, failure.hex
            ),
        ));
    }
    run.obs.timeline = run.scene.timeline();
    // The watcher goes first, so wills of connections still open are
    // published to nobody when the device clients drop.
    drop(watcher);
    run.obs
}

struct Run<'a> {
    case: &'a Case,
    target: &'a TcpTarget,
    ns: &'a str,
    config: &'a ExecConfig,
    scene: Scene,
    slots: Vec<Client>,
    obs: Observation,
    /// For each ConnRecord: (slot, connection index in the slot's client).
    conn_index: Vec<(usize, u32)>,
}

impl Run<'_> {
    async fn watcher(&mut self, version: ProtocolVersion) -> Result<Client, String> {
        let mut watcher = Client::new("watcher", version, self.scene.clone());
        let transport = self.target.connect().await.map_err(|e| e.to_string())?;
        watcher.attach(transport);
        let mut connect = Connect::new(version, format!("{}-watcher", self.ns));
        connect.keep_alive = 0;
        watcher
            .send(&Packet::Connect(Box::new(connect)))
            .await
            .map_err(|e| e.to_string())?;
        match self.answer(&watcher, 0, 0).await {
            (Answer::Connack(0), _) => {}
            (other, _) => return Err(format!("the watcher's CONNECT got {other:?}")),
        }
        let id = watcher.next_packet_id();
        let mark = watcher.mark();
        let options = SubscriptionOptions {
            qos: QoS::from_u8(self.case.sub_qos.min(2)).unwrap_or(QoS::AtMostOnce),
            ..SubscriptionOptions::default()
        };
        watcher
            .send(&Packet::Subscribe(Subscribe {
                packet_id: id,
                properties: Properties::default(),
                subscriptions: vec![Subscription {
                    filter: format!("{}/#", self.ns).into(),
                    options,
                }],
            }))
            .await
            .map_err(|e| e.to_string())?;
        let got = watcher
            .wait_for(Instant::now() + self.config.reply_timeout, |state| {
                let conn = state.connections.first()?;
                conn.received
                    .iter()
                    .skip(mark)
                    .find_map(|r| match &r.packet {
                        Packet::SubAck(ack) if ack.packet_id == id => {
                            Some(ack.reason_codes.first().map_or(0x80, |c| c.0))
                        }
                        _ => None,
                    })
            })
            .await;
        match got {
            Wait::Got(code) if code <= 2 => {
                self.obs.granted_qos = code;
                Ok(watcher)
            }
            Wait::Got(code) => Err(format!("the watcher's SUBSCRIBE got 0x{code:02X}")),
            Wait::TimedOut => {
                self.obs.stalled = Some("no SUBACK for the watcher".into());
                Err("no SUBACK for the watcher".into())
            }
            Wait::Failed(f) => Err(format!("malformed reply to the watcher: {}", f.error)),
        }
    }

    /// Waits for the answer to a CONNECT on connection `index` of `client`,
    /// looking at packets from `mark` on.
    async fn answer(&self, client: &Client, index: u32, mark: usize) -> (Answer, Option<Duration>) {
        let got = client
            .wait_for(Instant::now() + self.config.reply_timeout, |state| {
                let conn = state.connections.get(index as usize)?;
                for r in conn.received.iter().skip(mark) {
                    match &r.packet {
                        Packet::ConnAck(ack) => {
                            return Some((Answer::Connack(ack.reason_code.0), r.at))
                        }
                        Packet::Disconnect(_) => return Some((Answer::Closed, r.at)),
                        _ => {}
                    }
                }
                conn.ended.as_ref().map(|(at, _)| (Answer::Closed, *at))
            })
            .await;
        match got {
            Wait::Got((answer, at)) => (answer, Some(self.since(at))),
            Wait::TimedOut | Wait::Failed(_) => (Answer::Nothing, None),
        }
    }

    fn since(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.scene.start())
    }

    /// The record of the slot's current connection, if it is open.
    fn open_record(&self, slot: usize) -> Option<usize> {
        let client = self.slots.get(slot)?;
        if !client.is_open() {
            return None;
        }
        let current = client.current()?;
        self.conn_index.iter().position(|c| *c == (slot, current))
    }

    fn event(&mut self, record: usize, event: ConnEvent) {
        let at = self.scene.elapsed();
        if let Some(r) = self.obs.conns.get_mut(record) {
            r.events.push((at, event));
        }
    }

    /// Carries out one op; false when it had nothing to act on.
    async fn op(&mut self, index: usize, op: &Op) -> bool {
        let slot = op.slot().unwrap_or(0);
        let version = self.case.version;
        match op {
            Op::Connect(c) => self.connect(index, c).await,
            Op::Wait { ms } => tokio::time::sleep(Duration::from_millis(u64::from(*ms))).await,
            Op::Disconnect { reason, .. } => {
                let Some(record) = self.open_record(slot) else {
                    return false;
                };
                let code = if version == Version::V5 { *reason } else { 0 };
                self.event(record, ConnEvent::Disconnect(code));
                let client = &self.slots[slot];
                let _ = client
                    .send(&Packet::Disconnect(Disconnect::new(ReasonCode(code))))
                    .await;
                let _ = client.fin().await;
                settle(client).await;
            }
            Op::Close { rst, .. } => {
                let Some(record) = self.open_record(slot) else {
                    return false;
                };
                self.event(record, if *rst { ConnEvent::Rst } else { ConnEvent::Fin });
                let client = &self.slots[slot];
                let _ = if *rst {
                    client.reset().await
                } else {
                    client.fin().await
                };
                if !*rst {
                    settle(client).await;
                }
            }
            Op::Silent { .. } => {
                let Some(record) = self.open_record(slot) else {
                    return false;
                };
                self.event(record, ConnEvent::Silent);
                let _ = self.slots[slot].go_silent();
            }
            Op::BadDisconnect { kind, .. } => {
                let Some(record) = self.open_record(slot) else {
                    return false;
                };
                self.event(record, ConnEvent::BadDisconnect);
                let bytes = Bytes::from(kind.bytes(version));
                let summary = format!("raw {kind:?} DISCONNECT");
                let _ = self.slots[slot].send_bytes(bytes, summary).await;
            }
            Op::SecondConnect { .. } => {
                let Some(record) = self.open_record(slot) else {
                    return false;
                };
                self.event(record, ConnEvent::SecondConnect);
                let id = client_id(self.ns, self.case, slot);
                if let Ok(bytes) = second_connect_bytes(version, &id) {
                    let _ = self.slots[slot]
                        .send_bytes(Bytes::from(bytes), "raw second CONNECT".into())
                        .await;
                }
            }
        }
        true
    }

    async fn connect(&mut self, index: usize, op: &ConnectOp) {
        let slot = usize::from(op.slot) % SLOTS;
        let id = client_id(self.ns, self.case, slot);
        let Ok(bytes) = connect_bytes(self.case.version, op, &id, self.ns) else {
            return;
        };
        let transport = match self.target.connect().await {
            Ok(transport) => transport,
            Err(error) => {
                self.obs.stalled = Some(format!("cannot open a connection: {error}"));
                return;
            }
        };
        let conn = self.slots[slot].attach(transport);
        let sent_at = self.scene.elapsed();
        let summary = match op.malformed {
            Some(m) => format!("CONNECT ({m:?})"),
            None => "CONNECT".into(),
        };
        let _ = self.slots[slot]
            .send_bytes(Bytes::from(bytes), summary)
            .await;
        let (answer, answered_at) = self.answer(&self.slots[slot], conn, 0).await;
        if answer == Answer::Nothing && op.malformed.is_none() {
            self.obs.stalled = Some(format!("no answer to the CONNECT of op {}", index + 1));
        }
        let connack = self.slots[slot]
            .with_state(|s| {
                s.connections.get(conn as usize).and_then(|c| {
                    c.received.iter().find_map(|r| match &r.packet {
                        Packet::ConnAck(ack) => Some(ack.properties.clone()),
                        _ => None,
                    })
                })
            })
            .unwrap_or_default();
        let sent_expiry = if self.case.version == Version::V5 {
            op.session_expiry.unwrap_or(0)
        } else {
            0
        };
        self.obs.conns.push(ConnRecord {
            op: index,
            tag: op.tag,
            slot,
            id: self.case.ids[slot],
            sent_at,
            answer,
            answered_at,
            session_expiry: connack.session_expiry_interval.unwrap_or(sent_expiry),
            keep_alive: connack.server_keep_alive.unwrap_or(op.keep_alive),
            events: Vec::new(),
            broker_end: None,
        });
        self.conn_index.push((slot, conn));
    }

    /// Copies what the client tasks recorded into the observation.
    fn refresh(&mut self, watcher: &Client) {
        let start = self.scene.start();
        for (record, (slot, conn)) in self.obs.conns.iter_mut().zip(&self.conn_index) {
            if let Some(client) = self.slots.get(*slot) {
                record.broker_end = client.with_state(|s| {
                    s.connections
                        .get(*conn as usize)
                        .and_then(|c| match &c.ended {
                            Some((_, EndKind::LocalReset)) | None => None,
                            Some((at, _)) => Some(at.saturating_duration_since(start)),
                        })
                });
            }
        }
        self.obs.publishes = watcher.with_state(|s| {
            s.inbox
                .iter()
                .map(|r| SeenPublish {
                    at: r.at.saturating_duration_since(start),
                    publish: r.publish.clone(),
                })
                .collect()
        });
    }
}

/// A barrier after the client closed its side (DISCONNECT + FIN, or a bare
/// FIN): wait until the broker has closed the connection too (2 s at most).
/// Without it the next op, say a CONNECT with the same Client Identifier on
/// another socket, can reach the broker before the DISCONNECT does; the
/// broker then rightly takes the session over and publishes the will, and
/// the oracle, which saw the DISCONNECT go out first, would call that a
/// will after a normal DISCONNECT (MQTT-3.14.4-3). The first 5-minute
/// campaign against the clean reference broker reported exactly that twice.
async fn settle(client: &Client) {
    let Some(index) = client.current() else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    let _ = client
        .wait_for(deadline, |state| {
            state
                .connections
                .get(index as usize)
                .and_then(|c| c.ended.as_ref().map(|_| ()))
        })
        .await;
}
