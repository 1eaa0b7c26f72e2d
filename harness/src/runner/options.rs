//! How a run is carried out, and how to stop it early.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::scenario::Capability;

/// Options of one run of the suite.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Embedded target: OS threads running scenarios (default: available
    /// parallelism). TCP target: scenario runs in flight at once (default 64).
    pub jobs: Option<usize>,
    /// Multiplies the upper bound of every time window, never the lower
    /// one: the lower bound is what the spec mandates (a will delay), the
    /// upper one is our patience with a slow broker or a loaded machine.
    pub timeout_scale: f64,
    /// Capabilities the target has that no CONNACK reveals
    /// (`payload_format_validation`, `will_acl_*`, `second_node`); added to
    /// those the target declares itself.
    pub capabilities: BTreeSet<Capability>,
    /// How long a step without a time window (a CONNACK, SUBACK, PUBACK or
    /// PINGRESP the harness needs to go on) may take before the scenario
    /// ends in `error`: a hung broker never hangs the run.
    pub step_timeout: Duration,
    /// Identifies the run in every `{ns}`; random unless set.
    pub run_id: u32,
    /// Set on Ctrl-C: finished results are kept, unfinished runs dropped.
    pub interrupt: Interrupt,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: None,
            timeout_scale: 1.0,
            capabilities: BTreeSet::new(),
            step_timeout: Duration::from_secs(30),
            run_id: random_run_id(),
            interrupt: Interrupt::new(),
        }
    }
}

impl RunOptions {
    /// `latest` of a time window, scaled. A scale that is not a positive
    /// number counts as 1; callers keep the result at or above `earliest`.
    pub fn scaled(&self, latest: Duration) -> Duration {
        let scale = if self.timeout_scale.is_finite() && self.timeout_scale > 0.0 {
            self.timeout_scale
        } else {
            1.0
        };
        // Capped, so that `now + window` can never overflow an Instant.
        const LONGEST: Duration = Duration::from_secs(400 * 86_400);
        Duration::try_from_secs_f64(latest.as_secs_f64() * scale)
            .unwrap_or(LONGEST)
            .min(LONGEST)
    }
}

/// A random 32-bit run identifier, from the standard library's randomly
/// seeded hasher (no RNG dependency for eight hex digits).
pub fn random_run_id() -> u32 {
    use std::hash::BuildHasher;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let hash = std::collections::hash_map::RandomState::new().hash_one(seed);
    (hash ^ (hash >> 32)) as u32
}

/// A cancellation flag shared by the CLI's Ctrl-C handler and the runner.
/// Cheap to clone; every clone sees the same flag.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    inner: Arc<InterruptInner>,
}

#[derive(Debug, Default)]
struct InterruptInner {
    set: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the run: scenario runs in progress are dropped, none start.
    pub fn interrupt(&self) {
        self.inner.set.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_interrupted(&self) -> bool {
        self.inner.set.load(Ordering::SeqCst)
    }

    /// Completes once [`interrupt`](Self::interrupt) has been called.
    pub async fn wait(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_interrupted() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upper_bound_scales() {
        let options = RunOptions {
            timeout_scale: 2.0,
            ..RunOptions::default()
        };
        assert_eq!(
            options.scaled(Duration::from_secs(3)),
            Duration::from_secs(6)
        );
        let broken = RunOptions {
            timeout_scale: f64::NAN,
            ..RunOptions::default()
        };
        assert_eq!(
            broken.scaled(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
    }

    #[tokio::test]
    async fn interrupt_wakes_waiters_and_stays_set() {
        let interrupt = Interrupt::new();
        let waiter = tokio::spawn({
            let interrupt = interrupt.clone();
            async move { interrupt.wait().await }
        });
        tokio::task::yield_now().await;
        interrupt.interrupt();
        waiter.await.expect("woken");
        interrupt.wait().await;
        assert!(interrupt.is_interrupted());
    }
}
