//! Closing sockets off the will path.
//!
//! When thousands of clients vanish at once (a network partition, a load
//! balancer restart), the broker owes each a will (MQTT-3.1.2-8) and each a
//! `close`. Tearing a TCP socket down (the `epoll` removal and the kernel's
//! socket destruction) costs more CPU than routing the will it triggered: in
//! a storm of 10,000 resets it was some 40 % of the broker's time, spent on
//! the same two cores that deliver the wills. A connection task therefore
//! hands its finished TCP stream to one low-priority thread, which closes
//! them when the cores are otherwise idle. Nothing is owed to a peer at that
//! point: the stream has already failed, or was shut down (FIN sent) by the
//! connection task.
//!
//! The thread runs at the lowest `nice` level, so under sustained overload
//! it gets a small share rather than none; past [`MAX_BACKLOG`] streams
//! waiting, a task closes its own stream, so descriptors held open by the
//! reaper stay bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};

use std::net::TcpStream;

/// Streams waiting to be closed, past which a task closes its own.
const MAX_BACKLOG: usize = 16 * 1024;

/// The `nice` value of the reaper thread: the lowest priority.
#[cfg(target_os = "linux")]
const REAPER_NICE: i32 = 19;

#[derive(Debug)]
struct Reaper {
    streams: mpsc::Sender<TcpStream>,
    backlog: Arc<AtomicUsize>,
}

/// One reaper for the process: the broker can run many servers (tests do),
/// and a thread per server would add nothing.
static REAPER: OnceLock<Option<Reaper>> = OnceLock::new();

/// Closes `stream` soon, on the reaper thread, or now if the reaper is
/// behind or could not be started.
pub(super) fn close_later(stream: TcpStream) {
    let Some(reaper) = REAPER.get_or_init(Reaper::start) else {
        return drop(stream);
    };
    if reaper.backlog.load(Ordering::Relaxed) >= MAX_BACKLOG {
        return drop(stream);
    }
    reaper.backlog.fetch_add(1, Ordering::Relaxed);
    if let Err(mpsc::SendError(stream)) = reaper.streams.send(stream) {
        reaper.backlog.fetch_sub(1, Ordering::Relaxed);
        drop(stream);
    }
}

impl Reaper {
    fn start() -> Option<Self> {
        let (streams, received) = mpsc::channel::<TcpStream>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&backlog);
        let spawned = std::thread::Builder::new()
            .name("lastwill-reaper".into())
            .spawn(move || {
                lower_priority();
                for stream in received {
                    drop(stream);
                    counted.fetch_sub(1, Ordering::Relaxed);
                }
            });
        match spawned {
            Ok(_) => Some(Self { streams, backlog }),
            Err(error) => {
                tracing::warn!(%error, "no reaper thread: connections close inline");
                None
            }
        }
    }
}

/// Linux gives each thread its own nice value, so this lowers the reaper
/// alone.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let thread = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(thread), REAPER_NICE) {
        tracing::debug!(%error, "reaper thread keeps the normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reaper really closes: the peer sees end of stream.
    #[test]
    fn a_reaped_stream_is_closed() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        let mut client = TcpStream::connect(address).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        close_later(server);
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        let mut byte = [0u8; 1];
        let read = client.read(&mut byte);
        assert!(
            matches!(read, Ok(0)),
            "the reaper closes within 10 s: {read:?}"
        );
    }
}
