//! The ledger: every will the soak's clients registered, what the broker
//! must do with it, and every will the subscribers saw. Client tasks and
//! subscriber tasks write to it as things happen; the verdict is taken
//! once, at the end, so the order in which a will's close and its arrival
//! are recorded does not matter.
//!
//! Every expected will is required on every subscriber, exactly once, by
//! its deadline. Each subscription is QoS 2 on loopback to a healthy
//! broker, and wills are never retained, so a will at QoS 0 has no excuse
//! to be lost either: a missing QoS 0 will counts as missing.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;

use super::plan::{Ending, Window};

/// A will: the client slot that sent it and the slot's cycle number,
/// carried as the will payload `SLOT:SEQ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WillKey {
    pub slot: u32,
    pub seq: u32,
}

impl WillKey {
    pub fn payload(self) -> String {
        format!("{}:{}", self.slot, self.seq)
    }

    pub fn parse(payload: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(payload).ok()?;
        let (slot, seq) = text.split_once(':')?;
        Some(Self {
            slot: slot.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

/// Where a will stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Its connection is (or may still be) live.
    Open,
    Settled(Window),
    /// The tool lost track of the connection (an error on its side, or a
    /// resume that came too late to count as inside the delay): neither
    /// required nor forbidden.
    Void,
}

#[derive(Debug)]
struct Entry {
    ending: Ending,
    status: Status,
    /// (subscriber, arrival).
    arrivals: Vec<(usize, Instant)>,
}

/// Counts for one ending, or for all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Wills the broker had to publish.
    pub expected: u64,
    /// Expected wills every subscriber received at least once.
    pub delivered: u64,
    /// Expected wills some subscriber had not received by the deadline.
    pub missing: u64,
    /// Wills some subscriber received more than once (MQTT-3.1.2-10).
    pub duplicated: u64,
    /// Expected wills that arrived after their deadline.
    pub late: u64,
    /// Delayed wills that arrived before their Will Delay Interval passed.
    pub early: u64,
    /// Wills the broker must not publish.
    pub forbidden: u64,
    /// Forbidden wills that were published anyway.
    pub unexpected: u64,
    /// Expected wills still within their deadline (only mid-run).
    pub pending: u64,
    /// Wills the tool lost track of (see `client_errors`).
    pub void: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.expected += other.expected;
        self.delivered += other.delivered;
        self.missing += other.missing;
        self.duplicated += other.duplicated;
        self.late += other.late;
        self.early += other.early;
        self.forbidden += other.forbidden;
        self.unexpected += other.unexpected;
        self.pending += other.pending;
        self.void += other.void;
    }

    /// Whether the broker broke a will rule.
    pub fn violations(&self) -> u64 {
        self.missing + self.duplicated + self.late + self.early + self.unexpected
    }
}

/// The ledger's verdict at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub total: Counts,
    pub by_ending: BTreeMap<Ending, Counts>,
    /// Will-namespace messages that name no registered will; each one is
    /// also counted in `total.unexpected`.
    pub unknown: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Ledger {
    subscribers: usize,
    entries: HashMap<WillKey, Entry>,
    unknown: u64,
}

impl Ledger {
    pub fn new(subscribers: usize) -> Self {
        Self {
            subscribers,
            entries: HashMap::new(),
            unknown: 0,
        }
    }

    /// A will about to be sent in a CONNECT.
    pub fn open(&mut self, key: WillKey, ending: Ending) {
        self.entries.insert(
            key,
            Entry {
                ending,
                status: Status::Open,
                arrivals: Vec::new(),
            },
        );
    }

    /// The connection ended: the will is now due in `window`, or forbidden.
    pub fn settle(&mut self, key: WillKey, window: Window) {
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.status = Status::Settled(window);
        }
    }

