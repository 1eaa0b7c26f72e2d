//! The will-invariant checker (`lastwill_broker::fuzzing`): random op
//! sequences run clean on the correct broker, and each will fault makes a
//! fixed sequence fail, so the checker is shown able to fail.

use lastwill_broker::fuzzing::{run_ops, run_ops_with, Op, WillOp};
use lastwill_broker::{BrokerConfig, Fault};
use proptest::collection::vec;
use proptest::prelude::*;

fn will_op() -> impl Strategy<Value = WillOp> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        any::<u8>(),
        any::<u8>(),
        vec(any::<u8>(), 0..4),
    )
        .prop_map(
            |(topic, qos, retain, delay, message_expiry, user_properties)| WillOp {
                topic,
                qos,
                retain,
                delay,
                message_expiry,
                user_properties,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<bool>(), any::<bool>(), any::<u8>(), any::<u8>(), prop::option::weighted(0.8, will_op()))
            .prop_map(|(slot, v5, clean_start, keep_alive, session_expiry, will)| Op::Connect {
                slot, v5, clean_start, keep_alive, session_expiry, will,
            }),
        3 => (any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(slot, filter, qos)| Op::Subscribe { slot, filter, qos }),
        1 => (any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(slot, topic, qos)| Op::Publish { slot, topic, qos }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(slot, reason)| Op::Disconnect { slot, reason }),
        2 => any::<u8>().prop_map(|slot| Op::Drop { slot }),
        1 => any::<u8>().prop_map(|slot| Op::Reset { slot }),
        1 => any::<u8>().prop_map(|slot| Op::Silent { slot }),
        3 => any::<u8>().prop_map(|secs| Op::Advance { secs }),
        2 => (any::<u8>(), any::<bool>())
            .prop_map(|(slot, clean_start)| Op::Reconnect { slot, clean_start }),
        1 => (any::<u8>(), vec(any::<u8>(), 0..8))
            .prop_map(|(slot, bytes)| Op::Garbage { slot, bytes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_ops_keep_every_will_invariant(ops in vec(op(), 0..40)) {
        if let Err(violation) = run_ops(&ops) {
            prop_assert!(false, "{violation}\nops: {ops:#?}");
        }
    }
}

// Slot 1 is client `c1`, slot 0 client `c0` (slot 2 shares `c0`).
const SUB: u8 = 1;
const WILLER: u8 = 0;

/// A 5.0 subscriber on `#` (clean start, no session expiry) at `qos`.
fn subscriber(qos: u8) -> Vec<Op> {
    vec![
        Op::Connect {
            slot: SUB,
            v5: true,
            clean_start: true,
            keep_alive: 0,
            session_expiry: 0,
            will: None,
        },
        Op::Subscribe {
            slot: SUB,
            filter: 2,
            qos,
        },
    ]
}

fn will(qos: u8, delay: u8, user_properties: Vec<u8>) -> WillOp {
    WillOp {
        topic: 0,
        qos,
        retain: false,
        delay,
        message_expiry: 0,
        user_properties,
    }
}

/// Client `c0` connects (5.0 unless `v3`) with `session_expiry` (an index)
/// and `will`.
fn willer(v5: bool, keep_alive: u8, session_expiry: u8, will: WillOp) -> Op {
    Op::Connect {
        slot: WILLER,
        v5,
        clean_start: true,
        keep_alive,
        session_expiry,
        will: Some(will),
    }
}

fn with_fault(name: &str) -> BrokerConfig {
    let fault: Fault = name.parse().expect("known fault");
    BrokerConfig {
        faults: fault.into(),
        ..BrokerConfig::default()
    }
}

/// `ops` pass on the correct broker and fail under `fault`; returns the
/// violation's text.
fn fails_only_under(fault: &str, ops: &[Op]) -> String {
    if let Err(violation) = run_ops(ops) {
        panic!("the correct broker fails: {violation}");
    }
    match run_ops_with(with_fault(fault), ops) {
        Ok(()) => panic!("`{fault}` went unnoticed"),
        Err(violation) => violation.to_string(),
    }
}

fn then(mut ops: Vec<Op>, more: impl IntoIterator<Item = Op>) -> Vec<Op> {
    ops.extend(more);
    ops
}

#[test]
fn publish_will_after_normal_disconnect_is_caught() {
    let ops = then(
        subscriber(2),
        [
            willer(true, 0, 0, will(1, 0, vec![])),
            Op::Disconnect {
                slot: WILLER,
                reason: 0,
            },
        ],
    );
    let text = fails_only_under("publish-will-after-normal-disconnect", &ops);
    assert!(text.contains("normal DISCONNECT"), "{text}");
}

#[test]
fn publish_will_after_v3_disconnect_is_caught() {
    let ops = then(
        subscriber(2),
        [
            willer(false, 0, 0, will(1, 0, vec![])),
            Op::Disconnect {
                slot: WILLER,
                reason: 4,
            },
        ],
    );
    fails_only_under("publish-will-after-normal-disconnect", &ops);
}

#[test]
fn publish_will_twice_is_caught() {
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 0, will(1, 0, vec![])),
            Op::Drop { slot: WILLER },
        ],
    );
    let text = fails_only_under("publish-will-twice", &ops);
    assert!(text.contains("already published"), "{text}");
}

#[test]
fn will_at_will_qos_is_caught() {
    let ops = then(
        subscriber(0),
        [
            willer(true, 0, 0, will(2, 0, vec![])),
            Op::Reset { slot: WILLER },
        ],
    );
    let text = fails_only_under("will-at-will-qos", &ops);
    assert!(text.contains("MQTT-3.8.4"), "{text}");
}

