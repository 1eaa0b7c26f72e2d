//! Deadlines as a small table keyed by a fieldless enum. Connections, offline
//! sessions and pending wills each own one table and use the timers that
//! concern them; the broker's next wake-up is the earliest entry of all.

use crate::time::Timestamp;

/// The timers of a client's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SessionTimer {
    /// A new connection must send CONNECT before this (per connection).
    ConnectTimeout,
    /// 1.5 × the effective Keep Alive after the last packet (per connection).
    KeepAlive,
    /// When a pending will is due (per pending will).
    WillDelay,
    /// When an offline session ends (per session).
    SessionExpiry,
}

impl SessionTimer {
    pub const ALL: [SessionTimer; 4] = [
        SessionTimer::ConnectTimeout,
        SessionTimer::KeepAlive,
        SessionTimer::WillDelay,
        SessionTimer::SessionExpiry,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// One optional deadline per [`SessionTimer`]. Every connection and
/// session holds one, so the deadlines are kept with a bit mask of which are
/// armed: half the size of four `Option<Timestamp>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerTable {
    deadlines: [Timestamp; 4],
    /// Bit `timer.index()` set: that deadline is armed.
    armed: u8,
}

impl TimerTable {
    pub fn set(&mut self, timer: SessionTimer, at: Timestamp) {
        self.deadlines[timer.index()] = at;
        self.armed |= 1 << timer.index();
    }

    pub fn stop(&mut self, timer: SessionTimer) {
        self.deadlines[timer.index()] = Timestamp::default();
        self.armed &= !(1 << timer.index());
    }

    pub fn get(&self, timer: SessionTimer) -> Option<Timestamp> {
        (self.armed & (1 << timer.index()) != 0).then(|| self.deadlines[timer.index()])
    }

    /// Whether `timer` is armed and its deadline is at or before `now`.
    pub fn is_expired(&self, timer: SessionTimer, now: Timestamp) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The earliest armed deadline.
    pub fn next_timeout(&self) -> Option<Timestamp> {
        SessionTimer::ALL
            .into_iter()
            .filter_map(|t| self.get(t))
            .min()
    }

    /// Armed timers whose deadline is at or before `now`, earliest first.
    pub fn expired(&self, now: Timestamp) -> Vec<(Timestamp, SessionTimer)> {
        let mut due: Vec<_> = SessionTimer::ALL
            .into_iter()
            .filter_map(|t| self.get(t).filter(|at| *at <= now).map(|at| (at, t)))
            .collect();
        due.sort();
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_tracks_the_earliest_deadline() {
        let mut table = TimerTable::default();
        assert_eq!(table.next_timeout(), None);
        table.set(SessionTimer::KeepAlive, Timestamp(3000));
        table.set(SessionTimer::ConnectTimeout, Timestamp(1000));
        assert_eq!(table.next_timeout(), Some(Timestamp(1000)));
        assert!(!table.is_expired(SessionTimer::KeepAlive, Timestamp(2999)));
        assert!(table.is_expired(SessionTimer::KeepAlive, Timestamp(3000)));
        assert_eq!(
            table.expired(Timestamp(5000)),
            vec![
                (Timestamp(1000), SessionTimer::ConnectTimeout),
                (Timestamp(3000), SessionTimer::KeepAlive)
            ]
        );
        table.stop(SessionTimer::ConnectTimeout);
        assert_eq!(table.next_timeout(), Some(Timestamp(3000)));
    }
}
