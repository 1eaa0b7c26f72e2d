//! Each decoder's result on the same bytes, normalised to a [`Verdict`]
//! so that the two can be compared field by field ([`Summary`]).

use std::panic::{self, AssertUnwindSafe};

use bytes::BytesMut;
use lastwill_codec::{decode, DecodeError, Limits, Packet, ProtocolVersion};

/// The largest packet either decoder is asked to take.
const MAX_SIZE: usize = 268_435_455;

/// What a decoder made of the input, normalised across the two libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// More bytes are needed.
    Incomplete,
    /// A packet of `consumed` bytes.
    Accepted { consumed: usize, summary: Summary },
    /// The input is not a valid packet; `what` names the error variant.
    Rejected { what: String },
    /// The decoder panicked (mqttbytes only; a lastwill panic is a crash).
    Panicked { message: String },
}

/// The fields both decoders report, for comparing accepted packets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub kind: &'static str,
    pub packet_id: Option<u16>,
    pub topic: Option<String>,
    pub qos: Option<u8>,
    pub retain: Option<bool>,
    pub dup: Option<bool>,
    pub payload: Option<Vec<u8>>,
    pub filters: Vec<String>,
    pub client_id: Option<String>,
    pub keep_alive: Option<u16>,
}

/// lastwill's streaming decoder, normalised.
pub fn lastwill(bytes: &[u8], version: ProtocolVersion) -> (Verdict, Option<DecodeError>) {
    let mut buf = BytesMut::from(bytes);
    match decode(&mut buf, version, &Limits::default()) {
        Ok(None) => (Verdict::Incomplete, None),
        Ok(Some(packet)) => (
            Verdict::Accepted {
                consumed: bytes.len() - buf.len(),
                summary: summarise_lastwill(&packet),
            },
            None,
        ),
        Err(error) => (
            Verdict::Rejected {
                what: variant_name(&error),
            },
            Some(error),
        ),
    }
}

/// mqttbytes' `read` of the module for `version`, normalised, with panics caught.
pub fn mqttbytes(bytes: &[u8], version: ProtocolVersion) -> Verdict {
    let mut buf = BytesMut::from(bytes);
    let result = quietly(|| match version {
        ProtocolVersion::V5 => {
            mqttbytes::v5::read(&mut buf, MAX_SIZE).map(|packet| summarise_v5(&packet))
        }
        _ => mqttbytes::v4::read(&mut buf, MAX_SIZE).map(|packet| summarise_v4(&packet)),
    });
    match result {
        Err(message) => Verdict::Panicked { message },
        // mqttbytes also says InsufficientBytes when a field runs past a
        // whole frame; only a frame it cannot yet delimit is incomplete.
        Ok(Err(mqttbytes::Error::InsufficientBytes(_)))
            if mqttbytes::check(bytes.iter(), MAX_SIZE).is_err() =>
        {
            Verdict::Incomplete
        }
        Ok(Err(error)) => Verdict::Rejected {
            what: variant_name(&error),
        },
        Ok(Ok(summary)) => Verdict::Accepted {
            consumed: bytes.len() - buf.len(),
            summary,
        },
    }
}

/// Runs `f`, turning a panic into its message without printing it (the
/// fuzzer's own panic hook would abort the process).
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic".to_owned())
    })
}

/// The variant name of an error enum's `Debug` output.
fn variant_name(error: &impl std::fmt::Debug) -> String {
    let debug = format!("{error:?}");
    debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn summarise_lastwill(packet: &Packet) -> Summary {
    let kind = packet.packet_type().name();
    let mut s = Summary {
        kind,
        ..Summary::default()
    };
    match packet {
        Packet::Connect(c) => {
            s.client_id = Some(c.client_id.to_string());
            s.keep_alive = Some(c.keep_alive);
        }
        Packet::Publish(p) => {
            s.packet_id = p.packet_id;
            s.topic = Some(p.topic.to_string());
            s.qos = Some(p.qos.as_u8());
            s.retain = Some(p.retain);
            s.dup = Some(p.dup);
            s.payload = Some(p.payload.to_vec());
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            s.packet_id = Some(r.packet_id)
        }
        Packet::Subscribe(x) => {
            s.packet_id = Some(x.packet_id);
            s.filters = x
                .subscriptions
                .iter()
                .map(|f| f.filter.to_string())
                .collect();
        }
        Packet::SubAck(x) => s.packet_id = Some(x.packet_id),
        Packet::Unsubscribe(x) => {
            s.packet_id = Some(x.packet_id);
            s.filters = x.filters.iter().map(ToString::to_string).collect();
        }
        Packet::UnsubAck(x) => s.packet_id = Some(x.packet_id),
        _ => {}
    }
    s
}

/// The same fields from a mqttbytes packet; `$unsub` names the field that
/// holds an UNSUBSCRIBE's filters (`topics` in v4, `filters` in v5).
macro_rules! summarise_mqttbytes {
    ($name:ident, $m:ident, $unsub:ident) => {
        fn $name(packet: &mqttbytes::$m::Packet) -> Summary {
            use mqttbytes::$m::Packet as M;
            let mut s = Summary::default();
            match packet {
                M::Connect(c) => {
                    s.kind = "CONNECT";
                    s.client_id = Some(c.client_id.clone());
                    s.keep_alive = Some(c.keep_alive);
                }
                M::ConnAck(_) => s.kind = "CONNACK",
                M::Publish(p) => {
                    s.kind = "PUBLISH";
                    s.packet_id = (p.qos != mqttbytes::QoS::AtMostOnce).then_some(p.pkid);
                    s.topic = Some(p.topic.clone());
                    s.qos = Some(p.qos as u8);
                    s.retain = Some(p.retain);
                    s.dup = Some(p.dup);
                    s.payload = Some(p.payload.to_vec());
                }
                M::PubAck(r) => (s.kind, s.packet_id) = ("PUBACK", Some(r.pkid)),
                M::PubRec(r) => (s.kind, s.packet_id) = ("PUBREC", Some(r.pkid)),
                M::PubRel(r) => (s.kind, s.packet_id) = ("PUBREL", Some(r.pkid)),
                M::PubComp(r) => (s.kind, s.packet_id) = ("PUBCOMP", Some(r.pkid)),
                M::Subscribe(x) => {
                    (s.kind, s.packet_id) = ("SUBSCRIBE", Some(x.pkid));
                    s.filters = x.filters.iter().map(|f| f.path.clone()).collect();
                }
                M::SubAck(x) => (s.kind, s.packet_id) = ("SUBACK", Some(x.pkid)),
                M::Unsubscribe(x) => {
                    (s.kind, s.packet_id) = ("UNSUBSCRIBE", Some(x.pkid));
                    s.filters = x.$unsub.clone();
                }
                M::UnsubAck(x) => (s.kind, s.packet_id) = ("UNSUBACK", Some(x.pkid)),
                M::PingReq => s.kind = "PINGREQ",
                M::PingResp => s.kind = "PINGRESP",
                #[allow(unreachable_patterns)]
                _ => s.kind = "DISCONNECT",
            }
            s
        }
    };
}

summarise_mqttbytes!(summarise_v4, v4, topics);
summarise_mqttbytes!(summarise_v5, v5, filters);