#[test]
fn ignore_will_delay_is_caught() {
    // Session Expiry 60 s (index 3), Will Delay 30 s (index 3).
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 3, will(1, 3, vec![])),
            Op::Drop { slot: WILLER },
            Op::Advance { secs: 40 },
        ],
    );
    let text = fails_only_under("ignore-will-delay", &ops);
    assert!(text.contains("before its due time"), "{text}");
}

#[test]
fn keep_will_on_reconnect_is_caught() {
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 3, will(1, 3, vec![])),
            Op::Drop { slot: WILLER },
            Op::Advance { secs: 10 },
            Op::Reconnect {
                slot: WILLER,
                clean_start: false,
            },
            Op::Advance { secs: 40 },
        ],
    );
    let text = fails_only_under("keep-will-on-reconnect", &ops);
    assert!(text.contains("session resumed"), "{text}");
}

#[test]
fn forward_will_delay_property_is_caught() {
    // Will Delay 5 s with Session Expiry 0: published at close.
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 1, will(1, 2, vec![])),
            Op::Drop { slot: WILLER },
        ],
    );
    let text = fails_only_under("forward-will-delay-property", &ops);
    // The codec refuses the property in PUBLISH, so it shows up as a
    // malformed packet naming it.
    assert!(text.contains("Will Delay Interval"), "{text}");
}

#[test]
fn reorder_will_user_properties_is_caught() {
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 0, will(1, 0, vec![0, 1, 2])),
            Op::Reset { slot: WILLER },
        ],
    );
    let text = fails_only_under("reorder-will-user-properties", &ops);
    assert!(text.contains("User Properties"), "{text}");
}

#[test]
fn drop_will_properties_is_caught() {
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 0, will(1, 0, vec![3])),
            Op::Drop { slot: WILLER },
        ],
    );
    fails_only_under("drop-will-properties", &ops);
}

#[test]
fn skip_will_on_keep_alive_is_caught() {
    // Keep Alive 5 s (index 2): the broker closes after 7.5 s.
    let ops = then(
        subscriber(1),
        [
            willer(true, 2, 0, will(1, 0, vec![])),
            Op::Silent { slot: WILLER },
            Op::Advance { secs: 10 },
        ],
    );
    let text = fails_only_under("skip-will-on-keep-alive", &ops);
    assert!(text.contains("still unpublished"), "{text}");
}

#[test]
fn disconnect_0x04_as_normal_is_caught() {
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 0, will(1, 0, vec![])),
            Op::Disconnect {
                slot: WILLER,
                reason: 2,
            },
        ],
    );
    fails_only_under("disconnect-0x04-as-normal", &ops);
}

#[test]
fn no_will_on_takeover_is_caught() {
    // Slot 2 shares client `c0`: its CONNECT takes the session over.
    let ops = then(
        subscriber(1),
        [
            willer(false, 0, 0, will(1, 0, vec![])),
            Op::Connect {
                slot: 2,
                v5: false,
                clean_start: false,
                keep_alive: 0,
                session_expiry: 0,
                will: None,
            },
        ],
    );
    fails_only_under("no-will-on-takeover", &ops);
}

#[test]
fn ignore_session_expiry_for_will_is_caught() {
    // Session Expiry 10 s (index 2), Will Delay 120 s (index 4): due at 10 s.
    let ops = then(
        subscriber(1),
        [
            willer(true, 0, 2, will(1, 4, vec![])),
            Op::Drop { slot: WILLER },
            Op::Advance { secs: 20 },
        ],
    );
    fails_only_under("ignore-session-expiry-for-will", &ops);
}

#[test]
fn an_empty_sequence_and_a_garbage_storm_are_clean() {
    assert_eq!(run_ops(&[]), Ok(()));
    let mut ops = subscriber(2);
    ops.push(willer(true, 0, 3, will(2, 2, vec![0])));
    for i in 0..64u8 {
        ops.push(Op::Garbage {
            slot: i % 4,
            bytes: vec![i, i.wrapping_mul(7), 0xE0, i],
        });
        ops.push(Op::Advance { secs: i % 7 });
    }
    assert_eq!(run_ops(&ops), Ok(()));
}

/// The random sequences are not vacuous: over a few hundred of them, wills
/// are published (some after a delay), cancelled by resumption, and
/// delivered with their QoS checked.
#[test]
fn random_ops_reach_the_interesting_cases() {
    use lastwill_broker::fuzzing::{run_ops_counting, RunStats};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    use std::cell::RefCell;

    let total = RefCell::new(RunStats::default());
    let config = Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    runner
        .run(&vec(op(), 0..40), |ops| {
            let stats = run_ops_counting(BrokerConfig::default(), &ops)
                .map_err(|v| TestCaseError::fail(v.to_string()))?;
            let mut t = total.borrow_mut();
            t.wills_published += stats.wills_published;
            t.delayed_wills_published += stats.delayed_wills_published;
            t.wills_cancelled += stats.wills_cancelled;
            t.will_deliveries += stats.will_deliveries;
            t.qos_checked += stats.qos_checked;
            Ok(())
        })
        .expect("clean runs");
    let t = total.into_inner();
    eprintln!("{t:?}");
    assert!(t.wills_published > 100, "{t:?}");
    assert!(t.delayed_wills_published > 0, "{t:?}");
    assert!(t.wills_cancelled > 0, "{t:?}");
    assert!(t.will_deliveries > 50, "{t:?}");
    assert!(t.qos_checked > 20, "{t:?}");
}
