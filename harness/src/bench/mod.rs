//! Load tools for `lastwill bench`: a will storm (N clients with wills
//! reset at once) and keep-alive precision (silent clients whose wills the
//! broker must publish at 1.5 × Keep Alive). Both measure a broker from
//! outside over TCP, so the reference broker and any peer are measured the
//! same way in the same run; `benches/run.sh` runs them against both and
//! `benches/report.py` turns the JSON lines into `reports/performance.md`.
//!
//! Figures are wall-clock times on the machine at hand, meant to be read as
//! ratios between brokers measured in one run, never asserted in tests.

mod client;
pub mod hostile;
pub mod keep_alive;
mod process;
pub mod soak;
pub mod storm;
mod subscriber;

pub use process::{file_limit, BrokerProcess};

use std::net::SocketAddr;

/// `tcp://HOST:PORT` or `HOST:PORT`.
pub fn parse_broker(text: &str) -> Result<SocketAddr, String> {
    let bare = text.strip_prefix("tcp://").unwrap_or(text);
    bare.parse()
        .map_err(|_| format!("`{text}` is not tcp://IP:PORT"))
}

/// A run tag that keeps the topics of one measurement apart from any other
/// run against the same broker.
fn run_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", nanos & 0xFFFF_FFFF_FFFF)
}

/// The will topic of client `index` in run `tag`.
fn will_topic(tag: &str, index: usize) -> String {
    format!("lastwill-bench/{tag}/{index}")
}

/// The client index a will topic of run `tag` names, if it is one.
fn topic_index(tag: &str, topic: &str) -> Option<usize> {
    topic
        .strip_prefix("lastwill-bench/")?
        .strip_prefix(tag)?
        .strip_prefix('/')?
        .parse()
        .ok()
}

/// Milliseconds, for reports.
fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip() {
        assert_eq!(topic_index("ab", &will_topic("ab", 42)), Some(42));
        assert_eq!(topic_index("ab", &will_topic("abc", 42)), None);
        assert_eq!(topic_index("ab", "other/ab/1"), None);
    }

    #[test]
    fn broker_addresses() {
        assert!(parse_broker("tcp://127.0.0.1:1883").is_ok());
        assert!(parse_broker("127.0.0.1:1883").is_ok());
        assert!(parse_broker("localhost").is_err());
    }
}
