//! Generating and mutating cases. Fresh cases follow a small grammar (each
//! slot connects, maybe waits, then ends in one of the ways that matter to
//! a will); mutations change one field, insert, delete or swap ops, or
//! splice two cases, so the corpus of interesting cases is explored around.
//!
//! Values are drawn from small tables chosen for the will rules: Will
//! Delays of 0–3 s and Keep Alives of 1–2 s for silent clients keep a case
//! within a few seconds of real time; Keep Alive 0 or 60 elsewhere, since
//! the harness client never pings on its own.

use super::case::{BadDisconnect, Case, ConnectOp, Malformed, Op, WillDef, SLOTS};
use super::rng::Rng;
use crate::scenario::Version;

const DELAYS: [Option<u32>; 6] = [None, None, Some(0), Some(1), Some(2), Some(3)];
const SESSION_EXPIRIES: [Option<u32>; 5] = [None, Some(0), Some(2), Some(30), Some(300)];
const MESSAGE_EXPIRIES: [Option<u32>; 3] = [None, Some(60), Some(3600)];
const DISCONNECT_CODES: [u8; 8] = [0x00, 0x00, 0x00, 0x04, 0x04, 0x80, 0x83, 0x98];
const USER_PROPERTIES: [(&str, &str); 4] = [("k", "1"), ("k", "2"), ("z", "a"), ("a", "z")];
const WAITS: [u32; 5] = [50, 200, 500, 1000, 1500];

/// Which protocol versions a campaign generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versions {
    V311,
    V5,
    Both,
}

/// Generation and mutation settings plus the generator state.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    versions: Versions,
    next_tag: u16,
}

impl Generator {
    pub fn new(seed: u64, versions: Versions) -> Self {
        Self {
            rng: Rng::new(seed),
            versions,
            next_tag: 1,
        }
    }

    fn tag(&mut self) -> u16 {
        let tag = self.next_tag;
        self.next_tag = self.next_tag.checked_add(1).unwrap_or(1);
        tag
    }

    fn version(&mut self) -> Version {
        match self.versions {
            Versions::V311 => Version::V3_1_1,
            Versions::V5 => Version::V5,
            Versions::Both => {
                if self.rng.chance(50) {
                    Version::V5
                } else {
                    Version::V3_1_1
                }
            }
        }
    }

    /// A new case: the corpus is used `corpus_percent` % of the time.
    pub fn next_case(&mut self, corpus: &[Case]) -> Case {
        if !corpus.is_empty() && self.rng.chance(50) {
            let base = corpus[self.rng.index(corpus.len())].clone();
            let other = corpus[self.rng.index(corpus.len())].clone();
            let mut case = base;
            for _ in 0..=self.rng.below(2) {
                self.mutate(&mut case, &other);
            }
            self.retag(&mut case);
            case
        } else {
            self.fresh()
        }
    }

    /// Every CONNECT gets a fresh tag (unique within the case).
    fn retag(&mut self, case: &mut Case) {
        for op in &mut case.ops {
            if let Op::Connect(c) = op {
                c.tag = self.tag();
            }
        }
    }

    pub fn fresh(&mut self) -> Case {
        let version = self.version();
        let mut ids = [0u8, 1, 2];
        if self.rng.chance(50) {
            // Two slots share a Client Identifier: takeovers and resumptions.
            ids[1] = 0;
        }
        let mut ops = Vec::new();
        let slots = 1 + self.rng.index(SLOTS);
        for slot in 0..slots {
            let slot = slot as u8;
            let ending = self.rng.below(12);
            let silent = ending == 4;
            ops.push(Op::Connect(self.connect(version, slot, silent)));
            if self.rng.chance(30) {
                ops.push(Op::Wait {
                    ms: self.rng.pick(&WAITS),
                });
            }
            let end = match ending {
                0..=2 => Some(Op::Disconnect {
                    slot,
                    reason: self.rng.pick(&DISCONNECT_CODES),
                }),
                3 | 7 => Some(Op::Close { slot, rst: false }),
                8 | 9 => Some(Op::Close { slot, rst: true }),
                4 => Some(Op::Silent { slot }),
                5 if self.rng.chance(50) => Some(Op::BadDisconnect {
                    slot,
                    kind: self.rng.pick(&BadDisconnect::ALL),
                }),
                6 if self.rng.chance(50) => Some(Op::SecondConnect { slot }),
                _ => None,
            };
            ops.extend(end);
        }
        // Sometimes a slot comes back: a reconnect or a takeover.
        if self.rng.chance(40) {
            let slot = self.rng.below(slots as u64) as u8;
            if self.rng.chance(50) {
                ops.push(Op::Wait {
                    ms: self.rng.pick(&WAITS),
                });
            }
            ops.push(Op::Connect(self.connect(version, slot, false)));
            if self.rng.chance(60) {
                ops.push(Op::Close {
                    slot,
                    rst: self.rng.chance(50),
                });
            }
        }
        Case {
            version,
            sub_qos: self.rng.below(3) as u8,
            ids,
            ops,
        }
    }

    fn connect(&mut self, version: Version, slot: u8, silent: bool) -> ConnectOp {
        let keep_alive = if silent {
            self.rng.pick(&[1, 2])
        } else {
            self.rng.pick(&[0, 60])
        };
        ConnectOp {
            slot,
            tag: self.tag(),
            clean_start: self.rng.chance(65),
            keep_alive,
            session_expiry: match version {
                Version::V5 => self.rng.pick(&SESSION_EXPIRIES),
                Version::V3_1_1 => None,
            },
            will: self.rng.chance(90).then(|| self.will(version)),
            malformed: self.rng.chance(6).then(|| self.rng.pick(&Malformed::ALL)),
        }
    }

