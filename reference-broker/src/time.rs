//! Time and identity as plain values, so the core never reads a clock and a
//! test or the scenario engine can jump straight to the next deadline.

use std::fmt;
use std::ops::Add;
use std::time::Duration;

/// Milliseconds on a clock the caller chooses (the tokio shell counts from
/// the moment it started; tests start at zero). Only differences matter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + ms`, saturating so that "never" style deadlines cannot wrap.
    pub fn plus_millis(self, ms: u64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// `self + secs` whole seconds.
    pub fn plus_secs(self, secs: u32) -> Self {
        self.plus_millis(u64::from(secs) * 1000)
    }

    /// How long after `earlier` this is; zero if it is not after.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, rhs: Duration) -> Timestamp {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        self.plus_millis(ms)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// One network connection as the core knows it. Never reused within a
/// [`Broker`](crate::Broker)'s life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Timestamp(5) + Duration::from_millis(7), Timestamp(12));
        assert_eq!(Timestamp(u64::MAX - 1).plus_secs(10), Timestamp(u64::MAX));
        assert_eq!(Timestamp(3).plus_secs(2), Timestamp(2003));
        assert_eq!(
            Timestamp(3).saturating_duration_since(Timestamp(10)),
            Duration::ZERO
        );
        assert_eq!(Timestamp(1500).to_string(), "1.500s");
    }
}
