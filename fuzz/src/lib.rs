//! Checks shared by the fuzz targets, kept here so that `cargo test` in this
//! crate runs them on fixed inputs too.
//!
//! [`differential`] feeds the same bytes to lastwill's strict decoder and to
//! mqttbytes 0.6 (its `v4` and `v5` modules) and classifies every
//! disagreement. Both results are first normalised to a [`Verdict`]:
//! incomplete, rejected, accepted (with a [`Summary`] of the fields both
//! decoders expose), or — for mqttbytes — panicked.

pub mod peer;
pub mod seeds;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// How a disagreement (or agreement) between the two decoders is classed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Both accept the same packet, both reject, or both need more bytes.
    Agree,
    /// lastwill rejects as soon as the first bytes show the error; mqttbytes
    /// waits for the whole frame.
    LastwillRejectsEarlier { rule: &'static str },
    /// (a) mqttbytes accepts what lastwill rejects with `rule`: a known
    /// leniency of mqttbytes (see [`LENIENCIES`]).
    MqttbytesLeniency { variant: String, rule: &'static str },
    /// mqttbytes rejects a packet lastwill accepts, for a reason listed in
    /// [`MQTTBYTES_GAPS`] (a packet type or form mqttbytes does not know).
    MqttbytesGap { gap: &'static str },
    /// Both accept a 5.0 PUBLISH carrying Subscription Identifiers but
    /// mqttbytes' payload is longer: it counts each identifier's id byte
    /// twice against the Property Length, stops reading properties early
    /// and takes the remaining properties as payload.
    MqttbytesSubscriptionIdMisparse,
    /// A CONNECT whose protocol level is not the mqttbytes module's (4 for
    /// `v4`, 5 for `v5`): lastwill reads each CONNECT at its own level,
    /// mqttbytes at the module's, so the results are not compared.
    ConnectOfOtherLevel,
    /// (c) mqttbytes panicked: recorded, not a failure of this target.
    MqttbytesPanic { message: String },
}

/// (a) Errors of lastwill that mqttbytes 0.6 does not check, so it accepts
/// the packet: the variant name of [`DecodeError`] and why. Any other variant
/// on an input mqttbytes accepts fails the target: either a new leniency to
/// list here, or (b) lastwill rejecting what the spec allows.
pub const LENIENCIES: &[(&str, &str)] = &[
    // Known before fuzzing.
    (
        "InvalidFixedHeaderFlags",
        "reserved fixed-header flag bits are not checked",
    ),
    (
        "PublishTopicWildcard",
        "wildcards in a PUBLISH Topic Name are accepted",
    ),
    ("NullCharacter", "U+0000 in UTF-8 strings is accepted"),
    (
        "NonMinimalVarInt",
        "non-minimal Variable Byte Integers are accepted",
    ),
    (
        "TrailingBytes",
        "bytes after the last field of a packet are ignored",
    ),
    (
        "DuplicateProperty",
        "a property that may appear once is accepted twice",
    ),
    // Found by the differential target (README lists a minimal input each).
    (
        "PublishTopicEmpty",
        "an empty Topic Name without a Topic Alias is accepted",
    ),
    ("DupWithQos0", "DUP=1 on a QoS 0 PUBLISH is accepted"),
    (
        "ConnAckReservedFlags",
        "reserved CONNACK acknowledge flag bits are accepted",
    ),
    (
        "SessionPresentWithError",
        "Session Present with a refusal code is accepted",
    ),
    (
        "ZeroPacketId",
        "packet identifier 0 on SUBSCRIBE/UNSUBSCRIBE is accepted",
    ),
    (
        "SubscribeWithoutFilters",
        "a SUBSCRIBE without filters is accepted",
    ),
    (
        "UnsubscribeWithoutFilters",
        "an UNSUBSCRIBE without filters is accepted",
    ),
    ("TopicFilterEmpty", "an empty Topic Filter is accepted"),
    (
        "MultiLevelWildcardNotLast",
        "'#' not alone as the last level is accepted",
    ),
    (
        "SingleLevelWildcardNotAlone",
        "'+' not alone in its level is accepted",
    ),
    (
        "InvalidSharedSubscription",
        "a malformed $share filter is accepted",
    ),
    (
        "ReservedSubscriptionOptionBits",
        "reserved subscription option bits are accepted",
    ),
    (
        "InvalidPropertyValue",
        "Topic Alias 0 (and other out-of-range values) are accepted",
    ),
    (
        "PropertyLengthMismatch",
        "a Property Length that ends inside a property is accepted",
    ),
    // Reached because mqttbytes counts a Subscription Identifier's id byte
    // twice against the Property Length, so it stops reading properties early
    // and takes the rest as payload; lastwill reads the real rest.
    (
        "UnknownProperty",
        "undefined property identifiers are accepted, via the early stop",
    ),
    (
        "PropertyNotAllowed",
        "properties not allowed in the packet are accepted, via the early stop",
    ),
    (
        "VarIntTooLong",
        "a five-byte Variable Byte Integer is accepted, via the early stop",
    ),
    (
        "ReservedConnectFlag",
        "the reserved CONNECT flag bit 0 is accepted",
    ),
    (
        "ConnectPayloadTrailingBytes",
        "bytes after the last CONNECT payload field are ignored",
    ),
    ("WillTopicEmpty", "an empty Will Topic is accepted"),
    (
        "PasswordWithoutUsername",
        "a 3.1.1 password without a user name is accepted",
    ),
    (
        "WillTopicWildcard",
        "wildcards in a Will Topic are accepted",
    ),
    (
        "AuthenticationDataWithoutMethod",
        "Authentication Data without an Authentication Method is accepted",
    ),
    (
        "NoLocalOnSharedSubscription",
        "No Local 1 on a Shared Subscription is accepted",
    ),
    (
        "InvalidUtf8",
        "ill-formed UTF-8 in a 5.0 property string (e.g. Content Type) is accepted, via the early stop",
    ),
    (
        "ResponseTopicWildcard",
        "wildcards in a Response Topic are accepted, via the early stop",
    ),
    (
        "ResponseTopicEmpty",
        "an empty Response Topic is accepted, via the early stop",
    ),
];

/// mqttbytes errors on packets lastwill accepts, by lastwill packet kind and
/// mqttbytes error variant: packet types or short forms mqttbytes lacks.
pub const MQTTBYTES_GAPS: &[(&str, &str, &str)] = &[
    ("AUTH", "InvalidPacketType", "no AUTH packet in mqttbytes v5"),
    ("DISCONNECT", "PayloadRequired", "a DISCONNECT with Remaining Length 0 is refused"),
    ("DISCONNECT", "InsufficientBytes", "a 5.0 DISCONNECT with a reason code and no Property Length is refused (§3.14.2.2.1 allows it)"),
    ("CONNECT", "InvalidProtocolLevel", "a CONNECT is read only at the module's level, while lastwill reads each CONNECT at its own level"),
    ("CONNECT", "InvalidProtocol", "\"MQIsdp\" (3.1) CONNECT is refused"),
    ("CONNECT", "TopicNotUtf8", "a Password that is not UTF-8 is refused: mqttbytes reads the Password, which is Binary Data (§3.1.3.5 / §3.1.3.6), as a UTF-8 string"),
];

static MQTTBYTES_PANICS: AtomicUsize = AtomicUsize::new(0);

/// How many mqttbytes panics [`differential`] has recorded in this process.
pub fn mqttbytes_panics() -> usize {
    MQTTBYTES_PANICS.load(Ordering::Relaxed)
}

/// The fuzz target's one line: the input on a 3.1.1 connection against
/// `mqttbytes::v4` and on a 5.0 connection against `mqttbytes::v5`. Panics
/// (fails the target) on a disagreement of no listed class.
pub fn differential(bytes: &[u8]) {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        match classify(bytes, version) {
            Ok(Class::MqttbytesPanic { message }) => {
                if MQTTBYTES_PANICS.fetch_add(1, Ordering::Relaxed) < 20 {
                    eprintln!(
                        "mqttbytes ({version}) panicked on {}: {message}",
                        hex(bytes)
                    );
                }
            }
            Ok(_) => {}
            // LASTWILL_DIFF_SURVEY=1 prints unexpected classes instead of
            // failing, to survey a run before listing new classes.
            Err(unexpected) if std::env::var_os("LASTWILL_DIFF_SURVEY").is_some() => {
                eprintln!("UNEXPECTED {unexpected}");
            }
            Err(unexpected) => panic!("{unexpected}"),
        }
    }
}

/// Classifies what the two decoders make of `bytes` on a `version`
/// connection; `Err` describes a disagreement of no allowed class.
pub fn classify(bytes: &[u8], version: ProtocolVersion) -> Result<Class, String> {
    let (ours, error) = lastwill(bytes, version);
    let theirs = mqttbytes(bytes, version);
    let unexpected = |what: &str| {
        Err(format!(
            "{what} on MQTT {version}, input {}\n  lastwill:  {ours:?} {error:?}\n  mqttbytes: {theirs:?}",
            hex(bytes)
        ))
    };
    if is_connect_of_other_level(bytes, version) && !matches!(theirs, Verdict::Panicked { .. }) {
        return Ok(Class::ConnectOfOtherLevel);
    }
    Ok(match (&ours, &theirs) {
        (_, Verdict::Panicked { message }) => Class::MqttbytesPanic {
            message: message.clone(),
        },
        (Verdict::Incomplete, Verdict::Incomplete)
        | (Verdict::Rejected { .. }, Verdict::Rejected { .. }) => Class::Agree,
        (Verdict::Rejected { .. }, Verdict::Incomplete) => Class::LastwillRejectsEarlier {
            rule: error.as_ref().map_or("", DecodeError::rule),
        },
        (Verdict::Accepted { .. }, Verdict::Accepted { .. }) if ours == theirs => Class::Agree,
        (
            Verdict::Accepted {
                consumed: a,
                summary: s,
            },
            Verdict::Accepted {
                consumed: b,
                summary: t,
            },
        ) if a == b && subscription_id_misparse(s, t, bytes, version) => {
            Class::MqttbytesSubscriptionIdMisparse
        }
        (Verdict::Rejected { what }, Verdict::Accepted { .. }) => {
            if !LENIENCIES.iter().any(|(variant, _)| variant == what) {
                return unexpected(
                    "mqttbytes accepts what lastwill rejects with an unlisted error \
                     (a new leniency, or lastwill rejecting a valid packet)",
                );
            }
            Class::MqttbytesLeniency {
                variant: what.clone(),
                rule: error.as_ref().map_or("", DecodeError::rule),
            }
        }
        (Verdict::Accepted { summary, .. }, Verdict::Rejected { what }) => {
            match MQTTBYTES_GAPS
                .iter()
                .find(|(kind, variant, _)| *kind == summary.kind && variant == what)
            {
                Some((_, _, gap)) => Class::MqttbytesGap { gap },
                None => return unexpected("mqttbytes rejects what lastwill accepts"),
            }
        }
        _ => return unexpected("the decoders disagree"),
    })
}

/// Whether `bytes` start a CONNECT that announces a protocol other than
/// "MQTT" at the level of `version`'s mqttbytes module.
fn is_connect_of_other_level(bytes: &[u8], version: ProtocolVersion) -> bool {
    if bytes.first().map(|b| b >> 4) != Some(1) {
        return false;
    }
    let Some(len_bytes) = bytes.iter().skip(1).take(4).position(|b| b & 0x80 == 0) else {
        return false;
    };
    let body = &bytes[(2 + len_bytes).min(bytes.len())..];
    match body.get(..7) {
        // Levels lastwill speaks; others it rejects, which is compared.
        Some([0, 4, b'M', b'Q', b'T', b'T', level]) => {
            matches!(level, 4 | 5) && *level != version.level()
        }
        // 3.1, which lastwill decodes and mqttbytes does not know.
        Some([0, 6, b'M', b'Q', b'I', b's', b'd']) => true,
        _ => false,
    }
}

/// Whether `theirs` differs from `ours` only by a payload that starts with
/// properties lastwill read, on a 5.0 PUBLISH with Subscription Identifiers.
fn subscription_id_misparse(
    ours: &Summary,
    theirs: &Summary,
    bytes: &[u8],
    version: ProtocolVersion,
) -> bool {
    let (Some(our_payload), Some(their_payload)) = (&ours.payload, &theirs.payload) else {
        return false;
    };
    let has_subscription_id = {
        let mut buf = BytesMut::from(bytes);
        matches!(
            decode(&mut buf, version, &Limits::default()),
            Ok(Some(Packet::Publish(p))) if !p.properties.subscription_identifiers.is_empty()
        )
    };
    version.is_v5()
        && has_subscription_id
        && their_payload.len() > our_payload.len()
        && their_payload.ends_with(our_payload)
        && Summary {
            payload: None,
            ..ours.clone()
        } == Summary {
            payload: None,
            ..theirs.clone()
        }
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
            s.client_id = Some(c.client_id.clone());
            s.keep_alive = Some(c.keep_alive);
        }
        Packet::Publish(p) => {
            s.packet_id = p.packet_id;
            s.topic = Some(p.topic.clone());
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
            s.filters = x.subscriptions.iter().map(|f| f.filter.clone()).collect();
        }
        Packet::SubAck(x) => s.packet_id = Some(x.packet_id),
        Packet::Unsubscribe(x) => {
            s.packet_id = Some(x.packet_id);
            s.filters = x.filters.clone();
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

/// The smallest input found (hand-minimised) for each leniency in
/// [`LENIENCIES`]: lastwill error variant, connection version (3 = 3.1.1 with
/// `mqttbytes::v4`, 5 = 5.0 with `mqttbytes::v5`) and the bytes in hex. The
/// README's table is this list; the tests check each still classifies so.
pub const LENIENCY_EXAMPLES: &[(&str, u8, &str)] = &[
    ("InvalidFixedHeaderFlags", 3, "41020001"),
    ("PublishTopicWildcard", 3, "3003000123"),
    ("NullCharacter", 3, "3003000100"),
    ("NonMinimalVarInt", 3, "c08000"),
    ("TrailingBytes", 3, "4003000100"),
    ("DuplicateProperty", 5, "400a000100061f00001f0000"),
    ("PublishTopicEmpty", 3, "30020000"),
    ("DupWithQos0", 3, "3803000161"),
    ("ConnAckReservedFlags", 3, "20020200"),
    ("SessionPresentWithError", 3, "20020101"),
    ("ZeroPacketId", 3, "a2050000000161"),
    ("SubscribeWithoutFilters", 3, "82020001"),
    ("UnsubscribeWithoutFilters", 3, "a2020001"),
    ("TopicFilterEmpty", 3, "a20400010000"),
    ("MultiLevelWildcardNotLast", 3, "a20700010003232f61"),
    ("SingleLevelWildcardNotAlone", 3, "a20600010002612b"),
    (
        "InvalidSharedSubscription",
        5,
        "a20d00010000082473686172652f61",
    ),
    ("ReservedSubscriptionOptionBits", 3, "8206000100016104"),
    ("InvalidPropertyValue", 5, "300700016103230000"),
    ("PropertyLengthMismatch", 5, "300700016101230001"),
    ("UnknownProperty", 5, "3007000161030b017c"),
    ("PropertyNotAllowed", 5, "3007000161030b0111"),
    (
        "VarIntTooLong",
        5,
        "3016000161120b010b010b010b010b010b010bffffffff01",
    ),
    ("ResponseTopicEmpty", 5, "3009000161050b01080000"),
    ("ResponseTopicWildcard", 5, "300a000161060b0108000123"),
    ("ReservedConnectFlag", 3, "100c00044d515454040100000000"),
    (
        "ConnectPayloadTrailingBytes",
        3,
        "100d00044d51545404000000000000",
    ),
    ("WillTopicEmpty", 3, "101000044d51545404040000000000000000"),
    (
        "WillTopicWildcard",
        3,
        "101100044d5154540404000000000001230000",
    ),
    (
        "PasswordWithoutUsername",
        3,
        "100e00044d5154540440000000000000",
    ),
    ("AuthenticationDataWithoutMethod", 5, "2006000003160000"),
    ("NoLocalOnSharedSubscription", 5, "8210000100000a2473686172652f672f7404"),
    ("InvalidUtf8", 5, "30110001610c0b010b020b030b04030001ff78"),
];
#[cfg(test)]
mod tests {
    use super::*;

    fn class(hex_input: &str, version: ProtocolVersion) -> Result<Class, String> {
        let bytes: Vec<u8> = (0..hex_input.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex_input[i..i + 2], 16).expect("hex"))
            .collect();
        classify(&bytes, version)
    }

    fn version(n: u8) -> ProtocolVersion {
        if n == 5 {
            ProtocolVersion::V5
        } else {
            ProtocolVersion::V3_1_1
        }
    }

    /// fuzz/regressions/differential_mqttbytes: every named input still
    /// classifies (the workspace's tests/fuzz_regressions.rs replays the
    /// other targets' inputs).
    #[test]
    fn differential_regressions_classify() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("regressions/differential_mqttbytes");
        let mut failures = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let bytes = std::fs::read(entry.path()).expect("readable");
            for v in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
                if let Err(unexpected) = classify(&bytes, v) {
                    failures.push(format!("{}: {unexpected}", entry.path().display()));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn every_leniency_has_a_minimal_example() {
        let mut failures = Vec::new();
        for &(variant, v, input) in LENIENCY_EXAMPLES {
            match class(input, version(v)) {
                Ok(Class::MqttbytesLeniency { variant: got, rule }) if got == variant => {
                    assert!(!rule.is_empty());
                }
                other => failures.push(format!("{variant} {input}: {other:?}")),
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        for (variant, _) in LENIENCIES {
            assert!(
                LENIENCY_EXAMPLES.iter().any(|(v, ..)| v == variant),
                "{variant} has no example"
            );
        }
    }

    #[test]
    fn gaps_and_other_classes() {
        let v3 = ProtocolVersion::V3_1_1;
        let v5 = ProtocolVersion::V5;
        let gap = |input, version| match class(input, version) {
            Ok(Class::MqttbytesGap { gap }) => gap,
            other => panic!("{input}: {other:?}"),
        };
        gap("e000", v5); // 5.0 DISCONNECT, Remaining Length 0
        gap("e00100", v5); // 5.0 DISCONNECT, reason code only
        gap("f000", v5); // AUTH
        // CONNECT with the binary Password ff (5.0: no User Name needed;
        // 3.1.1: empty User Name, client id "a").
        gap("101000044d515454054200000000000001ff", v5);
        gap("101200044d51545404c2000000016100000001ff", v3);
                         // A 5.0 PUBLISH: topic "a", Subscription Identifiers 1, 2 and 3, payload "x".
        assert_eq!(
            class("300b000161060b010b020b0378", v5),
            Ok(Class::MqttbytesSubscriptionIdMisparse)
        );
        // A 5.0 CONNECT on a 3.1.1 connection.
        assert_eq!(
            class("100d00044d5154540502003c000000", v3),
            Ok(Class::ConnectOfOtherLevel)
        );
        // lastwill sees the reserved type 0 in the first byte.
        assert!(matches!(
            class("00", v3),
            Ok(Class::LastwillRejectsEarlier { .. })
        ));
    }

    #[test]
    fn agreement() {
        // PINGREQ, a 3.1.1 PUBLISH QoS 0 "a" / "x".
        assert_eq!(class("c000", ProtocolVersion::V3_1_1), Ok(Class::Agree));
        assert_eq!(
            class("30040001617878", ProtocolVersion::V3_1_1),
            Ok(Class::Agree)
        );
    }
}
