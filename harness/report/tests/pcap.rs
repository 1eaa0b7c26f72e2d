//! The pcap read back byte by byte, then (where installed) by tshark.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::pcap_parse::{parse, Segment};
use lastwill_report::{write_pcap, Direction, ScenarioResult};

const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

type End = ([u8; 4], u16);

/// Checks TCP state across the capture: every stream opens with a
/// three-way handshake, sequence numbers advance by exactly what each
/// segment occupies, and every ACK acknowledges all the peer sent so far.
fn check_streams(segments: &[Segment]) {
    // Keyed by (sender, receiver): the broker's end is shared by all streams.
    let mut next: HashMap<(End, End), u32> = HashMap::new();
    let mut handshake: HashMap<(End, End), usize> = HashMap::new();
    for s in segments {
        let key = if s.dst.1 == 1883 {
            (s.src, s.dst)
        } else {
            (s.dst, s.src)
        };
        assert_eq!(
            key.1,
            ([127, 0, 0, 1], 1883),
            "the broker is 127.0.0.1:1883"
        );
        let step = handshake.entry(key).or_insert(0);
        match *step {
            0 => assert_eq!(
                (s.flags, s.dst.1),
                (SYN, 1883),
                "stream opens with the client's SYN"
            ),
            1 => assert_eq!(
                (s.flags, s.src.1),
                (SYN | ACK, 1883),
                "then the broker's SYN-ACK"
            ),
            2 => assert_eq!((s.flags, s.dst.1), (ACK, 1883), "then the client's ACK"),
            _ => assert_eq!(s.flags & SYN, 0, "no SYN after the handshake"),
        }
        *step += 1;
        if s.flags & SYN == 0 {
            assert_eq!(
                Some(&s.seq),
                next.get(&(s.src, s.dst)),
                "sequence continues"
            );
        }
        if s.flags & ACK != 0 {
            assert_eq!(
                Some(&s.ack),
                next.get(&(s.dst, s.src)),
                "ack covers all the peer sent"
            );
        }
        let used = s.payload.len() as u32 + u32::from(s.flags & (SYN | FIN) != 0);
        next.insert((s.src, s.dst), s.seq.wrapping_add(used));
    }
}

/// The payloads, in order, equal the timeline's packet bytes in order and
/// direction; FIN and RST appear where the events say.
fn check_payloads(result: &ScenarioResult, segments: &[Segment]) {
    let data: Vec<&Segment> = segments.iter().filter(|s| !s.payload.is_empty()).collect();
    let packets: Vec<_> = result
        .timeline
        .iter()
        .filter(|e| !e.hex.is_empty())
        .collect();
    assert_eq!(data.len(), packets.len(), "one segment per packet");
    for (segment, entry) in data.iter().zip(packets) {
        assert_eq!(
            common::hex(&segment.payload),
            entry.hex,
            "{}",
            entry.summary
        );
        let to_broker = segment.dst.1 == 1883;
        assert_eq!(
            to_broker,
            entry.direction == Direction::Sent,
            "{}",
            entry.summary
        );
        let ms = u64::from(segment.ts_sec) * 1000 + u64::from(segment.ts_usec) / 1000;
        assert_eq!(ms, entry.at_ms, "timestamp of {}", entry.summary);
    }
}

#[test]
fn every_fixture_pcap_parses_back() {
    for result in common::fixture().results {
        let segments = parse(&write_pcap(&result));
        check_streams(&segments);
        check_payloads(&result, &segments);
    }
}

