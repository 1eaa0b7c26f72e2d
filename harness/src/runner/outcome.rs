//! How a broker answered a step that may end a connection (`connect`,
//! `send_raw`, `expect_close`), and whether that is an allowed [`Outcome`].

use lastwill_codec::Packet;
use tokio::time::Instant;

use super::verdict::StepError;
use crate::client::{Client, EndKind, Wait};
use crate::scenario::values::{CodeClass, CodeMatcher};
use crate::scenario::Outcome;

/// The first answer seen on a connection.
#[derive(Clone, Debug)]
pub(crate) enum Observed {
    Connack {
        code: u8,
        session_present: bool,
        at: Instant,
    },
    /// A DISCONNECT; `closed` once the connection has closed after it.
    Disconnect {
        code: u8,
        closed: bool,
        at: Instant,
    },
    /// The connection ended with neither CONNACK nor DISCONNECT.
    Closed {
        how: EndKind,
        at: Instant,
    },
    Nothing,
}

impl Observed {
    pub fn at(&self) -> Option<Instant> {
        match self {
            Self::Connack { at, .. } | Self::Disconnect { at, .. } | Self::Closed { at, .. } => {
                Some(*at)
            }
            Self::Nothing => None,
        }
    }

    /// `CONNACK 0x90`, `DISCONNECT 0x8D then close`, `connection closed`.
    pub fn describe(&self) -> String {
        match self {
            Self::Connack {
                code,
                session_present,
                ..
            } => format!(
                "CONNACK 0x{code:02X} with Session Present {}",
                u8::from(*session_present)
            ),
            Self::Disconnect { code, closed, .. } => {
                if *closed {
                    format!("DISCONNECT 0x{code:02X} then close")
                } else {
                    format!("DISCONNECT 0x{code:02X}, but the connection stayed open")
                }
            }
            Self::Closed { how, .. } => {
                format!(
                    "connection closed without CONNACK or DISCONNECT ({})",
                    how.describe()
                )
            }
            Self::Nothing => "no answer".into(),
        }
    }

    /// The short form recorded as a `one_of` choice.
    pub fn choice(&self) -> String {
        match self {
            Self::Connack { code, .. } => format!("CONNACK 0x{code:02X}"),
            Self::Disconnect { code, .. } => format!("DISCONNECT 0x{code:02X}"),
            Self::Closed { .. } => "connection closed".into(),
            Self::Nothing => "nothing".into(),
        }
    }
}

/// `CONNACK 0x00`, `one of: CONNACK any code ≥ 0x80; connection closed`.
pub(crate) fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Connack(m) => format!("CONNACK {m}"),
        Outcome::Disconnect(m) => format!("DISCONNECT {m} then close"),
        Outcome::Closed => "connection closed without CONNACK or DISCONNECT".into(),
        Outcome::OneOf(list) => {
            let all: Vec<String> = list.iter().map(describe).collect();
            format!("one of: {}", all.join("; "))
        }
    }
}

pub(crate) fn matches(outcome: &Outcome, observed: &Observed) -> Result<bool, StepError> {
    let bad = |e: crate::scenario::values::ValueError| StepError::Error(e.to_string());
    Ok(match (outcome, observed) {
        // A refusal: 5.0 CONNACK codes are 0x00 or ≥ 0x80, while 3.1.1
        // return codes 1–5 refuse too, so for CONNACK `error` means non-zero.
        (
            Outcome::Connack(CodeMatcher::Class(CodeClass::Error)),
            Observed::Connack { code, .. },
        ) => *code != 0,
        (Outcome::Connack(m), Observed::Connack { code, .. }) => m.matches(*code).map_err(bad)?,
        (
            Outcome::Disconnect(m),
            Observed::Disconnect {
                code, closed: true, ..
            },
        ) => m.matches(*code).map_err(bad)?,
        (Outcome::Closed, Observed::Closed { .. }) => true,
        (Outcome::OneOf(list), observed) => {
            for alternative in list {
                if matches(alternative, observed)? {
                    return Ok(true);
                }
            }
            false
        }
        _ => false,
    })
}

/// Watches connection `index` of `client`, from its `mark`-th received
/// packet on, for the first CONNACK (when `connack`), DISCONNECT or close,
/// until `deadline`. After a DISCONNECT it waits for the close too.
pub(crate) async fn observe(
    client: &Client,
    index: u32,
    mark: usize,
    connack: bool,
    deadline: Instant,
) -> Result<Observed, StepError> {
    let index = index as usize;
    let look = move |state: &mut crate::client::ClientState, final_look: bool| {
        let conn = state.connections.get(index)?;
        for received in conn.received.iter().skip(mark) {
            match &received.packet {
                Packet::ConnAck(ack) if connack => {
                    return Some(Observed::Connack {
                        code: ack.reason_code.0,
                        session_present: ack.session_present,
                        at: received.at,
                    })
                }
                Packet::Disconnect(d) => {
                    let closed = conn.ended.is_some();
                    return (closed || final_look).then_some(Observed::Disconnect {
                        code: d.reason_code.0,
                        closed,
                        at: received.at,
                    });
                }
                _ => {}
            }
        }
        conn.ended.as_ref().map(|(at, how)| Observed::Closed {
            how: how.clone(),
            at: *at,
        })
    };
    match client.wait_for(deadline, |state| look(state, false)).await {
        Wait::Got(observed) => Ok(observed),
        Wait::Failed(failure) => Err(StepError::protocol(&failure)),
        Wait::TimedOut => Ok(client
            .with_state(|state| look(state, true))
            .unwrap_or(Observed::Nothing)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connack(code: u8) -> Observed {
        Observed::Connack {
            code,
            session_present: false,
            at: Instant::now(),
        }
    }

    #[test]
    fn a_connack_refusal_matches_error_in_both_versions() {
        let error = Outcome::Connack(CodeMatcher::Class(CodeClass::Error));
        assert!(matches(&error, &connack(0x87)).unwrap_or(false));
        assert!(matches(&error, &connack(0x05)).unwrap_or(false));
        assert!(!matches(&error, &connack(0x00)).unwrap_or(true));
        let disconnect = Outcome::Disconnect(CodeMatcher::Class(CodeClass::Error));
        assert!(!matches(&disconnect, &connack(0x87)).unwrap_or(true));
    }
}
