//! Wills from CONNECT to publication. A connection holds its will as
//! [`WillState::Armed`]; when the connection ends, [`decide_will`] says
//! whether it is dropped, published, or handed to the [`WillScheduler`] as a
//! pending will with a due time.
//!
//! [`decide_will`]: super::close_cause::decide_will

use super::ClientId;
use std::collections::BTreeMap;

use lastwill_codec::{MqttString, ProtocolVersion, Will};

use super::close_cause::WillTrigger;
use super::timer::{SessionTimer, TimerTable};
use crate::time::Timestamp;

/// A will accepted with its CONNECT, with the identity it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredWill {
    pub client_id: ClientId,
    /// The CONNECT's User Name: a will is authorized as its client's own
    /// PUBLISH would be (catalogue E7).
    pub username: Option<MqttString>,
    pub version: ProtocolVersion,
    pub will: Will,
}

impl StoredWill {
    /// Will Delay Interval in seconds; 3.1.1 has none.
    pub fn delay(&self) -> u32 {
        if self.version.is_v5() {
            self.will.properties.will_delay_interval.unwrap_or(0)
        } else {
            0
        }
    }
}

/// The will of one connection.
///
/// ```text
///   CONNECT accepted with Will Flag 1 (MQTT-3.1.2-8 / 5.0 MQTT-3.1.2-7)
///          │
///          ▼
///      ┌───────┐  3.1.1 DISCONNECT, 5.0 DISCONNECT 0x00
///      │ Armed │ ─────────────────────────────────────────────► Spent (dropped)
///      └───────┘
///          │ connection ends any other way
///          ├─ 3.1.1 · Will Delay 0 · session ends · shutdown ──► Spent (published)
///          ▼ Will Delay > 0 and the session lives on
///   ┌──────────────┐  same session resumed, Clean Start 0
///   │ Pending      │ ───────────────────────────────────────► dropped (MQTT-3.1.3-9)
///   │ (scheduler)  │
///   └──────────────┘
///          │ delay passed · session expired · Clean Start 1 · shutdown
///          ▼
///      published, exactly once (MQTT-3.1.2-10)
/// ```
///
/// `Spent` is kept rather than `Absent` so that a will is never handled twice
/// when shutdown publishes wills before closing their connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum WillState {
    /// The CONNECT had no will.
    #[default]
    Absent,
    Armed(Box<StoredWill>),
    /// Published or dropped already.
    Spent,
}

impl WillState {
    /// Takes an armed will, leaving `Spent`; `None` if there is none.
    pub fn take(&mut self) -> Option<StoredWill> {
        match std::mem::replace(self, WillState::Spent) {
            WillState::Armed(will) => Some(*will),
            other => {
                *self = other;
                None
            }
        }
    }

    #[cfg(test)]
    pub fn is_armed(&self) -> bool {
        matches!(self, WillState::Armed(_))
    }
}

/// A will waiting for its delay or its session's end.
#[derive(Clone, Debug)]
pub(crate) struct PendingWill {
    pub will: StoredWill,
    /// Only [`SessionTimer::WillDelay`] is used.
    pub timers: TimerTable,
    /// What publication at the due time will be recorded as: the delay
    /// passing, or the session expiring first.
    pub trigger: WillTrigger,
}

impl PendingWill {
    pub fn due(&self) -> Option<Timestamp> {
        self.timers.get(SessionTimer::WillDelay)
    }
}

/// Key of a pending will: its client identifier and a sequence number. A
/// session normally has at most one pending will; the number keeps a second
/// one apart when the `keep-will-on-reconnect` fault leaves the first behind.
pub(crate) type PendingKey = (ClientId, u64);

/// Pending wills keyed by session (client identifier), each with its due time.
#[derive(Debug, Default)]
pub(crate) struct WillScheduler {
    pending: BTreeMap<PendingKey, PendingWill>,
    next_seq: u64,
}

impl WillScheduler {
    /// Holds `will` until `due`, when it is published as `trigger`.
    pub fn schedule(&mut self, will: StoredWill, due: Timestamp, trigger: WillTrigger) {
        let mut timers = TimerTable::default();
        timers.set(SessionTimer::WillDelay, due);
        let key = (will.client_id.clone(), self.next_seq);
        self.next_seq += 1;
        self.pending.insert(
            key,
            PendingWill {
                will,
                timers,
                trigger,
            },
        );
    }

    /// Removes and returns every pending will of `client_id`, oldest first:
    /// to cancel them on resumption or publish them when the session ends.
    pub fn take_for(&mut self, client_id: &str) -> Vec<PendingWill> {
        let keys: Vec<PendingKey> = self
            .pending
            .keys()
            .filter(|(id, _)| **id == *client_id)
            .cloned()
            .collect();
        keys.iter()
            .filter_map(|key| self.pending.remove(key))
            .collect()
    }

    /// Removes one pending will.
    pub fn take(&mut self, key: &PendingKey) -> Option<PendingWill> {
        self.pending.remove(key)
    }

    /// Removes every pending will, earliest due first (for shutdown).
    pub fn take_all(&mut self) -> Vec<PendingWill> {
        let mut all: Vec<PendingWill> = std::mem::take(&mut self.pending).into_values().collect();
        all.sort_by_key(|p| p.due());
        all
    }

    #[cfg(test)]
    pub fn has_pending(&self, client_id: &str) -> bool {
        self.pending.keys().any(|(id, _)| **id == *client_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&PendingKey, &PendingWill)> {
        self.pending.iter()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use lastwill_codec::{Properties, PropertyValues, QoS};

    use super::*;

    fn will(client_id: &str) -> StoredWill {
        StoredWill {
            client_id: ClientId::from(client_id),
            username: None,
            version: ProtocolVersion::V5,
            will: Will {
                topic: "t".into(),
                payload: Bytes::from_static(b"gone"),
                qos: QoS::AtMostOnce,
                retain: false,
                properties: Properties::from(PropertyValues {
                    will_delay_interval: Some(5),
                    ..PropertyValues::default()
                }),
            },
        }
    }

    #[test]
    fn will_state_is_taken_once() {
        let mut state = WillState::Armed(Box::new(will("a")));
        assert!(state.is_armed());
        assert!(state.take().is_some());
        assert_eq!(state, WillState::Spent);
        assert!(state.take().is_none());
        let mut absent = WillState::Absent;
        assert!(absent.take().is_none());
        assert_eq!(absent, WillState::Absent);
    }

    #[test]
    fn delay_is_ignored_before_v5() {
        let mut w = will("a");
        assert_eq!(w.delay(), 5);
        w.version = ProtocolVersion::V3_1_1;
        assert_eq!(w.delay(), 0);
    }

    #[test]
    fn scheduler_keys_by_client() {
        let mut s = WillScheduler::default();
        s.schedule(will("a"), Timestamp(10), WillTrigger::WillDelayElapsed);
        s.schedule(will("b"), Timestamp(5), WillTrigger::SessionExpired);
        s.schedule(will("a"), Timestamp(20), WillTrigger::WillDelayElapsed);
        assert_eq!(s.len(), 3);
        assert!(s.has_pending("b"));
        let a = s.take_for("a");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].due(), Some(Timestamp(10)));
        assert!(!s.has_pending("a"));
        let rest = s.take_all();
        assert_eq!(rest.len(), 1);
        assert_eq!(s.len(), 0);
    }
}