    pub fn void(&mut self, key: WillKey) {
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.status = Status::Void;
        }
    }

    /// A will seen by `subscriber`; `None` when the message named no will.
    pub fn arrive(&mut self, subscriber: usize, key: Option<WillKey>, at: Instant) {
        match key.and_then(|key| self.entries.get_mut(&key)) {
            Some(entry) => entry.arrivals.push((subscriber, at)),
            None => self.unknown += 1,
        }
    }

    /// True once nothing more is awaited at `now`: no will open, and every
    /// expected will delivered to every subscriber or past its deadline.
    pub fn settled(&self, now: Instant) -> bool {
        self.entries.values().all(|entry| match entry.status {
            Status::Open => false,
            Status::Void | Status::Settled(Window::Forbidden) => true,
            Status::Settled(Window::Publish { deadline, .. }) => {
                now >= deadline || self.received_by_all(entry)
            }
        })
    }

    fn received_by_all(&self, entry: &Entry) -> bool {
        (0..self.subscribers).all(|s| entry.arrivals.iter().any(|&(by, _)| by == s))
    }

    /// The verdict as of `now`.
    pub fn tally(&self, now: Instant) -> Tally {
        let mut tally = Tally {
            unknown: self.unknown,
            ..Tally::default()
        };
        for entry in self.entries.values() {
            let counts = self.judge(entry, now);
            tally
                .by_ending
                .entry(entry.ending)
                .or_default()
                .add(&counts);
            tally.total.add(&counts);
        }
        tally.total.unexpected += self.unknown;
        tally
    }

    fn judge(&self, entry: &Entry, now: Instant) -> Counts {
        let mut counts = Counts::default();
        let per_subscriber = |s: usize| entry.arrivals.iter().filter(|&&(by, _)| by == s).count();
        if (0..self.subscribers).any(|s| per_subscriber(s) > 1) {
            counts.duplicated = 1;
        }
        match entry.status {
            Status::Open => counts.pending = 1,
            Status::Void => {
                counts.void = 1;
                counts.duplicated = 0;
            }
            Status::Settled(Window::Forbidden) => {
                counts.forbidden = 1;
                counts.unexpected = u64::from(!entry.arrivals.is_empty());
            }
            Status::Settled(Window::Publish { earliest, deadline }) => {
                counts.expected = 1;
                if self.received_by_all(entry) {
                    counts.delivered = 1;
                } else if now >= deadline {
                    counts.missing = 1;
                } else {
                    counts.pending = 1;
                }
                counts.late = u64::from(entry.arrivals.iter().any(|&(_, at)| at > deadline));
                counts.early = u64::from(
                    earliest.is_some_and(|e| entry.arrivals.iter().any(|&(_, at)| at < e)),
                );
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(seq: u32) -> WillKey {
        WillKey { slot: 1, seq }
    }

    #[test]
    fn payloads_round_trip() {
        assert_eq!(WillKey::parse(key(7).payload().as_bytes()), Some(key(7)));
        assert_eq!(WillKey::parse(b"7"), None);
        assert_eq!(WillKey::parse(b"\xff:1"), None);
    }

    #[test]
    fn the_verdict_counts_each_kind_of_failure() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let due = Window::Publish {
            earliest: Some(t0 + s(2)),
            deadline: t0 + s(10),
        };
        let mut ledger = Ledger::new(2);
        for seq in 1..=7 {
            ledger.open(key(seq), Ending::Reset);
            ledger.settle(key(seq), due);
        }
        // 1: delivered to both. 2: only one subscriber. 3: twice on one.
        // 4: late. 5: early. 6: never. 7: void.
        let arrivals = [
            (1, 0, 3),
            (1, 1, 3),
            (2, 0, 3),
            (3, 0, 3),
            (3, 1, 3),
            (3, 1, 4),
            (4, 0, 11),
            (4, 1, 3),
            (5, 0, 1),
            (5, 1, 3),
        ];
        for (seq, sub, secs) in arrivals {
            ledger.arrive(sub, Some(key(seq)), t0 + s(secs));
        }
        ledger.void(key(7));
        ledger.open(key(8), Ending::NormalDisconnect);
        ledger.settle(key(8), Window::Forbidden);
        ledger.arrive(0, Some(key(8)), t0 + s(1));
        ledger.arrive(0, None, t0 + s(1));

        let mid = ledger.tally(t0 + s(5));
        assert_eq!((mid.total.missing, mid.total.pending), (0, 2));
        assert!(!ledger.settled(t0 + s(5)));
        assert!(ledger.settled(t0 + s(10)));

        let end = ledger.tally(t0 + s(10));
        let want = Counts {
            expected: 6,
            delivered: 4,
            missing: 2,
            duplicated: 1,
            late: 1,
            early: 1,
            forbidden: 1,
            unexpected: 2,
            pending: 0,
            void: 1,
        };
        assert_eq!(end.total, want);
        assert_eq!(end.unknown, 1);
        assert_eq!(end.by_ending[&Ending::NormalDisconnect].unexpected, 1);
    }
}
