//! Brokers the harness starts and stops itself: every process target
//! profile (`target::launched`), and through them `lastwill run --target`,
//! `lastwill matrix` and `lastwill fuzz --target`.
//!
//! [`LaunchedBroker::start`] spawns the process on a free loopback port,
//! copies its stdout and stderr line by line into a log file (and keeps the
//! last lines in memory for reports), and returns once the broker answers an
//! MQTT CONNECT with CONNACK. [`LaunchedBroker::stop`] sends SIGTERM, waits a
//! little, then kills; dropping the value kills the child, so a test that
//! fails half-way leaves no broker behind.
//!
//! Decisions:
//! - The port is picked by binding `127.0.0.1:0` and releasing it, then
//!   written into the broker's arguments or config: every broker can be
//!   started that way. The small race for the port is handled by the
//!   profile launcher, which retries on a broker that did not come up.
//! - Readiness is an MQTT exchange, not a log line: some brokers log
//!   before they listen.
//! - SIGTERM goes through the `kill` command, because the workspace forbids
//!   `unsafe` and has no libc binding.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Lines of the broker's output kept in memory for [`LaunchedBroker::log_tail`].
const TAIL_LINES: usize = 200;

/// Which broker to start: `PROGRAM ARGS...` (in `dir` when given),
/// listening on `port` on loopback. The caller picked the port (see
/// [`free_port`]) and wrote it into the arguments or a config file; target
/// profiles do exactly that (`target::launched`).
#[derive(Clone, Debug)]
pub struct LaunchSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub port: u16,
    pub dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

/// Why a broker could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the broker did not become ready within {seconds} s: {reason}\n{tail}")]
    NotReady {
        seconds: u64,
        reason: String,
        tail: String,
    },
}

/// A broker process the harness owns.
#[derive(Debug)]
pub struct LaunchedBroker {
    child: Child,
    address: SocketAddr,
    tail: Arc<Mutex<VecDeque<String>>>,
    exited: Option<ExitStatus>,
}

impl LaunchedBroker {
    /// Starts the broker, logging to `log` (created or truncated), and waits
    /// up to `ready_within` until it answers CONNECT.
    pub fn start(
        spec: &LaunchSpec,
        log: &Path,
        ready_within: Duration,
    ) -> Result<Self, LaunchError> {
        Self::start_probing(
            spec,
            log,
            ready_within,
            &crate::fuzz::health::probe_blocking,
        )
    }

    /// [`Self::start`] with another readiness probe (over TLS, say:
    /// `tls::probe::probe_blocking`); `probe` gets the address and a timeout.
    pub fn start_probing(
        spec: &LaunchSpec,
        log: &Path,
        ready_within: Duration,
        probe: &dyn Fn(SocketAddr, Duration) -> Result<(), String>,
    ) -> Result<Self, LaunchError> {
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LaunchError::Write { path, source }
        };
        let log_file = File::create(log).map_err(write_err(log))?;
        let log_file = Arc::new(Mutex::new(log_file));
        let mut command = Command::new(&spec.program);
        command
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &spec.dir {
            command.current_dir(dir);
        }
        let program = format!("{:?}", command.get_program());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| LaunchError::Spawn { program, source })?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            copy_lines(out, Arc::clone(&log_file), Arc::clone(&tail));
        }
        if let Some(err) = child.stderr.take() {
            copy_lines(err, log_file, Arc::clone(&tail));
        }
        let mut broker = Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], spec.port)),
            tail,
            exited: None,
        };
        let deadline = Instant::now() + ready_within;
        let not_ready = |broker: &mut Self, reason: String| LaunchError::NotReady {
            seconds: ready_within.as_secs(),
            reason,
            tail: broker.log_tail(20),
        };
        loop {
            if let Some(status) = broker.has_exited() {
                return Err(not_ready(&mut broker, format!("it exited ({status})")));
            }
            match probe(broker.address, Duration::from_secs(2)) {
                Ok(()) => return Ok(broker),
                Err(reason) if Instant::now() > deadline => {
                    return Err(not_ready(&mut broker, reason))
                }
                Err(_) => thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// `tcp://127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("tcp://{}", self.address)
    }

    pub fn socket_addr(&self) -> SocketAddr {
        self.address
    }

    /// The operating-system process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, once the process has ended (without blocking).
    pub fn has_exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// The last `lines` lines the broker wrote to stdout and stderr.
    pub fn log_tail(&self, lines: usize) -> String {
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        let skip = tail.len().saturating_sub(lines);
        tail.iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Kills the process at once (SIGKILL), as a crash would end it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        if let Ok(status) = self.child.wait() {
            self.exited = Some(status);
        }
    }

    /// SIGTERM, up to `grace` for the process to end, then SIGKILL. Returns
    /// the exit status.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.has_exited() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.has_exited() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        self.exited
    }
}

impl Drop for LaunchedBroker {
    fn drop(&mut self) {
        if self.has_exited().is_none() {
            self.kill();
        }
    }
}

/// A port the kernel just handed out on loopback (released again, so a
/// small race with other programs remains).
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A thread copying `from` line by line to the log and the tail.
fn copy_lines(
    from: impl io::Read + Send + 'static,
    log: Arc<Mutex<File>>,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let spawned = thread::Builder::new()
        .name("broker-log".into())
        .spawn(move || {
            for line in BufReader::new(from).lines() {
                let Ok(line) = line else { break };
                {
                    let mut file = log.lock().unwrap_or_else(PoisonError::into_inner);
                    let _ = writeln!(file, "{line}");
                }
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot copy the broker's output: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let dir = std::env::temp_dir().join(format!("lw-launch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let spec = LaunchSpec {
            program: "/nonexistent/mosquitto".into(),
            args: Vec::new(),
            port: 1,
            dir: None,
            env: Vec::new(),
        };
        let error = LaunchedBroker::start(&spec, &dir.join("broker.log"), Duration::from_secs(1))
            .expect_err("no such program");
        assert!(matches!(error, LaunchError::Spawn { .. }), "{error}");
    }
}
