//! The tokio shell around [`Broker`](crate::Broker), in the shape of
//! mini-redis: an accept task per listener, one task per connection
//! (reading and writing), and one task (the one running [`Server::run`])
//! that owns the core, feeds it what the others report, carries out its
//! actions, and sleeps until its next deadline.
//!
//! Besides TCP listeners, a server accepts in-memory connections from a
//! [`MemoryConnector`] ([`Server::memory_connector`], or [`bind_memory`] for
//! a server with no listener at all): the scenario harness runs the broker
//! in-process that way, in virtual time.

mod connection;
mod driver;
mod memory;
mod outbound;
pub mod tls;
pub mod ws;

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use self::connection::Inbound;
use self::driver::{Clock, Driver};
pub use self::memory::{MemoryConnector, MemoryStream};
use crate::config::BrokerConfig;

/// Where to listen and how the broker behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// TCP addresses to accept MQTT connections on (port 0 picks a free one).
    pub listen: Vec<SocketAddr>,
    pub broker: BrokerConfig,
}

/// A bound, not yet running, server.
#[derive(Debug)]
pub struct Server {
    listeners: Vec<TcpListener>,
    broker: BrokerConfig,
    /// Created at bind so that in-memory connections can be opened before
    /// the server runs; the driver reads it.
    inbound_tx: mpsc::UnboundedSender<Inbound>,
    inbound_rx: mpsc::UnboundedReceiver<Inbound>,
}

/// Binds every listen address. Binding before running lets a caller learn the
/// chosen ports (see [`Server::local_addrs`]) before any client connects.
pub async fn bind(config: ServerConfig) -> io::Result<Server> {
    let mut listeners = Vec::with_capacity(config.listen.len());
    for addr in &config.listen {
        listeners.push(TcpListener::bind(addr).await?);
    }
    Ok(Server::new(listeners, config.broker))
}

/// A server with no TCP listener, reachable only through
/// [`Server::memory_connector`].
pub fn bind_memory(broker: BrokerConfig) -> Server {
    Server::new(Vec::new(), broker)
}

impl Server {
    fn new(listeners: Vec<TcpListener>, broker: BrokerConfig) -> Self {
        let (inbound_tx, inbound_rx) = mpsc::unbounded_channel();
        Self {
            listeners,
            broker,
            inbound_tx,
            inbound_rx,
        }
    }

    /// Opens in-memory connections to this server, served like accepted
    /// sockets once [`run`](Self::run) is running.
    pub fn memory_connector(&self) -> MemoryConnector {
        MemoryConnector::new(self.inbound_tx.clone())
    }

    /// The addresses actually bound, in the order they were configured.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` completes, then publishes the wills due at
    /// shutdown, sends the final DISCONNECTs, closes every connection and
    /// returns. Time is read from `tokio::time`, so a runtime with paused
    /// time drives the broker in virtual time.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let clock = Clock::start();
        let (inbound_tx, mut inbound_rx) = (self.inbound_tx, self.inbound_rx);
        let mut accept_tasks = JoinSet::new();
        for listener in self.listeners {
            accept_tasks.spawn(connection::accept_loop(listener, inbound_tx.clone()));
        }
        let mut driver = Driver::new(self.broker, clock, inbound_tx);
        tokio::pin!(shutdown);
        // `poll_timeout` looks at every connection, so computing the next
        // deadline after every message would make a storm of N closes cost
        // N². It is computed after each batch of queued messages, and while
        // messages keep coming at most once per DEADLINE_REFRESH: a deadline
        // is then acted on at most that much late, never early.
        let mut deadline = driver.next_deadline();
        let mut computed_at = tokio::time::Instant::now();
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(message) = inbound_rx.recv() => {
                    driver.on_inbound(message);
                    driver.drain();
                    for _ in 1..INBOUND_BATCH {
                        let Ok(message) = inbound_rx.try_recv() else {
                            break;
                        };
                        driver.on_inbound(message);
                        driver.drain();
                    }
                }
                () = sleep_until(deadline) => {
                    driver.on_timer();
                    driver.drain();
                }
            }
            if inbound_rx.is_empty() || computed_at.elapsed() >= DEADLINE_REFRESH {
                deadline = driver.next_deadline();
                computed_at = tokio::time::Instant::now();
            }
        }
        accept_tasks.abort_all();
        driver.shutdown().await;
        Ok(())
    }
}

/// Inbound messages handled in one turn of the server loop at most.
const INBOUND_BATCH: usize = 1024;

/// How stale the next deadline may get while inbound messages keep coming.
const DEADLINE_REFRESH: std::time::Duration = std::time::Duration::from_millis(1);

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
