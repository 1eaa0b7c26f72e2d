//! What one client cycle of the soak does, drawn from the seeded generator,
//! and what the broker must then do with its will. Pure: no sockets, no
//! clock reads, so the will rules are tested here as a table.
//!
//! Only endings whose outcome every reading of the specification agrees on
//! are drawn (catalogue section "E"): a takeover always comes with Clean
//! Start 1, which ends the old session and so publishes its will in 3.1.1
//! and 5.0 alike (B38, E4 with a clean session); a resumed session always
//! comes with Clean Start 0 inside the Will Delay Interval (B24).

use std::time::{Duration, Instant};

use lastwill_codec::{ProtocolVersion, QoS};
use serde::Serialize;

use crate::fuzz::rng::Rng;

/// Keep Alive of the clients that are not meant to expire: far longer than
/// any cycle, so a slow machine never turns a live client into a will.
pub(super) const LIVE_KEEP_ALIVE: u16 = 60;

/// Slack on the early side of a delayed will's window: the broker's own
/// timers round to milliseconds.
const EARLY_SLACK: Duration = Duration::from_millis(100);

/// How a client's connection ends, and with it what happens to its will.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// DISCONNECT (3.1.1) or DISCONNECT 0x00 (5.0): the will is deleted
    /// unpublished (MQTT-3.14.4-3, MQTT-3.1.2-10).
    NormalDisconnect,
    /// 5.0 DISCONNECT 0x04: only 0x00 deletes the will, so it is published
    /// after its delay (MQTT-3.14.4-3, MQTT-3.1.2-8).
    DisconnectWithWill,
    /// The client resets the connection (RST): a network failure, so the
    /// will is published (MQTT-3.1.2-8).
    Reset,
    /// The client closes its side (FIN) without DISCONNECT: published
    /// (MQTT-3.1.2-8).
    Fin,
    /// The client goes silent with a short Keep Alive; the broker must close
    /// after 1.5 × Keep Alive "as if the network had failed" (3.1.1
    /// MQTT-3.1.2-24, 5.0 MQTT-3.1.2-22), so the will is published.
    KeepAliveExpiry,
    /// 5.0: the connection is reset, and the same Client Identifier comes
    /// back with Clean Start 0 before the Will Delay Interval has passed:
    /// the will MUST NOT be sent (MQTT-3.1.3-9).
    ResumeWithinDelay,
    /// A new connection with the same Client Identifier and Clean Start 1
    /// takes the session over: the old connection is closed (3.1.1
    /// MQTT-3.1.4-2, 5.0 MQTT-3.1.4-3) and, its session ended, its will is
    /// published at once (catalogue B38).
    Takeover,
}

impl Ending {
    pub const ALL: [Ending; 7] = [
        Ending::NormalDisconnect,
        Ending::DisconnectWithWill,
        Ending::Reset,
        Ending::Fin,
        Ending::KeepAliveExpiry,
        Ending::ResumeWithinDelay,
        Ending::Takeover,
    ];

    /// The kebab-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Ending::NormalDisconnect => "normal-disconnect",
            Ending::DisconnectWithWill => "disconnect-with-will",
            Ending::Reset => "reset",
            Ending::Fin => "fin",
            Ending::KeepAliveExpiry => "keep-alive-expiry",
            Ending::ResumeWithinDelay => "resume-within-delay",
            Ending::Takeover => "takeover",
        }
    }

    /// Whether the broker must publish the will.
    pub fn will_expected(self) -> bool {
        !matches!(self, Ending::NormalDisconnect | Ending::ResumeWithinDelay)
    }

    /// Relative frequency in the workload.
    fn weight(self) -> u64 {
        match self {
            Ending::NormalDisconnect => 20,
            Ending::Reset | Ending::Fin => 15,
            Ending::DisconnectWithWill | Ending::ResumeWithinDelay | Ending::Takeover => 10,
            Ending::KeepAliveExpiry => 8,
        }
    }

    /// Endings that exist only in 5.0.
    fn needs_v5(self) -> bool {
        matches!(self, Ending::DisconnectWithWill | Ending::ResumeWithinDelay)
    }

    /// Endings that hand their Client Identifier to a next connection.
    pub fn chains(self) -> bool {
        matches!(self, Ending::ResumeWithinDelay | Ending::Takeover)
    }
}