    fn will(&mut self, version: Version) -> WillDef {
        let mut will = WillDef {
            qos: self.rng.below(3) as u8,
            retain: self.rng.chance(10),
            padding: if self.rng.chance(10) { 300 } else { 0 },
            ..WillDef::default()
        };
        if version == Version::V5 {
            will.delay = self.rng.pick(&DELAYS);
            will.message_expiry = self.rng.pick(&MESSAGE_EXPIRIES);
            if self.rng.chance(30) {
                will.payload_format = Some(self.rng.below(2) as u8);
            }
            if self.rng.chance(30) {
                will.content_type = Some("text/plain".into());
            }
            if self.rng.chance(20) {
                will.response_topic = Some("lw/response".into());
            }
            if self.rng.chance(20) {
                will.correlation_data = Some("corr".into());
            }
            for _ in 0..self.rng.below(4) {
                let (k, v) = self.rng.pick(&USER_PROPERTIES);
                will.user_properties.push((k.into(), v.into()));
            }
        }
        will
    }

    /// One random change to `case`; `other` is a second corpus case for splicing.
    pub fn mutate(&mut self, case: &mut Case, other: &Case) {
        let version = case.version;
        let n = case.ops.len();
        match self.rng.below(9) {
            0 if n > 1 => {
                case.ops.remove(self.rng.index(n));
            }
            1 if n > 1 => {
                let (a, b) = (self.rng.index(n), self.rng.index(n));
                case.ops.swap(a, b);
            }
            2 => {
                let at = self.rng.index(n + 1);
                let slot = self.rng.below(SLOTS as u64) as u8;
                let op = match self.rng.below(10) {
                    0 => Op::Wait {
                        ms: self.rng.pick(&WAITS),
                    },
                    1 | 6 => Op::Close {
                        slot,
                        rst: self.rng.chance(50),
                    },
                    2 | 7 => Op::Disconnect {
                        slot,
                        reason: self.rng.pick(&DISCONNECT_CODES),
                    },
                    3 => Op::BadDisconnect {
                        slot,
                        kind: self.rng.pick(&BadDisconnect::ALL),
                    },
                    4 => Op::SecondConnect { slot },
                    _ => Op::Connect(self.connect(version, slot, false)),
                };
                case.ops.insert(at, op);
            }
            3 => case.sub_qos = self.rng.below(3) as u8,
            4 => case.ids[self.rng.index(SLOTS)] = self.rng.below(2) as u8,
            5 if other.version == version && !other.ops.is_empty() => {
                let keep = self.rng.index(n + 1);
                case.ops.truncate(keep);
                let from = self.rng.index(other.ops.len());
                case.ops.extend(other.ops[from..].iter().cloned());
            }
            _ => {
                let connects: Vec<usize> = (0..n)
                    .filter(|i| matches!(case.ops[*i], Op::Connect(_)))
                    .collect();
                if connects.is_empty() {
                    return;
                }
                let i = connects[self.rng.index(connects.len())];
                let fresh = self.connect(version, 0, false);
                let will_fresh = self.will(version);
                if let Op::Connect(c) = &mut case.ops[i] {
                    match self.rng.below(6) {
                        0 => c.clean_start = !c.clean_start,
                        1 => c.session_expiry = fresh.session_expiry,
                        2 => c.malformed = fresh.malformed.or(Some(self.rng.pick(&Malformed::ALL))),
                        3 => c.will = Some(will_fresh),
                        4 => {
                            if let Some(w) = &mut c.will {
                                w.delay = self.rng.pick(&DELAYS);
                                w.qos = self.rng.below(3) as u8;
                            }
                        }
                        _ => c.keep_alive = self.rng.pick(&[0, 1, 2, 60]),
                    }
                }
            }
        }
        if case.ops.len() > 12 {
            case.ops.truncate(12);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::case::kind;

    #[test]
    fn generation_is_reproducible_and_varied() {
        let mut a = Generator::new(42, Versions::Both);
        let mut b = Generator::new(42, Versions::Both);
        let xs: Vec<Case> = (0..50).map(|_| a.fresh()).collect();
        let ys: Vec<Case> = (0..50).map(|_| b.fresh()).collect();
        assert_eq!(xs, ys);
        let kinds: std::collections::BTreeSet<&str> = xs.iter().map(kind).collect();
        assert!(kinds.len() >= 4, "{kinds:?}");
        assert!(xs.iter().all(|c| !c.ops.is_empty() && c.ops.len() <= 12));
    }

    #[test]
    fn mutations_keep_cases_small_and_tags_unique() {
        let mut g = Generator::new(3, Versions::V5);
        let corpus: Vec<Case> = (0..5).map(|_| g.fresh()).collect();
        for _ in 0..200 {
            let case = g.next_case(&corpus);
            assert!(case.ops.len() <= 12);
            let mut tags: Vec<u16> = case
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::Connect(c) => Some(c.tag),
                    _ => None,
                })
                .collect();
            let n = tags.len();
            tags.sort_unstable();
            tags.dedup();
            assert_eq!(tags.len(), n);
        }
    }
}
