//! Plain TCP connections, served by one thread on one `epoll` set instead
//! of one tokio task each.
//!
//! Why: a broker holds many connections that do nothing for minutes (a
//! device with a will, waiting). Served by a tokio task, each such
//! connection cost a task (384 bytes, cache-line aligned) and an I/O
//! registration (256 bytes, aligned) before any MQTT state: over a third of
//! the broker's memory per idle connection, twice mosquitto's whole cost
//! (`reports/performance.md`, section 2). Here an idle connection is a
//! descriptor and a 24-byte [`Socket`] in a map, keyed by its
//! [`ConnectionId`], which is also its `epoll` token.
//!
//! The reactor only moves bytes, like the connection tasks it replaces
//! (`connection::serve`, still used for in-memory, TLS and WebSocket
//! streams): it reports what it read, how a stream ended and how much it
//! wrote ([`Inbound`]), and writes and closes when the driver says so
//! ([`ReactorHandle`]). The same read budget and close linger apply. A
//! finished socket is closed by the reaper (`super::reaper`), after the
//! driver has its end.

mod socket;

use std::collections::HashMap;
use std::io;
use std::net::Shutdown;
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::{Events, Interest, Poll, Token, Waker};
use tokio::sync::{mpsc, oneshot};

use self::socket::{ReadEnd, Socket, WriteEnd, READ_BUDGET};
use super::connection::Inbound;
use crate::core::event::TransportClose;
use crate::time::ConnectionId;

/// The waker's token; connection tokens are connection ids, which start
/// at 1 and only grow.
const WAKER: Token = Token(usize::MAX);

/// Bytes one read takes at most (one scratch buffer for every socket: what
/// is read is copied out at its real size).
const READ_CHUNK: usize = 64 * 1024;

/// How long a closing connection may take to write its last packets.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// A connection's `epoll` token: its id (ids start at 1 and only grow, so
/// they never reach [`WAKER`] on a 64-bit target).
fn token_of(conn: ConnectionId) -> Token {
    Token(usize::try_from(conn.0).unwrap_or(usize::MAX - 1))
}

/// What the driver asks of the reactor.
#[derive(Debug)]
enum Command {
    Open(ConnectionId, std::net::TcpStream),
    Send(ConnectionId, Bytes),
    /// Write what is queued, then close (FIN).
    Close(ConnectionId),
    /// The driver handled this many bytes read from the connection.
    Credit(ConnectionId, usize),
    /// Answer once no closing connection has bytes left to write.
    Drained(oneshot::Sender<()>),
}

/// The driver's end: commands are batched and sent with one wake-up per
/// [`flush`](Self::flush). Dropping it stops the reactor, which closes
/// every connection it still holds.
#[derive(Debug)]
pub(super) struct ReactorHandle {
    commands: Option<std_mpsc::Sender<Vec<Command>>>,
    batch: Vec<Command>,
    waker: Arc<Waker>,
}

impl ReactorHandle {
    /// Starts the reactor thread; what it reads goes to `inbound`.
    pub fn start(inbound: mpsc::UnboundedSender<Inbound>) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (commands, received) = std_mpsc::channel();
        let reactor = Reactor {
            poll,
            commands: received,
            inbound,
            sockets: HashMap::new(),
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            lingering: Vec::new(),
            drained: Vec::new(),
            dirty: Vec::new(),
        };
        std::thread::Builder::new()
            .name("lastwill-tcp".into())
            .spawn(move || reactor.run())?;
        Ok(Self {
            commands: Some(commands),
            batch: Vec::new(),
            waker,
        })
    }

    pub fn open(&mut self, conn: ConnectionId, stream: std::net::TcpStream) {
        self.batch.push(Command::Open(conn, stream));
    }

    pub fn send(&mut self, conn: ConnectionId, bytes: Bytes) {
        self.batch.push(Command::Send(conn, bytes));
    }

    pub fn close(&mut self, conn: ConnectionId) {
        self.batch.push(Command::Close(conn));
    }

    pub fn return_credit(&mut self, conn: ConnectionId, count: usize) {
        self.batch.push(Command::Credit(conn, count));
    }

    /// Completes once every connection asked to close has written its
    /// backlog (or given up on it); sent with the next flush.
    pub fn drained(&mut self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.batch.push(Command::Drained(tx));
        rx
    }

    /// Hands the batched commands to the reactor.
    pub fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if let Some(commands) = &self.commands {
            if commands.send(batch).is_ok() {
                let _ = self.waker.wake();
            }
        }
    }
}

