//! Checks shared by the fuzz targets, kept here so that `cargo test` in this
//! crate runs them on fixed inputs too.
//!
//! [`differential`] feeds the same bytes to lastwill's strict decoder and to
//! mqttbytes 0.6 (its `v4` and `v5` modules) and classifies every
//! disagreement. Both results are first normalised to a [`Verdict`]:
//! incomplete, rejected, accepted (with a [`Summary`] of the fields both
//! decoders expose), or — for mqttbytes — panicked.

mod leniencies;
mod normalise;
pub mod peer;
pub mod seeds;

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use lastwill_codec::{decode, DecodeError, Limits, Packet, ProtocolVersion};

pub use leniencies::{LENIENCIES, LENIENCY_EXAMPLES, MQTTBYTES_GAPS};
pub use normalise::{hex, lastwill, mqttbytes, Summary, Verdict};

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
            Ok(Some(Packet::Publish(p))) if !p.properties.rest.subscription_identifiers.is_empty()
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
