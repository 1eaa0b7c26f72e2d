//! The tokio server over real TCP on 127.0.0.1, with rumqttc as an outside
//! client. Real time: paused tokio time would auto-advance while sockets are
//! idle, so the delay test uses a 1 s Will Delay and checks bounds that a
//! loaded machine cannot break (never early; late only by a wide margin).

mod reactor;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lastwill_broker::{bind, BrokerConfig, ServerConfig};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Generous upper bound for anything that should happen "at once".
const PROMPTLY: Duration = Duration::from_secs(10);

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start() -> Self {
        Self::start_with(BrokerConfig::default()).await
    }

    async fn start_with(broker: BrokerConfig) -> Self {
        let server = bind(ServerConfig {
            listen: vec!["127.0.0.1:0".parse().expect("address")],
            broker,
        })
        .await
        .expect("bind");
        let addr = server.local_addrs()[0];
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    fn options(&self, id: &str) -> MqttOptions {
        let mut options = MqttOptions::new(id, self.addr.ip().to_string(), self.addr.port());
        options.set_keep_alive(Duration::from_secs(30));
        options
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(PROMPTLY, self.task).await;
        assert!(matches!(result, Ok(Ok(Ok(())))), "server stops cleanly");
    }
}

/// Polls `eventloop` in a task and forwards incoming packets.
fn pump(mut eventloop: EventLoop) -> mpsc::UnboundedReceiver<Packet> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            if let Event::Incoming(packet) = event {
                if tx.send(packet).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Waits for the first packet `pick` accepts.
async fn expect<T>(
    rx: &mut mpsc::UnboundedReceiver<Packet>,
    pick: impl Fn(Packet) -> Option<T>,
) -> T {
    let wait = async {
        while let Some(packet) = rx.recv().await {
            if let Some(found) = pick(packet) {
                return found;
            }
        }
        panic!("connection ended first");
    };
    tokio::time::timeout(PROMPTLY, wait).await.expect("in time")
}

/// A subscriber on `filter`, ready once its SUBACK arrived.
async fn watcher(server: &Running, filter: &str) -> (AsyncClient, mpsc::UnboundedReceiver<Packet>) {
    let (client, eventloop) = AsyncClient::new(server.options("watcher"), 10);
    let mut rx = pump(eventloop);
    client
        .subscribe(filter, QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    expect(&mut rx, |p| matches!(p, Packet::SubAck(_)).then_some(())).await;
    (client, rx)
}

/// Connects a 3.1.1 client with a will and waits for its CONNACK; returns
/// the client and its event loop (dropping the loop drops the socket).
async fn device(server: &Running, topic: &str) -> (AsyncClient, EventLoop) {
    let mut options = server.options("device");
    options.set_last_will(LastWill::new(topic, "offline", QoS::AtLeastOnce, false));
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let connack = async {
        loop {
            if let Event::Incoming(Packet::ConnAck(_)) = eventloop.poll().await.expect("connect") {
                return;
            }
        }
    };
    tokio::time::timeout(PROMPTLY, connack)
        .await
        .expect("CONNACK");
    (client, eventloop)
}

fn publish_of(packet: Packet) -> Option<(String, Vec<u8>)> {
    match packet {
        Packet::Publish(p) => Some((p.topic, p.payload.to_vec())),
        _ => None,
    }
}

#[tokio::test]
async fn will_is_published_when_a_client_drops_its_connection() {
    let server = Running::start().await;
    let (_watcher, mut rx) = watcher(&server, "status/#").await;
    let (client, eventloop) = device(&server, "status/device").await;
    drop(eventloop); // the socket closes without DISCONNECT
    drop(client);
    let (topic, payload) = expect(&mut rx, publish_of).await;
    assert_eq!(topic, "status/device");
    assert_eq!(payload, b"offline");
    server.stop().await;
}

/// Disconnects a device cleanly, then publishes a sentinel; returns the
/// topic of the first message the watcher sees.
async fn first_after_clean_disconnect(server: &Running) -> String {
    let (watcher, mut rx) = watcher(server, "status/#").await;
    let (client, mut eventloop) = device(server, "status/device").await;
    client.disconnect().await.expect("disconnect");
    // Poll until the broker has closed the connection, i.e. has handled the
    // DISCONNECT and anything it published because of it.
    let closed = async { while eventloop.poll().await.is_ok() {} };
    tokio::time::timeout(PROMPTLY, closed)
        .await
        .expect("closed");
    watcher
        .publish("status/sentinel", QoS::AtLeastOnce, false, "after")
        .await
        .expect("publish");
    expect(&mut rx, publish_of).await.0
}

#[tokio::test]
async fn no_will_after_a_clean_disconnect() {
    let server = Running::start().await;
    let first = first_after_clean_disconnect(&server).await;
    assert_eq!(
        first, "status/sentinel",
        "a will arrived after a clean DISCONNECT"
    );
    server.stop().await;

    // The same check catches a broker that publishes the will anyway.
    let faulty = Running::start_with(BrokerConfig {
        faults: lastwill_broker::Fault::PublishWillAfterNormalDisconnect.into(),
        ..BrokerConfig::default()
    })
    .await;
    assert_eq!(first_after_clean_disconnect(&faulty).await, "status/device");
    faulty.stop().await;
}

#[tokio::test]
async fn will_is_published_on_connection_reset() {
    use lastwill_codec::{encode_to_bytes, Connect, Packet as CodecPacket, ProtocolVersion, Will};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = Running::start().await;
    let (_watcher, mut rx) = watcher(&server, "status/#").await;
    let mut connect = Connect::new(ProtocolVersion::V3_1_1, "raw");
    connect.will = Some(Will {
        topic: "status/raw".into(),
        payload: bytes::Bytes::from_static(b"reset"),
        qos: lastwill_codec::QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    });
    let bytes = encode_to_bytes(
        &CodecPacket::Connect(Box::new(connect)),
        ProtocolVersion::V3_1_1,
    )
    .expect("encode");
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    stream.write_all(&bytes).await.expect("write");
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).await.expect("CONNACK");
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x00]);
    // SO_LINGER 0 makes close send RST instead of FIN.
    stream.set_zero_linger().expect("linger");
    drop(stream);
    let (topic, payload) = expect(&mut rx, publish_of).await;
    assert_eq!(
        (topic.as_str(), payload.as_slice()),
        ("status/raw", &b"reset"[..])
    );
    server.stop().await;
}

