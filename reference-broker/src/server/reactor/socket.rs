//! One TCP connection as the reactor holds it: the stream, the read credit,
//! and the bytes still to write. An idle connection is these 24 bytes and
//! its map slot; the write backlog is allocated only while bytes wait.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};

use bytes::{Buf, Bytes};
use mio::net::TcpStream;

/// Bytes read and not yet handled by the driver, past which a connection
/// stops being read (the same bound as a task-served connection's).
pub(super) const READ_BUDGET: u32 = 128 * 1024;

/// Bytes handed to one `writev` at most, and slices in it.
const MAX_WRITE_BATCH: usize = 64 * 1024;
const MAX_WRITE_SLICES: usize = 512;

#[derive(Debug)]
pub(super) struct Socket {
    pub stream: TcpStream,
    /// Bytes read and handed to the driver, not yet handled.
    pub unhandled: u32,
    /// Still reading: no end of stream or error seen.
    pub reading: bool,
    /// Reading stopped at [`READ_BUDGET`] with bytes possibly pending; the
    /// socket is read again when credit returns (its readiness edge is gone).
    pub read_paused: bool,
    /// Registered for writability because a write would have blocked.
    pub wants_writable: bool,
    /// The driver asked for a close: it happens once the backlog is written.
    pub closing: bool,
    pub backlog: Option<Box<Backlog>>,
}

/// Bytes queued for a connection and not yet written.
#[derive(Debug, Default)]
pub(super) struct Backlog {
    queue: VecDeque<Bytes>,
}

/// What one read turn ended with.
#[derive(Debug)]
pub(super) enum ReadEnd {
    /// Nothing more to read now (would block, or the budget is spent).
    Drained,
    /// End of stream: the peer's FIN.
    Eof,
    /// A reset or another failure.
    Failed,
}

/// What one write turn ended with.
#[derive(Debug)]
pub(super) enum WriteEnd {
    /// Everything queued is written.
    Empty,
    /// The socket is full; writability is awaited.
    Blocked,
    Failed,
}

impl Socket {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            unhandled: 0,
            reading: true,
            read_paused: false,
            wants_writable: false,
            closing: false,
            backlog: None,
        }
    }

    /// Reads until the socket would block (edge-triggered readiness demands
    /// it), the budget is spent, or the stream ends; `deliver` gets each
    /// chunk read.
    pub fn read(&mut self, scratch: &mut [u8], mut deliver: impl FnMut(Bytes)) -> ReadEnd {
        loop {
            if self.unhandled >= READ_BUDGET {
                self.read_paused = true;
                return ReadEnd::Drained;
            }
            match (&self.stream).read(scratch) {
                Ok(0) => {
                    self.reading = false;
                    return ReadEnd::Eof;
                }
                Ok(n) => {
                    self.unhandled = self
                        .unhandled
                        .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
                    deliver(Bytes::copy_from_slice(&scratch[..n]));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return ReadEnd::Drained,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.reading = false;
                    return ReadEnd::Failed;
                }
            }
        }
    }

    pub fn queue(&mut self, bytes: Bytes) {
        self.backlog
            .get_or_insert_with(Box::default)
            .queue
            .push_back(bytes);
    }

    /// Writes what is queued, batched, until done or blocked; adds the bytes
    /// written to `written`.
    pub fn write(&mut self, written: &mut usize) -> WriteEnd {
        let Some(backlog) = self.backlog.as_mut() else {
            return WriteEnd::Empty;
        };
        loop {
            let mut slices = [IoSlice::new(&[]); MAX_WRITE_SLICES];
            let (mut count, mut size) = (0, 0);
            for bytes in backlog.queue.iter().take(MAX_WRITE_SLICES) {
                if size >= MAX_WRITE_BATCH {
                    break;
                }
                slices[count] = IoSlice::new(bytes);
                count += 1;
                size += bytes.len();
            }
            if count == 0 {
                self.backlog = None;
                return WriteEnd::Empty;
            }
            match (&self.stream).write_vectored(&slices[..count]) {
                Ok(0) => return WriteEnd::Failed,
                Ok(n) => {
                    *written += n;
                    backlog.advance(n);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    return WriteEnd::Blocked
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return WriteEnd::Failed,
            }
        }
    }
}

impl Backlog {
    /// Drops `count` written bytes from the front of the queue.
    fn advance(&mut self, mut count: usize) {
        while count > 0 {
            let Some(front) = self.queue.front_mut() else {
                return;
            };
            if count < front.len() {
                front.advance(count);
                return;
            }
            count -= front.len();
            self.queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_crosses_and_splits_queued_buffers() {
        let mut backlog = Backlog::default();
        for chunk in [&b"abc"[..], b"de", b"fghij"] {
            backlog.queue.push_back(Bytes::from_static(chunk));
        }
        backlog.advance(4);
        let left: Vec<&[u8]> = backlog.queue.iter().map(|b| &b[..]).collect();
        assert_eq!(left, vec![&b"e"[..], b"fghij"]);
        backlog.advance(6);
        assert!(backlog.queue.is_empty());
    }
}
