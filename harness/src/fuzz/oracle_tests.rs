//! The oracle as a table: synthetic observations in, violations out.

use std::time::Duration;

use bytes::Bytes;
use lastwill_codec::{Publish, QoS};

use super::*;
use crate::fuzz::case::{Case, ConnectOp, Op, WillDef};
use crate::fuzz::exec::{Answer, ConnEvent, ConnRecord, Observation, SeenPublish};
use crate::scenario::Version;

const NS: &str = "t";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn connect(tag: u16, slot: u8, clean_start: bool, will: WillDef) -> Op {
    Op::Connect(ConnectOp {
        slot,
        tag,
        clean_start,
        keep_alive: 0,
        session_expiry: Some(30),
        will: Some(will),
        malformed: None,
    })
}

fn record(
    op: usize,
    tag: u16,
    slot: usize,
    id: u8,
    sent: u64,
    events: Vec<(u64, ConnEvent)>,
) -> ConnRecord {
    ConnRecord {
        op,
        tag,
        slot,
        id,
        sent_at: ms(sent),
        answer: Answer::Connack(0),
        answered_at: Some(ms(sent + 1)),
        session_expiry: 30,
        keep_alive: 0,
        events: events.into_iter().map(|(t, e)| (ms(t), e)).collect(),
        broker_end: None,
    }
}

fn publish(tag: u16, at: u64, qos: u8) -> SeenPublish {
    SeenPublish {
        at: ms(at),
        publish: Publish {
            dup: false,
            qos: QoS::from_u8(qos).unwrap_or(QoS::AtMostOnce),
            retain: false,
            topic: format!("{NS}/w{tag}").into(),
            packet_id: (qos > 0).then_some(1),
            properties: Default::default(),
            payload: Bytes::from(format!("lw{tag}")),
        },
    }
}

fn case(version: Version, ops: Vec<Op>) -> Case {
    Case {
        version,
        sub_qos: 2,
        ids: [0, 0, 1],
        ops,
    }
}

fn obs(conns: Vec<ConnRecord>, publishes: Vec<SeenPublish>) -> Observation {
    Observation {
        ns: NS.into(),
        granted_qos: 2,
        conns,
        publishes,
        op_times: vec![(ms(0), ms(10))],
        ..Observation::default()
    }
}

fn classes(case: &Case, obs: &Observation) -> Vec<&'static str> {
    judge(case, obs, Duration::from_secs(60))
        .into_iter()
        .map(|v| v.class)
        .collect()
}

#[test]
fn a_normal_disconnect_forbids_the_will_in_both_versions() {
    for version in [Version::V3_1_1, Version::V5] {
        let c = case(
            version,
            vec![
                connect(1, 0, true, WillDef::default()),
                Op::Disconnect { slot: 0, reason: 0 },
            ],
        );
        let conns = vec![record(0, 1, 0, 0, 0, vec![(5, ConnEvent::Disconnect(0))])];
        assert_eq!(classes(&c, &obs(conns.clone(), vec![])), Vec::<&str>::new());
        assert_eq!(
            classes(&c, &obs(conns, vec![publish(1, 8, 0)])),
            ["will-after-normal-disconnect"]
        );
    }
}

#[test]
fn a_close_requires_exactly_one_will_at_the_right_qos() {
    let will = WillDef {
        qos: 1,
        ..WillDef::default()
    };
    let c = case(
        Version::V3_1_1,
        vec![
            connect(1, 0, true, will),
            Op::Close {
                slot: 0,
                rst: false,
            },
        ],
    );
    let conns = vec![record(0, 1, 0, 0, 0, vec![(5, ConnEvent::Fin)])];
    assert_eq!(classes(&c, &obs(conns.clone(), vec![])), ["will-missing"]);
    // Not watched long enough: nothing is claimed.
    assert!(judge(&c, &obs(conns.clone(), vec![]), ms(100)).is_empty());
    assert!(classes(&c, &obs(conns.clone(), vec![publish(1, 9, 1)])).is_empty());
    assert_eq!(
        classes(
            &c,
            &obs(conns.clone(), vec![publish(1, 9, 1), publish(1, 10, 1)])
        ),
        ["will-published-twice"]
    );
    assert_eq!(
        classes(&c, &obs(conns, vec![publish(1, 9, 0)])),
        ["will-qos"]
    );
}

