//! The test client: one per scenario client name, speaking MQTT through the
//! strict codec over any [`Transport`]. Each network connection is a task
//! ([`connection`]) that records every packet in both directions into the
//! shared [`Scene`] timeline and files what arrives into the client's
//! [`ClientState`]; the runner sends through [`Client`] and waits with
//! [`Client::wait_for`].
//!
//! The client does only what a scenario says, plus two things every client
//! must: it acknowledges inbound QoS 1/2 PUBLISHes (MQTT-4.3.2-2,
//! MQTT-4.3.3-2) and answers PUBREL with PUBCOMP. It never pings on its own.

mod connection;
mod scene;
mod state;
pub mod summary;
mod transport;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use lastwill_codec::{encode_to_bytes, EncodeError, Packet, ProtocolVersion};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use self::connection::{Command, Io};
pub(crate) use self::scene::lock;
pub use self::scene::{hex, ProtocolFailure, Scene};
pub use self::state::{
    ClientState, ConnectionState, EndKind, LocalClose, Received, ReceivedPublish,
};
pub use self::summary::summarize;
pub use self::transport::Transport;

/// Why the client could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("client `{0}` has no connection")]
    NoConnection(String),
    #[error("the connection of client `{0}` is closed")]
    Closed(String),
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encode the packet: {0}")]
    Encode(#[from] EncodeError),
}

/// What a wait ended with.
#[derive(Debug)]
pub enum Wait<T> {
    Got(T),
    /// The deadline passed first.
    TimedOut,
    /// Some client of the scenario received a malformed packet.
    Failed(ProtocolFailure),
}