impl Drop for ReactorHandle {
    fn drop(&mut self) {
        self.flush();
        self.commands = None;
        let _ = self.waker.wake();
    }
}

struct Reactor {
    poll: Poll,
    commands: std_mpsc::Receiver<Vec<Command>>,
    inbound: mpsc::UnboundedSender<Inbound>,
    sockets: HashMap<ConnectionId, Socket>,
    scratch: Box<[u8]>,
    /// Closing connections with a backlog, and when they are given up.
    lingering: Vec<(Instant, ConnectionId)>,
    drained: Vec<oneshot::Sender<()>>,
    /// Connections given bytes to write by the commands being taken.
    dirty: Vec<ConnectionId>,
}

impl Reactor {
    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self
                .lingering
                .iter()
                .map(|(at, _)| *at)
                .min()
                .map(|at| at.saturating_duration_since(Instant::now()));
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!(%error, "tcp reactor: poll failed; its connections are closed");
                return;
            }
            for event in &events {
                if event.token() == WAKER {
                    continue;
                }
                let conn = ConnectionId(event.token().0 as u64);
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read(conn);
                }
                if event.is_writable() || event.is_write_closed() || event.is_error() {
                    self.write(conn);
                }
            }
            if !self.take_commands() {
                return;
            }
            self.expire_lingering();
            if !self.drained.is_empty() && self.sockets.values().all(|s| !s.closing) {
                for waiter in self.drained.drain(..) {
                    let _ = waiter.send(());
                }
            }
        }
    }

    /// Carries out every batch queued; `false` once the driver is gone.
    fn take_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(batch) => {
                    for command in batch {
                        self.command(command);
                    }
                }
                Err(std_mpsc::TryRecvError::Empty) => break,
                Err(std_mpsc::TryRecvError::Disconnected) => return false,
            }
        }
        // One write per connection for everything the batches queued: a
        // storm of wills to one subscriber costs a write per batch, not
        // per will.
        let dirty = std::mem::take(&mut self.dirty);
        for &conn in &dirty {
            self.write(conn);
        }
        self.dirty = dirty;
        self.dirty.clear();
        true
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Open(conn, stream) => self.open(conn, stream),
            Command::Send(conn, bytes) => {
                if let Some(socket) = self.sockets.get_mut(&conn) {
                    if socket.backlog.is_none() && !socket.wants_writable {
                        self.dirty.push(conn);
                    }
                    socket.queue(bytes);
                }
            }
            Command::Close(conn) => {
                let Some(socket) = self.sockets.get_mut(&conn) else {
                    return;
                };
                socket.closing = true;
                if socket.backlog.is_none() {
                    self.finish(conn);
                } else {
                    // A peer that reads nothing must not hold a closed
                    // connection forever.
                    self.lingering.push((Instant::now() + CLOSE_LINGER, conn));
                }
            }
            Command::Credit(conn, count) => {
                let Some(socket) = self.sockets.get_mut(&conn) else {
                    return;
                };
                let count = u32::try_from(count).unwrap_or(u32::MAX);
                socket.unhandled = socket.unhandled.saturating_sub(count);
                if socket.read_paused && socket.unhandled < READ_BUDGET {
                    socket.read_paused = false;
                    self.read(conn);
                }
            }
            Command::Drained(waiter) => self.drained.push(waiter),
        }
    }

    fn open(&mut self, conn: ConnectionId, stream: std::net::TcpStream) {
        let mut stream = mio::net::TcpStream::from_std(stream);
        if let Err(error) =
            self.poll
                .registry()
                .register(&mut stream, token_of(conn), Interest::READABLE)
        {
            tracing::warn!(%error, "{conn}: not served");
            self.report(Inbound::Closed(conn, TransportClose::Error));
            return;
        }
        self.sockets.insert(conn, Socket::new(stream));
    }

    fn read(&mut self, conn: ConnectionId) {
        let Some(socket) = self.sockets.get_mut(&conn) else {
            return;
        };
        if !socket.reading {
            return;
        }
        let inbound = &self.inbound;
        let end = socket.read(&mut self.scratch, |bytes| {
            let _ = inbound.send(Inbound::Bytes(conn, bytes));
        });
        match end {
            ReadEnd::Drained => {}
            ReadEnd::Eof => self.report(Inbound::Closed(conn, TransportClose::PeerClosed)),
            // Nothing more can be written either: the socket goes at once,
            // as a task-served connection's does.
            ReadEnd::Failed => {
                self.report(Inbound::Closed(conn, TransportClose::Error));
                self.drop_socket(conn);
            }
        }
    }

    fn write(&mut self, conn: ConnectionId) {
        let Some(socket) = self.sockets.get_mut(&conn) else {
            return;
        };
        let mut written = 0;
        let end = socket.write(&mut written);
        let reading = socket.reading;
        if written > 0 {
            self.report(Inbound::Written(conn, written));
        }
        match end {
            WriteEnd::Empty => self.write_done(conn),
            WriteEnd::Blocked => self.want_writable(conn, true),
            WriteEnd::Failed => {
                if reading {
                    self.report(Inbound::Closed(conn, TransportClose::Error));
                }
                self.drop_socket(conn);
            }
        }
    }

    /// The backlog is written: back to reading only, and a requested close
    /// happens now.
    fn write_done(&mut self, conn: ConnectionId) {
        self.want_writable(conn, false);
        if self.sockets.get(&conn).is_some_and(|s| s.closing) {
            self.finish(conn);
        }
    }

    fn want_writable(&mut self, conn: ConnectionId, wanted: bool) {
        let Some(socket) = self.sockets.get_mut(&conn) else {
            return;
        };
        if socket.wants_writable == wanted {
            return;
        }
        socket.wants_writable = wanted;
        let interest = if wanted {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if self
            .poll
            .registry()
            .reregister(&mut socket.stream, token_of(conn), interest)
            .is_err()
        {
            self.report(Inbound::Closed(conn, TransportClose::Error));
            self.drop_socket(conn);
        }
    }

    /// An orderly close: FIN after the last byte.
    fn finish(&mut self, conn: ConnectionId) {
        if let Some(socket) = self.sockets.remove(&conn) {
            let _ = socket.stream.shutdown(Shutdown::Write);
            super::reaper::close_later(socket.stream.into());
        }
    }

    fn drop_socket(&mut self, conn: ConnectionId) {
        if let Some(socket) = self.sockets.remove(&conn) {
            super::reaper::close_later(socket.stream.into());
        }
    }

    /// Closing connections whose backlog outlived [`CLOSE_LINGER`] are
    /// dropped unwritten.
    fn expire_lingering(&mut self) {
        if self.lingering.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut expired = Vec::new();
        self.lingering.retain(|&(at, conn)| {
            let due = at <= now;
            if due {
                expired.push(conn);
            }
            !due
        });
        for conn in expired {
            let stuck = self.sockets.get(&conn).is_some_and(|s| s.backlog.is_some());
            if stuck {
                tracing::debug!("{conn}: closed with its last packets unwritten");
                self.drop_socket(conn);
            }
        }
    }

    fn report(&self, message: Inbound) {
        let _ = self.inbound.send(message);
    }
}