#[tokio::test]
async fn v5_will_waits_for_its_delay() {
    use rumqttc::v5::mqttbytes::v5::{
        LastWill as LastWill5, LastWillProperties, Packet as Packet5,
    };
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::{AsyncClient as Client5, Event as Event5, MqttOptions as Options5};

    let server = Running::start().await;
    let (_watcher, mut rx) = watcher(&server, "status/#").await;

    let mut options = Options5::new("delayed", server.addr.ip().to_string(), server.addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    options.set_session_expiry_interval(Some(30));
    let properties = LastWillProperties {
        delay_interval: Some(1),
        payload_format_indicator: None,
        message_expiry_interval: None,
        content_type: None,
        response_topic: None,
        correlation_data: None,
        user_properties: Vec::new(),
    };
    options.set_last_will(LastWill5::new(
        "status/delayed",
        "late",
        QoS5::AtMostOnce,
        false,
        Some(properties),
    ));
    let (client, mut eventloop) = Client5::new(options, 10);
    let connack = async {
        loop {
            if let Event5::Incoming(Packet5::ConnAck(_)) = eventloop.poll().await.expect("connect")
            {
                return;
            }
        }
    };
    tokio::time::timeout(PROMPTLY, connack)
        .await
        .expect("CONNACK");
    let dropped_at = Instant::now();
    drop(eventloop);
    drop(client);

    // Never early: the broker starts the delay when it sees the close, which
    // is after `dropped_at`.
    let early = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
    assert!(early.is_err(), "will arrived before its delay: {early:?}");
    let (topic, payload) = expect(&mut rx, publish_of).await;
    let waited = dropped_at.elapsed();
    assert_eq!(
        (topic.as_str(), payload.as_slice()),
        ("status/delayed", &b"late"[..])
    );
    assert!(
        waited >= Duration::from_millis(990),
        "published after {waited:?}"
    );
    server.stop().await;
}

/// A client speaking through the codec over a raw socket, for checks where a
/// client library would hide the order of packets and the end of the stream.
struct RawClient {
    stream: tokio::net::TcpStream,
    buf: bytes::BytesMut,
    version: lastwill_codec::ProtocolVersion,
}

impl RawClient {
    async fn connect(addr: SocketAddr, connect: lastwill_codec::Connect) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut client = Self {
            stream,
            buf: bytes::BytesMut::new(),
            version: connect.version,
        };
        client
            .send(&lastwill_codec::Packet::Connect(Box::new(connect)))
            .await;
        assert!(matches!(
            client.recv().await,
            Some(lastwill_codec::Packet::ConnAck(_))
        ));
        client
    }

    async fn send(&mut self, packet: &lastwill_codec::Packet) {
        use tokio::io::AsyncWriteExt;
        let bytes = lastwill_codec::encode_to_bytes(packet, self.version).expect("encode");
        self.stream.write_all(&bytes).await.expect("write");
    }

    /// The next packet, or `None` at end of stream.
    async fn recv(&mut self) -> Option<lastwill_codec::Packet> {
        use tokio::io::AsyncReadExt;
        let limits = lastwill_codec::Limits::UNLIMITED;
        loop {
            if let Some(packet) =
                lastwill_codec::decode(&mut self.buf, self.version, &limits).expect("valid packet")
            {
                return Some(packet);
            }
            let read = tokio::time::timeout(PROMPTLY, self.stream.read_buf(&mut self.buf)).await;
            if read.expect("in time").expect("read") == 0 {
                return None;
            }
        }
    }
}

#[tokio::test]
async fn shutdown_publishes_wills_to_connected_subscribers_first() {
    use lastwill_codec::{Packet as P, ProtocolVersion, ReasonCode, Subscribe, Subscription};

    let server = Running::start().await;
    let mut sub = RawClient::connect(
        server.addr,
        lastwill_codec::Connect::new(ProtocolVersion::V5, "sub"),
    )
    .await;
    sub.send(&P::Subscribe(Subscribe {
        packet_id: 1,
        properties: Default::default(),
        subscriptions: vec![Subscription {
            filter: "status/#".into(),
            options: Default::default(),
        }],
    }))
    .await;
    assert!(matches!(sub.recv().await, Some(P::SubAck(_))));
    let (_client, eventloop) = device(&server, "status/device").await;
    let _device_rx = pump(eventloop);

    let Running { stop, task, .. } = server;
    if let Some(stop) = stop {
        let _ = stop.send(());
    }
    match sub.recv().await {
        Some(P::Publish(p)) => assert_eq!(p.topic, "status/device"),
        other => panic!("expected the will first, got {other:?}"),
    }
    match sub.recv().await {
        Some(P::Disconnect(d)) => assert_eq!(d.reason_code, ReasonCode::SERVER_SHUTTING_DOWN),
        other => panic!("expected DISCONNECT 0x8B, got {other:?}"),
    }
    assert!(sub.recv().await.is_none(), "then the server closes");
    let result = tokio::time::timeout(PROMPTLY, task).await;
    assert!(matches!(result, Ok(Ok(Ok(())))));
}