#[derive(Debug)]
struct ConnectionHandle {
    commands: mpsc::UnboundedSender<Command>,
    silent: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

/// One scenario client and its connections (the last one is current).
#[derive(Debug)]
pub struct Client {
    name: String,
    version: ProtocolVersion,
    scene: Scene,
    state: Arc<Mutex<ClientState>>,
    connections: Vec<ConnectionHandle>,
    next_packet_id: u16,
}

impl Client {
    pub fn new(name: impl Into<String>, version: ProtocolVersion, scene: Scene) -> Self {
        Self {
            name: name.into(),
            version,
            scene,
            state: Arc::new(Mutex::new(ClientState::default())),
            connections: Vec::new(),
            next_packet_id: 0,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Starts a new connection over `transport`; it becomes the current one.
    /// Earlier connections stay as they are (open ones keep reading).
    pub fn attach(&mut self, transport: Box<dyn Transport>) -> u32 {
        let index = u32::try_from(self.connections.len()).unwrap_or(u32::MAX);
        lock(&self.state)
            .connections
            .push(ConnectionState::default());
        self.scene.transport(
            &self.name,
            index,
            "connected",
            lastwill_report::Transport::Opened,
        );
        let (commands, rx) = mpsc::unbounded_channel();
        let silent = Arc::new(AtomicBool::new(false));
        let io = Io {
            client: self.name.clone(),
            index,
            version: self.version,
            scene: self.scene.clone(),
            state: Arc::clone(&self.state),
            silent: Arc::clone(&silent),
        };
        let task = tokio::spawn(connection::run(io, transport, rx));
        self.connections.push(ConnectionHandle {
            commands,
            silent,
            task,
        });
        index
    }

    /// Index of the current connection, if the client ever connected.
    pub fn current(&self) -> Option<u32> {
        self.connections
            .len()
            .checked_sub(1)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Whether the current connection exists and neither side closed it.
    pub fn is_open(&self) -> bool {
        self.with_current(|c| c.is_open()).unwrap_or(false)
    }

    /// Whether the current connection is open and got CONNACK 0x00.
    pub fn is_session(&self) -> bool {
        self.with_current(|c| c.is_open() && c.mqtt_connected)
            .unwrap_or(false)
    }

    /// Runs `f` on the current connection's state.
    pub fn with_current<T>(&self, f: impl FnOnce(&ConnectionState) -> T) -> Option<T> {
        let index = self.current()? as usize;
        lock(&self.state).connections.get(index).map(f)
    }

    /// Runs `f` on the whole received state.
    pub fn with_state<T>(&self, f: impl FnOnce(&mut ClientState) -> T) -> T {
        f(&mut lock(&self.state))
    }

    /// Number of packets received so far on the current connection: a mark
    /// for "what arrives after this".
    pub fn mark(&self) -> usize {
        self.with_current(|c| c.received.len()).unwrap_or(0)
    }

    /// A packet identifier for the next SUBSCRIBE/UNSUBSCRIBE/PUBLISH; never 0.
    pub fn next_packet_id(&mut self) -> u16 {
        self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
        self.next_packet_id
    }

    /// Encodes `packet` in the client's version and writes it.
    pub async fn send(&self, packet: &Packet) -> Result<(), ClientError> {
        let bytes = encode_to_bytes(packet, self.version)?;
        self.send_bytes(bytes, summarize(packet)).await
    }

    /// Writes bytes as they are, with the summary the timeline shows.
    pub async fn send_bytes(&self, bytes: Bytes, summary: String) -> Result<(), ClientError> {
        self.ask(|done| Command::Send {
            bytes,
            summary,
            done,
        })
        .await?
        .map_err(ClientError::Io)
    }

    /// Orderly close of the current connection (FIN); the broker's answer
    /// is still read and recorded.
    pub async fn fin(&self) -> Result<(), ClientError> {
        self.ask(|done| Command::Fin { done })
            .await?
            .map_err(ClientError::Io)
    }

    /// Abortive close of the current connection (RST).
    pub async fn reset(&self) -> Result<(), ClientError> {
        self.ask(|done| Command::Reset { done }).await
    }

    /// From now on the current connection sends nothing at all, not even
    /// acknowledgements, so the broker's keep-alive timer runs out.
    pub fn go_silent(&self) -> Result<(), ClientError> {
        let handle = self
            .connections
            .last()
            .ok_or_else(|| ClientError::NoConnection(self.name.clone()))?;
        handle.silent.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Hands a command to the current connection's task and waits for its
    /// answer, or for the task to be gone: a task that ended without
    /// answering (it panicked, say) may leave the reply sender alive inside
    /// a command its channel never delivered (see `connection::run`), and
    /// the caller must not wait on it.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, ClientError> {
        let handle = self
            .connections
            .last()
            .ok_or_else(|| ClientError::NoConnection(self.name.clone()))?;
        let closed = || ClientError::Closed(self.name.clone());
        let (done, answer) = oneshot::channel();
        handle.commands.send(command(done)).map_err(|_| closed())?;
        tokio::select! {
            biased;
            answer = answer => answer.map_err(|_| closed()),
            () = handle.commands.closed() => Err(closed()),
        }
    }

    /// Waits until `pick` finds what it looks for in the client's state, the
    /// deadline passes, or any client of the scene receives a malformed
    /// packet. `pick` runs under the state lock on every change.
    pub async fn wait_for<T>(
        &self,
        deadline: Instant,
        mut pick: impl FnMut(&mut ClientState) -> Option<T>,
    ) -> Wait<T> {
        let mut wake = self.scene.subscribe();
        loop {
            wake.borrow_and_update();
            if let Some(failure) = self.scene.failure() {
                return Wait::Failed(failure);
            }
            if let Some(found) = pick(&mut lock(&self.state)) {
                return Wait::Got(found);
            }
            if tokio::time::timeout_at(deadline, wake.changed())
                .await
                .is_err()
            {
                break;
            }
        }
        // Something due at the very deadline may still be in flight between
        // tasks (broker timer, writer, our reader): let them run, look once more.
        for _ in 0..16 {
            tokio::task::yield_now().await;
        }
        if let Some(failure) = self.scene.failure() {
            return Wait::Failed(failure);
        }
        match pick(&mut lock(&self.state)) {
            Some(found) => Wait::Got(found),
            None => Wait::TimedOut,
        }
    }
}

impl Drop for Client {
    /// Ends every connection task, which drops (closes) its transport: a
    /// finished scenario leaves nothing open on a shared broker.
    fn drop(&mut self) {
        for handle in &self.connections {
            handle.task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// Far above anything these need on a loaded machine, far below a
    /// step's hard limit.
    const BOUND: Duration = Duration::from_secs(10);

    fn client() -> Client {
        Client::new("device", ProtocolVersion::V5, Scene::new())
    }

    /// The state tokio's mpsc channel can leave behind when a send races
    /// with the receiver's drop: the command was accepted, the task is
    /// gone, and the reply sender inside the command lives on. The caller
    /// must get `Closed`, not wait forever (the old code waited).
    #[tokio::test]
    async fn a_command_the_task_never_answers_is_closed_once_the_task_is_gone() {
        let mut client = client();
        lock(&client.state)
            .connections
            .push(ConnectionState::default());
        let (commands, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            if let Some(command) = rx.recv().await {
                // Neither answered nor dropped, as in the race.
                std::mem::forget(command);
            }
        });
        client.connections.push(ConnectionHandle {
            commands,
            silent: Arc::new(AtomicBool::new(false)),
            task,
        });
        let fin = tokio::time::timeout(BOUND, client.fin()).await;
        assert!(
            matches!(fin, Ok(Err(ClientError::Closed(_)))),
            "fin after the task ended: {fin:?}"
        );
    }

    /// The connection task outlives the connection: once the broker has
    /// closed it, commands are still received and answered `Closed`, so a
    /// command sent as the close arrives never meets a dropped receiver
    /// (the old task ended at once).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_task_keeps_taking_commands_after_the_broker_closed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let broker = tokio::spawn(async move {
            // Accept, then close at once: the client reads EOF.
            drop(listener.accept().await.expect("accept"));
        });
        let stream = TcpStream::connect(addr).await.expect("connect");
        broker.await.expect("broker");
        let mut client = client();
        client.attach(Box::new(stream));
        let ended = client
            .wait_for(Instant::now() + BOUND, |state| {
                state.connections[0].ended.clone().map(|(_, kind)| kind)
            })
            .await;
        assert!(
            matches!(ended, Wait::Got(EndKind::BrokerClosed)),
            "{ended:?}"
        );
        // The old task returned right after filing the end; give it time to.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !client.connections[0].task.is_finished(),
            "the connection task ended with its connection"
        );
        for _ in 0..3 {
            let fin = tokio::time::timeout(BOUND, client.fin()).await;
            assert!(matches!(fin, Ok(Err(ClientError::Closed(_)))), "{fin:?}");
            let send = tokio::time::timeout(BOUND, client.send(&Packet::PingReq)).await;
            assert!(matches!(send, Ok(Err(ClientError::Closed(_)))), "{send:?}");
        }
    }
}
