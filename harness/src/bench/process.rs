//! The broker process seen from outside: its resident memory
//! (`/proc/PID/status`) and SIGSTOP / SIGCONT through the `kill` command
//! (the workspace forbids `unsafe`, so there is no libc binding).

use std::io;
use std::process::Command;

/// A broker's process id, for memory figures and freezing.
#[derive(Clone, Copy, Debug)]
pub struct BrokerProcess {
    pub pid: u32,
}

impl BrokerProcess {
    /// Resident set size in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> io::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| io::Error::other("no VmRSS line"))
    }

    /// Stops the process (SIGSTOP): the kernel still completes handshakes
    /// and takes resets, but the broker runs no code until [`Self::resume`].
    pub fn freeze(&self) -> io::Result<()> {
        self.signal("STOP")
    }

    /// SIGCONT.
    pub fn resume(&self) -> io::Result<()> {
        self.signal("CONT")
    }

    fn signal(&self, name: &str) -> io::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid.to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "kill -{name} {} failed",
                self.pid
            )))
        }
    }
}

/// This process's soft limit on open files (`/proc/self/limits`), if known.
pub fn file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
