//! The fixture every rendering test uses: a small run with all five
//! verdicts, both protocol versions, a reconnect, sent/received packets and
//! events, and text that needs escaping (`<`, `&`, `|`, quotes, a control
//! character) in names, reasons, summaries and titles. Packet bytes are real
//! MQTT, built here, so Wireshark decodes the pcap.
#![allow(dead_code)]

pub mod pcap_parse;

use lastwill_report::{
    Direction, RunReport, ScenarioResult, TargetInfo, TimelineEntry, Transport, Verdict,
    SCHEMA_VERSION,
};

/// An MQTT UTF-8 string: two-byte length, then the bytes.
fn mqtt_str(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// A packet from its first byte and body; the Remaining Length is computed.
pub fn packet(first_byte: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn v5(version: &str) -> bool {
    version == "5.0"
}

/// CONNECT, with a will on `ns/status` when `will` is set.
pub fn connect(version: &str, client_id: &str, keep_alive: u16, will: bool) -> Vec<u8> {
    let mut body = mqtt_str("MQTT");
    body.push(if v5(version) { 5 } else { 4 });
    body.push(if will { 0x0e } else { 0x02 }); // clean, will flag + will QoS 1
    body.extend_from_slice(&keep_alive.to_be_bytes());
    if v5(version) {
        body.push(0); // no properties
    }
    body.extend(mqtt_str(client_id));
    if will {
        if v5(version) {
            body.extend_from_slice(&[5, 0x18, 0, 0, 0, 5]); // Will Delay Interval 5 s
        }
        body.extend(mqtt_str("ns/status"));
        body.extend(mqtt_str("offline"));
    }
    packet(0x10, &body)
}

pub fn connack(version: &str) -> Vec<u8> {
    packet(0x20, if v5(version) { &[0, 0, 0] } else { &[0, 0] })
}

pub fn subscribe(version: &str) -> Vec<u8> {
    let mut body = vec![0, 1];
    if v5(version) {
        body.push(0);
    }
    body.extend(mqtt_str("ns/#"));
    body.push(1);
    packet(0x82, &body)
}

pub fn suback(version: &str) -> Vec<u8> {
    packet(
        0x90,
        if v5(version) {
            &[0, 1, 0, 1]
        } else {
            &[0, 1, 1]
        },
    )
}

pub fn publish_will(version: &str) -> Vec<u8> {
    let mut body = mqtt_str("ns/status");
    body.extend_from_slice(&[0, 1]);
    if v5(version) {
        body.push(0);
    }
    body.extend_from_slice(b"offline");
    packet(0x32, &body)
}

pub fn entry(
    at_ms: u64,
    client: &str,
    connection: u32,
    direction: Direction,
    summary: &str,
    bytes: &[u8],
) -> TimelineEntry {
    TimelineEntry {
        at_ms,
        client: client.into(),
        connection,
        direction,
        summary: summary.into(),
        hex: hex(bytes),
        transport: None,
    }
}

/// An event that changes the connection, as the runner records one.
pub fn transport(
    at_ms: u64,
    client: &str,
    connection: u32,
    summary: &str,
    kind: Transport,
) -> TimelineEntry {
    TimelineEntry {
        transport: Some(kind),
        ..entry(at_ms, client, connection, Direction::Event, summary, &[])
    }
}

use Direction::{Event, Received, Sent};

/// Device with a will, a watcher subscribed to it; the device goes quiet
/// and the broker closes it after 1.5 × keep-alive. `will_arrives` decides
/// whether the watcher then gets the will.
pub fn keep_alive_timeline(version: &str, will_arrives: bool) -> Vec<TimelineEntry> {
    let mut t = vec![
        entry(0, "", 0, Event, "step 1: connect watcher & subscribe", &[]),
        transport(0, "watcher", 0, "connected", Transport::Opened),
        entry(
            1,
            "watcher",
            0,
            Sent,
            "CONNECT client_id=w keep_alive=60",
            &connect(version, "w", 60, false),
        ),
        entry(
            2,
            "watcher",
            0,
            Received,
            "CONNACK rc=0x00 session_present=0",
            &connack(version),
        ),
        entry(
            3,
            "watcher",
            0,
            Sent,
            "SUBSCRIBE id=1 ns/# qos=1",
            &subscribe(version),
        ),
        entry(
            4,
            "watcher",
            0,
            Received,
            "SUBACK id=1 [1]",
            &suback(version),
        ),
        entry(
            5,
            "",
            0,
            Event,
            "step 2: device connects with a will, then goes quiet",
            &[],
        ),
        entry(
            5,
            "device",
            0,
            Sent,
            "CONNECT client_id=dev keep_alive=2 will=ns/status qos=1",
            &connect(version, "dev", 2, true),
        ),
        entry(
            6,
            "device",
            0,
            Received,
            "CONNACK rc=0x00 session_present=0",
            &connack(version),
        ),
        transport(
            3006,
            "device",
            0,
            "closed by the broker",
            Transport::BrokerFin,
        ),
    ];
    if will_arrives {
        t.push(entry(
            3007,
            "watcher",
            0,
            Received,
            "PUBLISH topic=ns/status qos=1 id=1 payload=\"offline\"",
            &publish_will(version),
        ));
        t.push(entry(
            3008,
            "watcher",
            0,
            Sent,
            "PUBACK id=1",
            &packet(0x40, &[0, 1]),
        ));
    }
    t.push(entry(
        3100,
        "watcher",
        0,
        Sent,
        "DISCONNECT",
        &packet(0xe0, &[]),
    ));
    t.push(transport(3100, "watcher", 0, "FIN", Transport::ClientFin));
    t
}

/// The device drops (RST) and reconnects within the will delay.
pub fn reconnect_timeline() -> Vec<TimelineEntry> {
    vec![
        entry(
            0,
            "device",
            0,
            Sent,
            "CONNECT client_id=dev will=ns/status will_delay=5",
            &connect("5.0", "dev", 60, true),
        ),
        entry(1, "device", 0, Received, "CONNACK rc=0x00", &connack("5.0")),
        transport(1000, "device", 0, "RST", Transport::ClientRst),
        entry(
            2000,
            "device",
            1,
            Sent,
            "CONNECT client_id=dev clean_start=0 <reconnect> & \"resume\"",
            &connect("5.0", "dev", 60, true),
        ),
        entry(
            2001,
            "device",
            1,
            Received,
            "CONNACK rc=0x00 session_present=1 | note",
            &connack("5.0"),
        ),
    ]
}

fn result(id: &str, version: &str, file: &str, rules: &[&str], verdict: Verdict) -> ScenarioResult {
    ScenarioResult {
        id: id.into(),
        title: String::new(),
        version: version.into(),
        file: file.into(),
        rules: rules.iter().map(|r| r.to_string()).collect(),
        verdict,
        reason: String::new(),
        failed_rule: None,
        failed_step: None,
        expected: None,
        observed: None,
        choices: Vec::new(),
        scenario_time_ms: 0,
        wall_time_ms: 0,
        timeline: Vec::new(),
    }
}

pub fn fixture() -> RunReport {
    let keep_alive = "will.trigger.keep-alive-expiry";
    let title = "Will published when keep-alive expires";
    let mut pass = result(
        keep_alive,
        "3.1.1",
        "triggers/keep-alive.yaml",
        &["MQTT-3.1.2-8", "MQTT-3.1.2-24"],
        Verdict::Pass,
    );
    pass.title = title.into();
    pass.scenario_time_ms = 3100;
    pass.wall_time_ms = 12;
    pass.timeline = keep_alive_timeline("3.1.1", true);

    let mut fail = result(
        keep_alive,
        "5.0",
        "triggers/keep-alive.yaml",
        &["MQTT-3.1.2-8", "MQTT-3.1.2-24"],
        Verdict::Fail,
    );
    fail.title = title.into();
    fail.reason = "MQTT-3.1.2-8: no will <PUBLISH> & \"nothing\" | 'at all'\u{1} within 5 s".into();
    fail.failed_rule = Some("MQTT-3.1.2-8".into());
    fail.failed_step = Some(3);
    fail.expected = Some("watcher receives PUBLISH ns/status \"offline\" within 5000 ms".into());
    fail.observed = Some("nothing\nthen the watcher disconnected".into());
    fail.scenario_time_ms = 3100;
    fail.wall_time_ms = 1534;
    fail.timeline = keep_alive_timeline("5.0", false);

    let mut warn = result(
        "will.delay.reconnect-cancels",
        "5.0",
        "delay/reconnect-cancels.yaml",
        &["MQTT-3.1.3-9"],
        Verdict::Warn,
    );
    warn.title = "Reconnect within Will Delay cancels the will".into();
    warn.reason = "session resumed although clean_start=0 was not required | allowed".into();
    warn.failed_rule = Some("MQTT-3.1.3-9".into());
    warn.choices = vec!["step 3: CONNACK session_present=1".into()];
    warn.scenario_time_ms = 2001;
    warn.wall_time_ms = 20;
    warn.timeline = reconnect_timeline();

    let mut skip = result(
        "will.qos.qos2",
        "3.1.1",
        "qos/qos2.yaml",
        &["MQTT-3.1.2-14"],
        Verdict::Skip,
    );
    skip.title = "Will at QoS 2".into();
    skip.reason = "broker's maximum QoS is 1 < 2".into();

    let mut error = result(
        "will.takeover",
        "3.1.1",
        "takeover.yaml",
        &[],
        Verdict::Error,
    );
    error.title = "Takeover & the old session's will".into();
    error.reason = "connection refused by 127.0.0.1:1883 (os error 111)".into();
    error.wall_time_ms = 3;
    error.timeline = vec![entry(
        0,
        "device",
        0,
        Event,
        "connect failed: ECONNREFUSED",
        &[],
    )];

    RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        target: TargetInfo {
            name: "local | \"test\" <broker> & co".into(),
            address: "tcp://127.0.0.1:1883".into(),
            broker: Some("mosquitto 2.0.11".into()),
            virtual_time: false,
            faults: Vec::new(),
        },
        started_at: "2025-06-01T12:00:00Z".into(),
        wall_time_ms: 1600,
        partial: false,
        results: vec![pass, fail, warn, skip, error],
    }
}
