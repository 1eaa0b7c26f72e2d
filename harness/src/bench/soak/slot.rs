//! One client slot of the soak: over and over, draw a cycle, connect with a
//! will, publish a little, end the connection the drawn way, and tell the
//! ledger what the broker must now do with the will. A resume or a takeover
//! hands its Client Identifier to the next cycle, whose CONNECT decides the
//! earlier will's fate.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lastwill_codec::{ConnAck, Connect, Properties, QoS, ReasonCode, Will};

use super::conn::{ClientError, Conn};
use super::ledger::{Ledger, WillKey};
use super::plan::{self, Ending, Follow, Granted, Plan, Window};
use super::Topics;
use crate::fuzz::rng::Rng;

/// How long a client that sent FIN waits for the broker to close.
const CLOSE_WAIT: Duration = Duration::from_secs(10);
/// Error messages kept for the report.
const ERROR_SAMPLES: usize = 10;
/// Loopback source addresses the slots are spread over, so that the
/// TIME_WAIT sockets of a long soak do not exhaust one address's ports.
const SOURCE_ADDRS: u8 = 8;

/// What every slot shares.
#[derive(Debug)]
pub struct SlotContext {
    pub broker: SocketAddr,
    pub topics: Arc<Topics>,
    pub ledger: Arc<Mutex<Ledger>>,
    pub grace: Duration,
    stopping: AtomicBool,
    running: AtomicUsize,
    pub connections: AtomicU64,
    /// Keep-alive clients the broker had not closed long after 1.5 × Keep Alive.
    pub not_closed: AtomicU64,
    pub errors: AtomicU64,
    error_samples: Mutex<Vec<String>>,
}

impl SlotContext {
    pub fn new(
        broker: SocketAddr,
        topics: Arc<Topics>,
        ledger: Arc<Mutex<Ledger>>,
        grace: Duration,
    ) -> Self {
        Self {
            broker,
            topics,
            ledger,
            grace,
            stopping: AtomicBool::new(false),
            running: AtomicUsize::new(0),
            connections: AtomicU64::new(0),
            not_closed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            error_samples: Mutex::new(Vec::new()),
        }
    }

    /// Slots finish what they started and stop.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Slots still running.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    pub fn error_samples(&self) -> Vec<String> {
        self.error_samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, slot: u32, ending: Ending, error: &ClientError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut samples = self
            .error_samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if samples.len() < ERROR_SAMPLES {
            samples.push(format!("slot {slot}, {}: {error}", ending.name()));
        }
    }

    fn source(&self, slot: u32) -> Option<IpAddr> {
        let spread = matches!(self.broker.ip(), IpAddr::V4(ip) if ip.is_loopback());
        spread.then(|| {
            let last = 1 + (slot % u32::from(SOURCE_ADDRS)) as u8;
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
        })
    }
}

/// Counts a slot as running for as long as it lives, panics included.
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a cycle hands to the next one.
enum Carry {
    /// The connection was reset inside its Will Delay Interval; the next
    /// CONNECT resumes the session.
    Resume {
        client_id: String,
        old: WillKey,
        /// When the will would be due.
        due: Instant,
    },
    /// The connection is still open; the next CONNECT takes it over.
    Takeover {
        client_id: String,
        old: WillKey,
        old_plan: Plan,
        conn: Conn,
    },
}

/// Marks the slot as running; call before spawning [`run`], so that a
/// soak never sees zero running slots before the first one starts.
pub fn register(ctx: &SlotContext) {
    ctx.running.fetch_add(1, Ordering::Relaxed);
}

/// Runs slot `slot` until the soak stops (after [`register`]).
pub async fn run(ctx: Arc<SlotContext>, slot: u32, mut rng: Rng) {
    let _running = Running(&ctx.running);
    let mut carry = None;
    let mut seq = 0;
    while carry.is_some() || !ctx.stopping() {
        seq += 1;
        carry = cycle(&ctx, WillKey { slot, seq }, &mut rng, carry.take()).await;
        let pause = Duration::from_millis(rng.below(50));
        tokio::time::sleep(pause).await;
    }
}

