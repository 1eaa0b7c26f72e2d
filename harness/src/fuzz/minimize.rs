//! Shrinking a case while its finding still reproduces: a greedy form of
//! delta debugging. Candidates are the case without one op (last ops
//! first), then the case with one field simplified (will properties
//! dropped, QoS 0, no retain, no Session Expiry, Clean Start 1,
//! subscription QoS 0). Up to `parallel` candidates run at once, each in its
//! own namespace; the first in order that reproduces the same check
//! (violation class) replaces the case, and the search starts again. It
//! stops when no candidate reproduces or the time budget is spent; the
//! result is always a case that was seen to reproduce. The original case is
//! re-run first: a finding that does not show again is reported as
//! unconfirmed (real time is noisy) and not minimized.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::case::{Case, Op, WillDef};
use super::exec::Observation;
use super::oracle::Violation;

/// The smallest reproducing case found.
#[derive(Clone, Debug)]
pub struct Minimized {
    pub case: Case,
    pub obs: Observation,
    pub violation: Violation,
    /// Executions spent.
    pub runs: usize,
    /// False when the budget ran out before no candidate was left.
    pub complete: bool,
    /// Whether the original case showed the same check failing again when
    /// re-run first. When it did not, the finding is flaky (timing, load)
    /// and is reported as found, unminimized.
    pub confirmed: bool,
}

/// Every one-step simplification of `case`, smallest first.
pub fn candidates(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for i in (0..case.ops.len()).rev() {
        if case.ops.len() > 1 {
            let mut c = case.clone();
            c.ops.remove(i);
            out.push(c);
        }
    }
    for i in 0..case.ops.len() {
        let Op::Connect(op) = &case.ops[i] else {
            continue;
        };
        let variants: [fn(&mut super::case::ConnectOp); 7] = [
            |c| {
                if let Some(w) = &mut c.will {
                    *w = WillDef {
                        qos: w.qos,
                        retain: w.retain,
                        delay: w.delay,
                        ..WillDef::default()
                    };
                }
            },
            |c| {
                if let Some(w) = &mut c.will {
                    w.qos = 0;
                }
            },
            |c| {
                if let Some(w) = &mut c.will {
                    w.retain = false;
                }
            },
            |c| {
                if let Some(w) = &mut c.will {
                    w.delay = None;
                }
            },
            |c| c.session_expiry = None,
            |c| c.clean_start = true,
            |c| c.will = None,
        ];
        for change in variants {
            let mut changed = op.clone();
            change(&mut changed);
            if changed != *op {
                let mut c = case.clone();
                c.ops[i] = Op::Connect(changed);
                out.push(c);
            }
        }
    }
    if case.sub_qos != 0 {
        let mut c = case.clone();
        c.sub_qos = 0;
        out.push(c);
    }
    out
}

/// Shrinks `case`, whose run `obs` broke `violation`. `run` executes a
/// candidate and returns what it saw and broke.
pub async fn minimize<F, Fut>(
    case: Case,
    obs: Observation,
    violation: Violation,
    budget: Duration,
    parallel: usize,
    run: F,
) -> Minimized
where
    F: Fn(Case) -> Fut,
    Fut: Future<Output = (Observation, Vec<Violation>)> + Send + 'static,
{
    let deadline = Instant::now() + budget;
    let mut best = Minimized {
        case,
        obs,
        violation,
        runs: 0,
        complete: false,
        confirmed: false,
    };
    let (obs, violations) = run(best.case.clone()).await;
    best.runs += 1;
    match violations
        .into_iter()
        .find(|v| v.class == best.violation.class)
    {
        Some(v) => {
            best.confirmed = true;
            best.obs = obs;
            best.violation = v;
        }
        None => return best,
    }
    'search: loop {
        let all = candidates(&best.case);
        for chunk in all.chunks(parallel.max(1)) {
            if Instant::now() >= deadline {
                return best;
            }
            let handles: Vec<_> = chunk.iter().map(|c| tokio::spawn(run(c.clone()))).collect();
            let mut results = Vec::new();
            for handle in handles {
                results.push(handle.await.ok());
            }
            best.runs += chunk.len();
            for (candidate, result) in chunk.iter().zip(results) {
                let Some((obs, violations)) = result else {
                    continue;
                };
                if let Some(v) = violations
                    .into_iter()
                    .find(|v| v.class == best.violation.class)
                {
                    best.case = candidate.clone();
                    best.obs = obs;
                    best.violation = v;
                    continue 'search;
                }
            }
        }
        best.complete = true;
        return best;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::case::ConnectOp;
    use crate::scenario::Version;

    fn case() -> Case {
        Case {
            version: Version::V5,
            sub_qos: 1,
            ids: [0, 1, 2],
            ops: vec![
                Op::Connect(ConnectOp {
                    slot: 0,
                    tag: 1,
                    clean_start: false,
                    keep_alive: 60,
                    session_expiry: Some(30),
                    will: Some(WillDef {
                        qos: 2,
                        content_type: Some("x".into()),
                        ..WillDef::default()
                    }),
                    malformed: None,
                }),
                Op::Wait { ms: 50 },
                Op::Disconnect { slot: 0, reason: 0 },
            ],
        }
    }

    #[tokio::test]
    async fn shrinks_to_what_the_finding_needs() {
        // A fake broker: the finding reproduces while a connect with a will
        // is followed by a DISCONNECT.
        let violation = Violation {
            rule: "MQTT-3.14.4-3".into(),
            class: "will-after-normal-disconnect",
            message: String::new(),
        };
        let v = violation.clone();
        let result = minimize(
            case(),
            Observation::default(),
            violation,
            Duration::from_secs(10),
            3,
            move |c: Case| {
                let v = v.clone();
                async move {
                    let will = c
                        .ops
                        .iter()
                        .any(|op| matches!(op, Op::Connect(c) if c.will.is_some()));
                    let disconnect = c.ops.iter().any(|op| matches!(op, Op::Disconnect { .. }));
                    let found = if will && disconnect {
                        vec![v]
                    } else {
                        Vec::new()
                    };
                    (Observation::default(), found)
                }
            },
        )
        .await;
        assert!(result.complete && result.confirmed);
        assert_eq!(result.case.ops.len(), 2, "{:?}", result.case.ops);
        let Op::Connect(c) = &result.case.ops[0] else {
            panic!("connect first")
        };
        assert_eq!(c.will, Some(WillDef::default()));
        assert!(c.clean_start && c.session_expiry.is_none());
        assert_eq!(result.case.sub_qos, 0);
    }
}