#[test]
fn ambiguous_endings_are_left_open() {
    // E5: a 5.0 DISCONNECT with an error code; E6: an invalid DISCONNECT.
    for event in [
        ConnEvent::Disconnect(0x80),
        ConnEvent::BadDisconnect,
        ConnEvent::SecondConnect,
    ] {
        let c = case(
            Version::V5,
            vec![connect(1, 0, true, WillDef::default()), Op::Wait { ms: 0 }],
        );
        let conns = vec![record(0, 1, 0, 0, 0, vec![(5, event)])];
        assert!(
            classes(&c, &obs(conns.clone(), vec![])).is_empty(),
            "{event:?}"
        );
        assert!(
            classes(&c, &obs(conns, vec![publish(1, 9, 0)])).is_empty(),
            "{event:?}"
        );
    }
    // E2: a 5.0 takeover with Clean Start 0 and no Will Delay.
    let c = case(
        Version::V5,
        vec![
            connect(1, 0, true, WillDef::default()),
            connect(2, 1, false, WillDef::default()),
        ],
    );
    let conns = vec![
        record(0, 1, 0, 0, 0, vec![]),
        record(1, 2, 1, 0, 20, vec![]),
    ];
    assert!(classes(&c, &obs(conns.clone(), vec![])).is_empty());
    assert!(classes(&c, &obs(conns, vec![publish(1, 25, 0)])).is_empty());
}

#[test]
fn a_clean_start_takeover_requires_the_old_will() {
    let c = case(
        Version::V3_1_1,
        vec![
            connect(1, 0, true, WillDef::default()),
            connect(2, 1, true, WillDef::default()),
        ],
    );
    let conns = vec![
        record(0, 1, 0, 0, 0, vec![]),
        record(1, 2, 1, 0, 20, vec![]),
    ];
    assert_eq!(classes(&c, &obs(conns.clone(), vec![])), ["will-missing"]);
    assert!(classes(&c, &obs(conns, vec![publish(1, 25, 0)])).is_empty());
}

#[test]
fn a_delayed_will_must_wait_and_a_resumed_session_cancels_it() {
    let will = WillDef {
        delay: Some(3),
        ..WillDef::default()
    };
    let c = case(
        Version::V5,
        vec![
            connect(1, 0, true, will.clone()),
            Op::Close { slot: 0, rst: true },
        ],
    );
    let conns = vec![record(0, 1, 0, 0, 0, vec![(1000, ConnEvent::Rst)])];
    assert_eq!(
        classes(&c, &obs(conns.clone(), vec![publish(1, 1100, 0)])),
        ["will-before-delay"]
    );
    assert!(classes(&c, &obs(conns.clone(), vec![publish(1, 3900, 0)])).is_empty());
    // Resumed with Clean Start 0 within the delay: never published.
    let c = case(
        Version::V5,
        vec![
            connect(1, 0, true, will.clone()),
            Op::Close { slot: 0, rst: true },
            connect(2, 0, false, WillDef::default()),
        ],
    );
    let mut conns = conns;
    conns.push(record(2, 2, 0, 0, 1500, vec![]));
    assert_eq!(
        classes(&c, &obs(conns.clone(), vec![publish(1, 4000, 0)])),
        ["will-after-session-resumed"]
    );
    assert!(classes(&c, &obs(conns, vec![])).is_empty());
}

#[test]
fn a_refused_connect_has_no_will_and_its_publication_is_flagged() {
    let c = case(Version::V5, vec![connect(1, 0, true, WillDef::default())]);
    let mut refused = record(0, 1, 0, 0, 0, vec![]);
    refused.answer = Answer::Closed;
    assert_eq!(
        classes(&c, &obs(vec![refused], vec![publish(1, 30, 0)])),
        ["will-of-refused-connect"]
    );
}