async fn cycle(
    ctx: &SlotContext,
    key: WillKey,
    rng: &mut Rng,
    carry: Option<Carry>,
) -> Option<Carry> {
    let follow = carry.as_ref().map(|c| match c {
        Carry::Resume { .. } => Follow::Resume,
        Carry::Takeover { .. } => Follow::Takeover,
    });
    let plan = plan::draw(rng, follow, ctx.stopping());
    let client_id = match &carry {
        Some(Carry::Resume { client_id, .. } | Carry::Takeover { client_id, .. }) => {
            client_id.clone()
        }
        None => ctx.topics.client_id(key),
    };
    ctx.ledger().open(key, plan.ending);
    let sent = Instant::now();
    let opened = Conn::open(
        ctx.broker,
        ctx.source(key.slot),
        connect(ctx, &plan, client_id.clone(), key),
    )
    .await;
    match carry {
        None => {}
        Some(Carry::Resume { old, due, .. }) => {
            // The CONNECT was processed before its CONNACK came back: if
            // that is before the will was due, the resume was in time.
            if opened.is_ok() && Instant::now() < due {
                ctx.ledger().settle(old, Window::Forbidden);
            } else {
                ctx.ledger().void(old);
            }
        }
        Some(Carry::Takeover {
            old,
            old_plan,
            mut conn,
            ..
        }) => {
            if opened.is_ok() {
                let no_session = Granted {
                    keep_alive: 0,
                    session_expiry: 0,
                };
                let window = plan::window(&old_plan, no_session, sent, ctx.grace);
                ctx.ledger().settle(old, window);
            } else {
                ctx.ledger().void(old);
            }
            tokio::spawn(async move { conn.closed_within(CLOSE_WAIT).await });
        }
    }
    let outcome = match opened {
        Ok((conn, ack)) => {
            ctx.connections.fetch_add(1, Ordering::Relaxed);
            let granted = granted(&plan, &ack);
            end(ctx, &plan, granted, key, client_id, conn, rng).await
        }
        Err(error) => Err(error),
    };
    outcome.unwrap_or_else(|error| {
        ctx.error(key.slot, plan.ending, &error);
        ctx.ledger().void(key);
        None
    })
}

/// The CONNECT of a cycle: its will names the slot in the topic and the
/// cycle in the payload.
fn connect(ctx: &SlotContext, plan: &Plan, client_id: String, key: WillKey) -> Connect {
    let mut connect = Connect::new(plan.version, client_id);
    connect.clean_start = plan.clean_start;
    connect.keep_alive = plan.keep_alive;
    let mut will_properties = Properties::default();
    if plan.version.is_v5() {
        connect.properties.session_expiry_interval =
            (plan.session_expiry > 0).then_some(plan.session_expiry);
        will_properties.will_delay_interval = (plan.will_delay > 0).then_some(plan.will_delay);
    }
    connect.will = Some(Will {
        topic: ctx.topics.will(key.slot).into(),
        payload: Bytes::from(key.payload()),
        qos: plan.will_qos,
        retain: false,
        properties: will_properties,
    });
    connect
}

/// What the broker granted: a Server Keep Alive overrides the request
/// (MQTT-3.2.2-21), and so does a Session Expiry Interval in CONNACK.
fn granted(plan: &Plan, ack: &ConnAck) -> Granted {
    let v5 = plan.version.is_v5();
    Granted {
        keep_alive: ack.properties.server_keep_alive.unwrap_or(plan.keep_alive),
        session_expiry: if v5 {
            ack.properties
                .session_expiry_interval
                .unwrap_or(plan.session_expiry)
        } else {
            0
        },
    }
}

/// Publishes, then ends the connection as planned and settles the will.
async fn end(
    ctx: &SlotContext,
    plan: &Plan,
    granted: Granted,
    key: WillKey,
    client_id: String,
    mut conn: Conn,
    rng: &mut Rng,
) -> Result<Option<Carry>, ClientError> {
    for n in 0..plan.publishes {
        let qos = rng.pick(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]);
        let payload = Bytes::from(format!("{}#{n}", key.payload()));
        conn.publish(ctx.topics.data(key.slot), payload, qos)
            .await?;
    }
    let settle = |at: Instant| {
        let window = plan::window(plan, granted, at, ctx.grace);
        ctx.ledger().settle(key, window);
    };
    let ending = match plan.ending {
        Ending::KeepAliveExpiry if granted.keep_alive == 0 => Ending::Reset,
        ending => ending,
    };
    match ending {
        Ending::NormalDisconnect => {
            conn.disconnect(ReasonCode::NORMAL_DISCONNECTION).await?;
            settle(Instant::now());
        }
        Ending::DisconnectWithWill => {
            let at = Instant::now();
            conn.disconnect(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE)
                .await?;
            settle(at);
        }
        Ending::Reset => {
            settle(Instant::now());
            conn.reset();
        }
        Ending::Fin => {
            settle(Instant::now());
            conn.fin().await?;
            conn.closed_within(CLOSE_WAIT).await;
        }
        Ending::KeepAliveExpiry => {
            settle(conn.last_sent);
            let limit = Duration::from_millis(u64::from(granted.keep_alive) * 1500) + ctx.grace;
            if !conn.closed_within(limit).await {
                ctx.not_closed.fetch_add(1, Ordering::Relaxed);
            }
            conn.reset();
        }
        Ending::ResumeWithinDelay => {
            let delay = plan.will_delay.min(granted.session_expiry);
            let due = Instant::now() + Duration::from_secs(u64::from(delay));
            conn.reset();
            return Ok(Some(Carry::Resume {
                client_id,
                old: key,
                due,
            }));
        }
        Ending::Takeover => {
            return Ok(Some(Carry::Takeover {
                client_id,
                old: key,
                old_plan: *plan,
                conn,
            }))
        }
    }
    Ok(None)
}
