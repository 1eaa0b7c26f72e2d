//! The tokio shell around [`Broker`](crate::Broker), in the shape of
//! mini-redis: an accept task per listener, one task (spawned by
//! [`Server::run`]) that owns the core, feeds it what the connections
//! report, carries out its actions, and sleeps until its next deadline.
//! Connections only move bytes: plain TCP ones on one reactor thread
//! (`reactor`: an idle connection then costs a few dozen bytes, not a task
//! and an I/O registration), in-memory, TLS and WebSocket ones in a task
//! each (`connection::serve`). Finished sockets are closed off the will
//! path (`reaper`).
//!
//! Besides TCP listeners, a server accepts in-memory connections from a
//! [`MemoryConnector`] ([`Server::memory_connector`], or [`bind_memory`] for
//! a server with no listener at all): the scenario harness runs the broker
//! in-process that way, in virtual time.

mod connection;
mod driver;
mod memory;
mod outbound;
mod reactor;
mod reaper;
pub mod tls;
pub mod ws;

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

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
        let (inbound_tx, inbound_rx) = (self.inbound_tx, self.inbound_rx);
        let serves_tcp = !self.listeners.is_empty();
        let mut accept_tasks = JoinSet::new();
        for listener in self.listeners {
            accept_tasks.spawn(connection::accept_loop(listener, inbound_tx.clone()));
        }
        // Started up front when TCP clients are expected, so that its
        // thread and buffers are part of the server's fixed cost.
        let reactor = if serves_tcp {
            Some(reactor::ReactorHandle::start(inbound_tx.clone())?)
        } else {
            None
        };
        let driver = Driver::new(self.broker, clock, inbound_tx, reactor);
        // The driver runs as a task of its own rather than in the caller's
        // task (often `block_on`, a thread outside the runtime's workers):
        // connection tasks and the driver then hand messages to each other
        // on the workers, without waking that extra thread for each one.
        let (stop_tx, stop_rx) = oneshot::channel();
        let mut task = AbortOnDrop(tokio::spawn(drive(driver, inbound_rx, stop_rx)));
        shutdown.await;
        let _ = stop_tx.send(());
        let driver = match (&mut task.0).await {
            Ok(driver) => driver,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => return Err(io::Error::other(error)),
        };
        accept_tasks.abort_all();
        driver.shutdown().await;
        Ok(())
    }
}

/// The server loop: feeds the driver what the tasks report and wakes it at
/// the core's deadlines, until `stop`; returns the driver for shutdown.
async fn drive(
    mut driver: Driver,
    mut inbound_rx: mpsc::UnboundedReceiver<Inbound>,
    mut stop: oneshot::Receiver<()>,
) -> Driver {
    // The next deadline is rescanned only after a timer fired; after
    // messages, the core reports what they armed (`update_deadline`).
    let mut deadline = driver.next_deadline();
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => return driver,
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
                deadline = driver.update_deadline(deadline);
                driver.flush();
            }
            () = sleep_until(deadline) => {
                driver.on_timer();
                driver.drain();
                deadline = driver.next_deadline();
                driver.flush();
            }
        }
    }
}

/// Stops the driver's task if [`Server::run`] is dropped before it ends,
/// as the driver stopped with it when it ran inside it.
struct AbortOnDrop(JoinHandle<Driver>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Inbound messages handled in one turn of the server loop at most.
const INBOUND_BATCH: usize = 1024;

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
