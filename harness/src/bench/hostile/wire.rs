//! What the hostile run puts on the wire: oversized CONNECT heads, whole
//! CONNECTs one byte over a limit, and a raw 5.0 connection to read the
//! answers with.

use std::io;
use std::net::{IpAddr, SocketAddr};

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    decode, encode_to_bytes, put_fixed_header, Connect, Limits, Packet, ProtocolVersion, QoS,
    ReasonCode, Subscribe, Subscription, SubscriptionOptions, UserProperty,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::super::client::dial;

const V5: ProtocolVersion = ProtocolVersion::V5;

/// A fixed header announcing a CONNECT of `remaining` bytes, the start of a
/// 5.0 variable header (so a broker can answer in 5.0), and 4 KiB of body.
pub(super) fn oversized_head(remaining: u32) -> Vec<u8> {
    let mut head = BytesMut::new();
    put_fixed_header(&mut head, 0x10, remaining.min(268_435_455) as usize);
    let mut head = head.to_vec();
    head.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 0, 0]);
    head.resize(head.len() + 4096, 0);
    head
}

/// A well-formed 5.0 CONNECT of `limit + 1` bytes, padded with User
/// Properties (every string field stops at 65,535 bytes, so a 1 MiB one
/// needs several). Exact except where one more byte of padding would need
/// one more property; never at or under the limit unless the limit is
/// smaller than an empty CONNECT.
pub(super) fn just_over_connect(limit: u32) -> Bytes {
    let target = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut pad = 0;
    let mut bytes = connect_bytes(padded_connect(pad));
    // The Remaining Length and the property count grow in steps: a few
    // corrections land on the target.
    for _ in 0..8 {
        if bytes.len() == target {
            break;
        }
        pad = (pad + target).saturating_sub(bytes.len());
        bytes = connect_bytes(padded_connect(pad));
    }
    if bytes.len() < target {
        bytes = connect_bytes(padded_connect(pad + 1));
    }
    bytes
}

/// A 5.0 CONNECT carrying `pad` bytes of User Property values.
fn padded_connect(pad: usize) -> Connect {
    let mut connect = Connect::new(V5, "lwb-just-over");
    let mut left = pad;
    while left > 0 {
        let chunk = left.min(60_000);
        connect.properties.user_properties.push(UserProperty {
            name: "p".into(),
            value: "x".repeat(chunk).into(),
        });
        left -= chunk;
    }
    connect
}

pub(super) fn connect_bytes(connect: Connect) -> Bytes {
    // Built here from valid parts: encoding cannot fail except past the
    // codec's own size limit, when an empty packet is as good a probe.
    encode_to_bytes(&Packet::Connect(Box::new(connect)), V5).unwrap_or_default()
}

/// One raw 5.0 connection.
pub(super) struct Raw {
    pub stream: TcpStream,
    buf: BytesMut,
}

impl Raw {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: BytesMut::new(),
        }
    }

    pub async fn dial(broker: SocketAddr, from: Option<IpAddr>) -> io::Result<Self> {
        Ok(Self::new(dial(broker, from).await?))
    }

    /// The next packet; `None` on a clean close, an error on a reset.
    pub async fn recv(&mut self) -> io::Result<Option<Packet>> {
        loop {
            match decode(&mut self.buf, V5, &Limits::default()) {
                Ok(Some(packet)) => return Ok(Some(packet)),
                Ok(None) => {}
                Err(error) => return Err(io::Error::other(format!("broker sent: {error}"))),
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }

    pub async fn handshake(&mut self, connect: Connect) -> io::Result<ReasonCode> {
        self.stream.write_all(&connect_bytes(connect)).await?;
        match self.recv().await? {
            Some(Packet::ConnAck(ack)) => Ok(ack.reason_code),
            other => Err(io::Error::other(format!("expected CONNACK, got {other:?}"))),
        }
    }

    pub async fn subscribe(&mut self, filter: &str) -> io::Result<()> {
        let subscribe = Subscribe {
            packet_id: 1,
            properties: Default::default(),
            subscriptions: vec![Subscription {
                filter: filter.into(),
                options: SubscriptionOptions {
                    qos: QoS::AtLeastOnce,
                    ..Default::default()
                },
            }],
        };
        let bytes = encode_to_bytes(&Packet::Subscribe(subscribe), V5).map_err(io::Error::other)?;
        self.stream.write_all(&bytes).await?;
        match self.recv().await? {
            Some(Packet::SubAck(_)) => Ok(()),
            other => Err(io::Error::other(format!("expected SUBACK, got {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn just_over_connects_are_one_byte_over() {
        for limit in [100u32, 127, 1000, 16_383, 16_384, 65_536, 1024 * 1024] {
            let len = just_over_connect(limit).len();
            assert!(
                len > limit as usize && len <= limit as usize + 8,
                "{limit}: {len}"
            );
        }
        assert_eq!(just_over_connect(1024 * 1024).len(), 1024 * 1024 + 1);
    }

    #[test]
    fn oversized_heads_announce_what_they_say() {
        let head = oversized_head(200_000_000);
        assert_eq!(head[0], 0x10);
        assert_eq!(&head[1..5], &[0x80, 0x84, 0xAF, 0x5F]);
    }
}