/// What a connection must be, when it continues an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Resumes a session within its will delay: 5.0, Clean Start 0.
    Resume,
    /// Takes a live session over: Clean Start 1, either version.
    Takeover,
}

/// One cycle: the CONNECT's will-relevant fields, how many messages to
/// publish, and the ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub version: ProtocolVersion,
    pub clean_start: bool,
    pub keep_alive: u16,
    pub will_qos: QoS,
    /// Will Delay Interval, seconds (always 0 in 3.1.1).
    pub will_delay: u32,
    /// Session Expiry Interval, seconds (always 0 in 3.1.1); never below
    /// the will delay, so the delay is what times the will.
    pub session_expiry: u32,
    pub publishes: u8,
    pub ending: Ending,
}

/// Draws a cycle. `follow` constrains a connection that continues an
/// earlier one; `last` keeps out the endings that need a further cycle.
pub fn draw(rng: &mut Rng, follow: Option<Follow>, last: bool) -> Plan {
    let version = match follow {
        Some(Follow::Resume) => ProtocolVersion::V5,
        _ if rng.chance(50) => ProtocolVersion::V5,
        _ => ProtocolVersion::V3_1_1,
    };
    let allowed: Vec<(Ending, u64)> = Ending::ALL
        .into_iter()
        .filter(|e| version.is_v5() || !e.needs_v5())
        .filter(|e| !(last && e.chains()))
        .map(|e| (e, e.weight()))
        .collect();
    let ending = weighted(rng, &allowed);
    let keep_alive = if ending == Ending::KeepAliveExpiry {
        rng.pick(&[1, 2])
    } else {
        LIVE_KEEP_ALIVE
    };
    let (will_delay, session_expiry) = if !version.is_v5() {
        (0, 0)
    } else if ending == Ending::ResumeWithinDelay {
        // Long enough that the reconnect, a few milliseconds later, is
        // inside it even on a loaded machine.
        let delay = 2 + rng.below(3) as u32;
        (delay, delay + 2 + rng.below(4) as u32)
    } else {
        let delay = rng.pick(&[0, 0, 1, 2]);
        let expiry = if delay == 0 {
            rng.pick(&[0, 0, 2, 5])
        } else {
            delay + rng.below(4) as u32
        };
        (delay, expiry)
    };
    Plan {
        version,
        clean_start: follow != Some(Follow::Resume),
        keep_alive,
        will_qos: rng.pick(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]),
        will_delay,
        session_expiry,
        publishes: rng.below(4) as u8,
        ending,
    }
}

fn weighted(rng: &mut Rng, table: &[(Ending, u64)]) -> Ending {
    let total: u64 = table.iter().map(|(_, w)| w).sum();
    let mut at = rng.below(total);
    for &(ending, weight) in table {
        if at < weight {
            return ending;
        }
        at -= weight;
    }
    Ending::Reset
}

/// What the broker granted in CONNACK, which may differ from the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Granted {
    /// Server Keep Alive when sent (MQTT-3.2.2-21), else the request.
    pub keep_alive: u16,
    /// The Session Expiry Interval in force (5.0), else 0.
    pub session_expiry: u32,
}

/// When a will may and must arrive, measured on the tool's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Publish {
        /// Before this a delayed will is early (None: no lower bound).
        earliest: Option<Instant>,
        deadline: Instant,
    },
    Forbidden,
}

