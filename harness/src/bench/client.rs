//! Will-carrying clients: connect, send CONNECT, wait for CONNACK, then hold
//! the socket and send nothing. Opened many at a time with a cap on
//! handshakes in flight, optionally from several loopback source addresses
//! (127.0.0.1, .2, …) so that tens of thousands of connections do not run out
//! of ephemeral ports.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, QoS, ReasonCode, Will,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Handshakes in flight at once while opening clients: below mosquitto's
/// listen backlog (100), past which SYNs are dropped and retried a second later.
const CONNECTS_IN_FLIGHT: usize = 64;
/// How long one handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// What every client of one batch has in common.
#[derive(Clone, Debug)]
pub(super) struct ClientSpec {
    pub broker: SocketAddr,
    pub tag: String,
    pub keep_alive: u16,
    /// Loopback source addresses to spread the clients over (1 = let the
    /// kernel choose).
    pub source_addrs: u8,
}

/// An open client: its socket and when its CONNECT was written (just
/// before the write), the last
/// packet it sent (the keep-alive clock starts there).
#[derive(Debug)]
pub(super) struct OpenClient {
    pub index: usize,
    pub stream: TcpStream,
    pub connect_sent: Instant,
}

/// The CONNECT of client `index`: 3.1.1, Clean Session, a QoS 0 will on
/// its own topic whose payload is its index.
fn connect_packet(spec: &ClientSpec, index: usize) -> Bytes {
    let mut connect = Connect::new(ProtocolVersion::V3_1_1, format!("lwb-{}-{index}", spec.tag));
    connect.keep_alive = spec.keep_alive;
    connect.will = Some(Will {
        topic: super::will_topic(&spec.tag, index).into(),
        payload: Bytes::from(index.to_string()),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    });
    // The packet is well-formed by construction; encoding cannot fail.
    encode_to_bytes(&Packet::Connect(Box::new(connect)), ProtocolVersion::V3_1_1)
        .unwrap_or_default()
}

/// Opens one connection, from `source` if given.
pub(super) async fn dial(broker: SocketAddr, source: Option<IpAddr>) -> io::Result<TcpStream> {
    let socket = match broker {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(broker).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Reads until one whole packet is there and returns it.
pub(super) async fn read_packet(stream: &mut TcpStream, buf: &mut BytesMut) -> io::Result<Packet> {
    loop {
        match decode(buf, ProtocolVersion::V3_1_1, &Limits::default()) {
            Ok(Some(packet)) => return Ok(packet),
            Ok(None) => {}
            Err(error) => return Err(io::Error::other(format!("broker sent: {error}"))),
        }
        if stream.read_buf(buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "broker closed the connection",
            ));
        }
    }
}

async fn open_one(spec: &ClientSpec, index: usize) -> io::Result<OpenClient> {
    let source = (spec.source_addrs > 1 && spec.broker.ip().is_loopback()).then(|| {
        let last = 1 + (index % usize::from(spec.source_addrs)) as u8;
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    });
    let mut stream = dial(spec.broker, source).await?;
    let packet = connect_packet(spec, index);
    // Taken before the write: the broker cannot have the CONNECT earlier,
    // so a will measured against it is never wrongly early.
    let connect_sent = Instant::now();
    stream.write_all(&packet).await?;
    let mut buf = BytesMut::with_capacity(64);
    match read_packet(&mut stream, &mut buf).await? {
        Packet::ConnAck(ack) if ack.reason_code == ReasonCode::SUCCESS => Ok(OpenClient {
            index,
            stream,
            connect_sent,
        }),
        other => Err(io::Error::other(format!(
            "client {index}: expected CONNACK 0, got {other:?}"
        ))),
    }
}

/// Opens clients `0..count`; fails on the first client that cannot connect.
pub(super) async fn open_clients(spec: &ClientSpec, count: usize) -> io::Result<Vec<OpenClient>> {
    let spec = Arc::new(spec.clone());
    let permits = Arc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let spec = Arc::clone(&spec);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire().await;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, open_one(&spec, index)).await {
                Ok(result) => result,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("client {index}: no CONNACK within {HANDSHAKE_TIMEOUT:?}"),
                )),
            }
        });
    }
    let mut clients = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        clients.push(joined.map_err(io::Error::other)??);
    }
    clients.sort_by_key(|client| client.index);
    Ok(clients)
}

/// Ends every connection with RST (SO_LINGER 0, then close) as fast as the
/// loop goes; how long the loop took.
pub(super) fn reset_all(clients: Vec<OpenClient>) -> Duration {
    let began = Instant::now();
    for client in clients {
        let _ = client.stream.set_zero_linger();
        drop(client.stream);
    }
    began.elapsed()
}