#[test]
fn will_properties_must_survive() {
    let will = WillDef {
        user_properties: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
        message_expiry: Some(60),
        ..WillDef::default()
    };
    let c = case(
        Version::V5,
        vec![
            connect(1, 0, true, will),
            Op::Close {
                slot: 0,
                rst: false,
            },
        ],
    );
    let conns = vec![record(0, 1, 0, 0, 0, vec![(5, ConnEvent::Fin)])];
    let mut p = publish(1, 9, 0);
    p.publish.properties.rest.user_properties = vec![
        lastwill_codec::UserProperty::new("k", "2"),
        lastwill_codec::UserProperty::new("k", "1"),
    ];
    p.publish.properties.message_expiry_interval = Some(61);
    assert_eq!(
        classes(&c, &obs(conns, vec![p])),
        ["will-user-properties", "will-message-expiry"]
    );
}

#[test]
fn a_silent_client_must_be_closed_and_its_will_published() {
    let c = case(
        Version::V3_1_1,
        vec![
            connect(1, 0, true, WillDef::default()),
            Op::Silent { slot: 0 },
        ],
    );
    let mut silent = record(0, 1, 0, 0, 0, vec![(5, ConnEvent::Silent)]);
    silent.keep_alive = 1;
    assert_eq!(
        classes(&c, &obs(vec![silent.clone()], vec![])),
        ["keep-alive-not-enforced"]
    );
    silent.broker_end = Some(ms(1600));
    assert_eq!(
        classes(&c, &obs(vec![silent.clone()], vec![])),
        ["will-missing"]
    );
    assert!(classes(&c, &obs(vec![silent], vec![publish(1, 1700, 0)])).is_empty());
}

#[test]
fn a_reconnect_within_the_delay_after_the_session_ended_is_open() {
    // E1 + E3 (seen with mosquitto 2.0.11): Will Delay 3, Session Expiry 0,
    // FIN, then a Clean Start 1 CONNECT for the same id 1 ms later. The
    // session ended at the close (the will is due), but a new connection
    // came before the delay passed (the will is cancelled): either is read.
    let will = WillDef {
        delay: Some(3),
        ..WillDef::default()
    };
    let c = case(
        Version::V5,
        vec![
            connect(1, 0, true, will),
            Op::Close {
                slot: 0,
                rst: false,
            },
            connect(2, 0, true, WillDef::default()),
        ],
    );
    let mut first = record(0, 1, 0, 0, 0, vec![(5, ConnEvent::Fin)]);
    first.session_expiry = 0;
    let conns = vec![first, record(2, 2, 0, 0, 6, vec![])];
    assert!(classes(&c, &obs(conns.clone(), vec![])).is_empty());
    assert!(classes(&c, &obs(conns, vec![publish(1, 20, 0)])).is_empty());
}

#[test]
fn a_refused_connect_for_the_same_id_within_the_delay_leaves_the_will_open() {
    // Seen with mosquitto 2.0.11: a malformed CONNECT (Will Retain without
    // the Will Flag) for the same id 1 ms after the close drops the pending
    // will. Whether a refused CONNECT is "a new Network Connection for the
    // ClientID" (MQTT-3.1.2-8) the spec does not say.
    let will = WillDef {
        delay: Some(2),
        ..WillDef::default()
    };
    let c = case(
        Version::V5,
        vec![
            connect(1, 0, true, will),
            Op::Close {
                slot: 0,
                rst: false,
            },
            connect(2, 0, false, WillDef::default()),
        ],
    );
    let mut first = record(0, 1, 0, 0, 0, vec![(5, ConnEvent::Fin)]);
    first.session_expiry = 0;
    let mut refused = record(2, 2, 0, 0, 6, vec![]);
    refused.answer = Answer::Closed;
    assert!(classes(&c, &obs(vec![first, refused], vec![])).is_empty());
}