#[test]
fn streams_addresses_and_closes() {
    let report = common::fixture();
    // Keep-alive 3.1.1: watcher (127.0.0.2) and device (127.0.0.3), one
    // connection each; the broker closes the device with FIN, the watcher
    // closes with FIN after DISCONNECT.
    let segments = parse(&write_pcap(&report.results[0]));
    let fins: Vec<(End, End)> = segments
        .iter()
        .filter(|s| s.flags & FIN != 0)
        .map(|s| (s.src, s.dst))
        .collect();
    let broker = ([127, 0, 0, 1], 1883);
    assert_eq!(
        fins,
        [
            (broker, ([127, 0, 0, 3], 49_153)),
            (([127, 0, 0, 2], 49_152), broker)
        ]
    );
    // Reconnect: one client, two connections (two ports), the first reset.
    let segments = parse(&write_pcap(&report.results[2]));
    let syns: Vec<End> = segments
        .iter()
        .filter(|s| s.flags == SYN)
        .map(|s| s.src)
        .collect();
    assert_eq!(syns, [([127, 0, 0, 2], 49_152), ([127, 0, 0, 2], 49_153)]);
    let rsts: Vec<End> = segments
        .iter()
        .filter(|s| s.flags & RST != 0)
        .map(|s| s.src)
        .collect();
    assert_eq!(rsts, [([127, 0, 0, 2], 49_152)]);
    // No packets, no transport events: just the global header.
    assert_eq!(write_pcap(&report.results[3]).len(), 24);
}

#[test]
fn large_packets_are_split_and_bad_hex_is_left_out() {
    let mut result = common::fixture().results.remove(0);
    let payload = vec![b'x'; 100_000];
    let mut body = vec![0, 9];
    body.extend_from_slice(b"ns/status");
    body.extend_from_slice(&payload);
    let big = common::packet(0x30, &body);
    result.timeline = vec![
        common::entry(0, "device", 0, Direction::Sent, "PUBLISH 100 kB", &big),
        common::entry(1, "device", 0, Direction::Sent, "garbage", &[]),
    ];
    result.timeline[1].hex = "zz".into();
    let segments = parse(&write_pcap(&result));
    check_streams(&segments);
    let data: Vec<&Segment> = segments.iter().filter(|s| !s.payload.is_empty()).collect();
    assert_eq!(data.len(), 2);
    let joined: Vec<u8> = data.iter().flat_map(|s| s.payload.clone()).collect();
    assert_eq!(joined, big);
}

/// Wireshark's own reading: every packet of the timeline decodes as MQTT
/// with the right message type, both checksums verify, and nothing is
/// flagged malformed or as a
/// TCP problem (an RST's own "connection reset" warning is what it says).
/// Skipped (with a note) where tshark is not installed.
#[test]
fn tshark_decodes_mqtt() {
    if Command::new("tshark").arg("--version").output().is_err() {
        println!(
            "note: tshark is not installed; skipping the Wireshark check (apt-get install tshark)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("lastwill-report-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for result in common::fixture().results {
        let path = dir.join(format!("{}-{}.pcap", result.id, result.version));
        std::fs::write(&path, write_pcap(&result)).unwrap();
        let types = tshark(&path, &["-Y", "mqtt", "-T", "fields", "-e", "mqtt.msgtype"]);
        let expected: Vec<String> = result
            .timeline
            .iter()
            .filter(|e| !e.hex.is_empty())
            .map(|e| u8::from_str_radix(&e.hex[..1], 16).unwrap().to_string())
            .collect();
        let got: Vec<String> = types.lines().map(str::to_string).collect();
        assert_eq!(
            got,
            expected,
            "MQTT message types tshark decoded in {}",
            path.display()
        );
        let problems = tshark(&path, &["-Y", "(_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags) && !tcp.connection.rst"]);
        assert_eq!(problems, "", "tshark flags problems in {}", path.display());
        // With checksum validation on, tshark reports 1 (good) for both.
        let statuses = tshark(
            &path,
            &[
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
                "-T",
                "fields",
                "-e",
                "ip.checksum.status",
                "-e",
                "tcp.checksum.status",
            ],
        );
        assert!(
            statuses.lines().all(|l| l == "1\t1"),
            "checksums in {}: {statuses}",
            path.display()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tshark(path: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