/// The window of a will whose connection ended the way `plan` says, at
/// `at`: the instant of the close for most endings, the last packet sent
/// for a keep-alive expiry, the new CONNECT for a takeover. A delayed will
/// is due after the delay or when the session ends, whichever is first
/// (MQTT-3.1.2-8, MQTT-3.1.3-9); `grace` covers a loaded machine.
pub fn window(plan: &Plan, granted: Granted, at: Instant, grace: Duration) -> Window {
    if !plan.ending.will_expected() {
        return Window::Forbidden;
    }
    let delay = if plan.ending == Ending::Takeover {
        0
    } else {
        plan.will_delay.min(granted.session_expiry)
    };
    let delay = Duration::from_secs(u64::from(delay));
    let silence = if plan.ending == Ending::KeepAliveExpiry {
        Duration::from_millis(u64::from(granted.keep_alive) * 1500)
    } else {
        Duration::ZERO
    };
    Window::Publish {
        earliest: (!delay.is_zero()).then(|| at + delay.saturating_sub(EARLY_SLACK)),
        deadline: at + silence + delay + grace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(version: ProtocolVersion, ending: Ending, delay: u32, expiry: u32) -> Plan {
        Plan {
            version,
            clean_start: true,
            keep_alive: 2,
            will_qos: QoS::AtLeastOnce,
            will_delay: delay,
            session_expiry: expiry,
            publishes: 0,
            ending,
        }
    }

    /// Earliest (if any) and deadline, after the ending.
    type Bounds = (Option<Duration>, Duration);

    #[test]
    fn will_windows_by_ending() {
        use Ending as E;
        use ProtocolVersion::{V3_1_1 as V3, V5};
        let at = Instant::now();
        let grace = Duration::from_secs(5);
        let s = Duration::from_secs;
        #[rustfmt::skip]
        let rows: Vec<(Plan, Option<Bounds>)> = vec![
            (plan(V3, E::NormalDisconnect, 0, 0),    None),
            (plan(V5, E::NormalDisconnect, 2, 4),    None),
            (plan(V5, E::ResumeWithinDelay, 3, 6),   None),
            (plan(V3, E::Reset, 0, 0),               Some((None, s(5)))),
            (plan(V3, E::Fin, 0, 0),                 Some((None, s(5)))),
            (plan(V5, E::DisconnectWithWill, 2, 3),  Some((Some(s(2) - EARLY_SLACK), s(7)))),
            (plan(V5, E::KeepAliveExpiry, 0, 0),     Some((None, s(8)))),
            (plan(V5, E::KeepAliveExpiry, 1, 1),     Some((Some(s(1) - EARLY_SLACK), s(9)))),
            // The session ends at a takeover with Clean Start 1: no delay.
            (plan(V5, E::Takeover, 2, 4),            Some((None, s(5)))),
        ];
        for (plan, want) in rows {
            let granted = Granted {
                keep_alive: 2,
                session_expiry: plan.session_expiry,
            };
            let got = window(&plan, granted, at, grace);
            let want = match want {
                None => Window::Forbidden,
                Some((earliest, deadline)) => Window::Publish {
                    earliest: earliest.map(|d| at + d),
                    deadline: at + deadline,
                },
            };
            assert_eq!(got, want, "{plan:?}");
        }
    }

    #[test]
    fn a_shorter_granted_session_cuts_the_delay() {
        let at = Instant::now();
        let plan = plan(ProtocolVersion::V5, Ending::Reset, 2, 4);
        let granted = Granted {
            keep_alive: 60,
            session_expiry: 0,
        };
        let got = window(&plan, granted, at, Duration::from_secs(5));
        let want = Window::Publish {
            earliest: None,
            deadline: at + Duration::from_secs(5),
        };
        assert_eq!(got, want);
    }

    #[test]
    fn draws_respect_the_constraints() {
        let mut rng = Rng::new(3);
        for _ in 0..2000 {
            let p = draw(&mut rng, None, false);
            assert!(p.session_expiry >= p.will_delay, "{p:?}");
            if !p.version.is_v5() {
                assert!(!p.ending.needs_v5() && p.will_delay == 0, "{p:?}");
            }
            assert!(!draw(&mut rng, None, true).ending.chains());
            let resumed = draw(&mut rng, Some(Follow::Resume), false);
            assert!(resumed.version.is_v5() && !resumed.clean_start);
            if resumed.ending == Ending::ResumeWithinDelay {
                assert!(resumed.will_delay >= 2);
            }
            assert!(draw(&mut rng, Some(Follow::Takeover), false).clean_start);
        }
    }
}
