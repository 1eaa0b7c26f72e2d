//! `lastwill broker` as a user runs it: a separate process on a real socket.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::BytesMut;
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, QoS, ReasonCode, Subscribe,
    Subscription, SubscriptionOptions, Will,
};

const V5: ProtocolVersion = ProtocolVersion::V5;

fn lastwill() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lastwill"))
}

/// A broker process on a free port; killed if the test fails before it stops it.
struct BrokerProcess {
    child: Child,
    port: u16,
}

impl BrokerProcess {
    fn start(extra: &[&str]) -> Self {
        let mut child = lastwill()
            .args(["broker", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening tcp://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Self { child, port }
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap()
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking MQTT 5 client over a real socket, just enough for these tests.
struct Client {
    stream: TcpStream,
    buf: BytesMut,
}

impl Client {
    fn connect(port: u16, connect: Connect) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // Generous: a loaded 2-core CI machine may be slow to answer.
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut client = Self {
            stream,
            buf: BytesMut::new(),
        };
        client.send(&Packet::Connect(Box::new(connect)));
        match client.receive() {
            Some(Packet::ConnAck(ack)) => assert_eq!(ack.reason_code, ReasonCode::SUCCESS),
            other => panic!("expected CONNACK, got {other:?}"),
        }
        client
    }

    fn send(&mut self, packet: &Packet) {
        self.stream
            .write_all(&encode_to_bytes(packet, V5).unwrap())
            .unwrap();
    }

    /// The next packet, or `None` once the broker has closed the connection.
    fn receive(&mut self) -> Option<Packet> {
        loop {
            if let Some(packet) = decode(&mut self.buf, V5, &Limits::default()).unwrap() {
                return Some(packet);
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).unwrap();
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[test]
fn list_faults_names_every_fault_with_a_rule() {
    let output = lastwill()
        .args(["broker", "--list-faults"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), lastwill_broker::Fault::ALL.len());
    for fault in lastwill_broker::Fault::ALL {
        let line = lines
            .iter()
            .find(|line| line.split_whitespace().next() == Some(fault.name()))
            .unwrap_or_else(|| panic!("{} not listed", fault.name()));
        assert!(line.contains("MQTT-") || line.contains('§'), "{line}");
    }
}

#[test]
fn an_unknown_fault_is_a_usage_error() {
    let output = lastwill()
        .args(["broker", "--fault", "no-such-fault"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown fault `no-such-fault`"), "{stderr}");
}

/// SIGTERM publishes the wills of connected clients before closing them
/// (the reference broker's decision for catalogue E8), then sends
/// DISCONNECT 0x8B to 5.0 clients, and the process exits 0.
#[test]
fn sigterm_publishes_wills_then_disconnects_with_0x8b() {
    let mut broker = BrokerProcess::start(&[]);
    let mut watcher = Client::connect(broker.port, Connect::new(V5, "watcher"));
    watcher.send(&Packet::Subscribe(Subscribe {
        packet_id: 1,
        properties: Default::default(),
        subscriptions: vec![Subscription {
            filter: "cli/status".into(),
            options: SubscriptionOptions {
                qos: QoS::AtLeastOnce,
                ..Default::default()
            },
        }],
    }));
    assert!(matches!(watcher.receive(), Some(Packet::SubAck(_))));

    let mut device = Connect::new(V5, "device");
    device.will = Some(Will {
        topic: "cli/status".into(),
        payload: "offline".into(),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    });
    let _device = Client::connect(broker.port, device);

    let status = broker.terminate();
    assert!(status.success(), "{status:?}");

    match watcher.receive() {
        Some(Packet::Publish(publish)) => {
            assert_eq!(publish.topic, "cli/status");
            assert_eq!(&publish.payload[..], b"offline");
        }
        other => panic!("expected the will, got {other:?}"),
    }
    match watcher.receive() {
        Some(Packet::Disconnect(disconnect)) => {
            assert_eq!(disconnect.reason_code, ReasonCode::SERVER_SHUTTING_DOWN)
        }
        other => panic!("expected DISCONNECT 0x8B, got {other:?}"),
    }
}
