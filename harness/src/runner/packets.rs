//! Turning scenario text into packets: `{ns}` expansion, the CONNECT a
//! client spec describes, the Connect Flags patch and `send_raw` bytes.

use bytes::Bytes;
use lastwill_codec::{
    decode_packet, Connect, Limits, Properties, PropertyValues, ProtocolVersion, QoS, RawPacket,
    UserProperty, Will,
};

use super::verdict::StepError;
use crate::client::summarize;
use crate::scenario::values::{parse_hex, Bytes as ScenarioBytes, UserProperties};
use crate::scenario::{ClientSpec, SendRawStep, Version};

/// `lw-<run id>-<scenario hash>-<311|50>`: unique per run, scenario and
/// version, so scenarios run side by side on one broker without meeting.
pub(crate) fn namespace(run_id: u32, scenario_id: &str, version: Version) -> String {
    // FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in scenario_id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let v = match version {
        Version::V3_1_1 => "311",
        Version::V5 => "50",
    };
    format!("lw-{run_id:08x}-{:06x}-{v}", hash & 0x00ff_ffff)
}

pub(crate) fn expand(text: &str, ns: &str) -> String {
    text.replace("{ns}", ns)
}

/// Payload bytes; text (not hex) has `{ns}` expanded.
pub(crate) fn payload(value: &ScenarioBytes, ns: &str) -> Result<Bytes, StepError> {
    match value {
        ScenarioBytes::Text(text) => Ok(Bytes::from(expand(text, ns).into_bytes())),
        hex => hex
            .to_bytes()
            .map_err(|e| StepError::Error(format!("bad bytes in the scenario: {e}"))),
    }
}

pub(crate) fn user_properties(list: &UserProperties, ns: &str) -> Vec<UserProperty> {
    list.iter()
        .map(|[name, value]| UserProperty::new(expand(name, ns), expand(value, ns)))
        .collect()
}

/// The client spec with a `connect` step's overrides applied on top.
pub(crate) fn merge(base: &ClientSpec, over: &ClientSpec) -> ClientSpec {
    ClientSpec {
        node: over.node.clone().or_else(|| base.node.clone()),
        client_id: over.client_id.clone().or_else(|| base.client_id.clone()),
        clean_start: over.clean_start.or(base.clean_start),
        keep_alive: over.keep_alive.or(base.keep_alive),
        session_expiry: over.session_expiry.or(base.session_expiry),
        username: over.username.clone().or_else(|| base.username.clone()),
        password: over.password.clone().or_else(|| base.password.clone()),
        will: over.will.clone().or_else(|| base.will.clone()),
        receive_maximum: over.receive_maximum.or(base.receive_maximum),
        maximum_packet_size: over.maximum_packet_size.or(base.maximum_packet_size),
        topic_alias_maximum: over.topic_alias_maximum.or(base.topic_alias_maximum),
        request_problem_information: over
            .request_problem_information
            .or(base.request_problem_information),
        request_response_information: over
            .request_response_information
            .or(base.request_response_information),
        user_properties: if over.user_properties.is_empty() {
            base.user_properties.clone()
        } else {
            over.user_properties.clone()
        },
    }
}

/// The client identifier a spec gives, `{ns}-<name>` by default.
pub(crate) fn client_id(name: &str, spec: &ClientSpec, ns: &str) -> String {
    match &spec.client_id {
        Some(id) => expand(id, ns),
        None => format!("{ns}-{name}"),
    }
}

/// The CONNECT a client spec describes. 5.0-only fields are set as
/// properties, which the encoder leaves out under 3.1.1.
pub(crate) fn connect(
    name: &str,
    spec: &ClientSpec,
    with_will: bool,
    version: Version,
    ns: &str,
) -> Result<Connect, StepError> {
    let mut connect = Connect::new(version.protocol(), client_id(name, spec, ns));
    connect.clean_start = spec.clean_start.unwrap_or(true);
    connect.keep_alive = spec.keep_alive.unwrap_or(60);
    connect.username = spec.username.as_ref().map(|u| expand(u, ns).into());
    connect.password = match &spec.password {
        Some(p) => Some(payload(p, ns)?),
        None => None,
    };
    connect.properties = Properties::from(PropertyValues {
        session_expiry_interval: spec.session_expiry,
        receive_maximum: spec.receive_maximum,
        maximum_packet_size: spec.maximum_packet_size,
        topic_alias_maximum: spec.topic_alias_maximum,
        request_problem_information: spec.request_problem_information,
        request_response_information: spec.request_response_information,
        user_properties: user_properties(&spec.user_properties, ns),
        ..PropertyValues::default()
    });
    if let (true, Some(will)) = (with_will, &spec.will) {
        let qos = QoS::from_u8(will.qos).ok_or_else(|| {
            StepError::Error(format!(
                "will qos {} cannot be encoded; use connect_flags",
                will.qos
            ))
        })?;
        connect.will = Some(Will {
            topic: expand(&will.topic, ns).into(),
            payload: payload(&will.payload, ns)?,
            qos,
            retain: will.retain,
            properties: Properties::from(PropertyValues {
                will_delay_interval: will.delay,
                message_expiry_interval: will.message_expiry,
                payload_format_indicator: will.payload_format,
                content_type: will.content_type.as_ref().map(|c| expand(c, ns).into()),
                response_topic: will.response_topic.as_ref().map(|t| expand(t, ns).into()),
                correlation_data: match &will.correlation_data {
                    Some(data) => Some(payload(data, ns)?),
                    None => None,
                },
                user_properties: user_properties(&will.user_properties, ns),
                ..PropertyValues::default()
            }),
        });
    }
    Ok(connect)
}

/// Overwrites the Connect Flags byte of an encoded CONNECT: after the fixed
/// header, the protocol name (length-prefixed) and the level byte.
pub(crate) fn patch_connect_flags(bytes: &[u8], flags: u8) -> Result<Bytes, StepError> {
    let mut out = bytes.to_vec();
    let length_bytes = out
        .iter()
        .skip(1)
        .position(|b| b & 0x80 == 0)
        .map(|i| i + 1)
        .ok_or_else(|| StepError::Error("encoded CONNECT has no Remaining Length".into()))?;
    let name_at = 1 + length_bytes;
    let name_len = match (out.get(name_at), out.get(name_at + 1)) {
        (Some(hi), Some(lo)) => usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => return Err(StepError::Error("encoded CONNECT is truncated".into())),
    };
    let flags_at = name_at + 2 + name_len + 1;
    let slot = out
        .get_mut(flags_at)
        .ok_or_else(|| StepError::Error("encoded CONNECT is truncated".into()))?;
    *slot = flags;
    Ok(Bytes::from(out))
}

/// The bytes of a `send_raw` step: `hex` verbatim, or `first_byte` and
/// `body` with `{client_id}` as the client's identifier in MQTT string form.
pub(crate) fn raw_bytes(step: &SendRawStep, client_id: &str) -> Result<Bytes, StepError> {
    let bad = |e: crate::scenario::values::ValueError| StepError::Error(e.to_string());
    match (&step.hex, step.first_byte, &step.body) {
        (Some(hex), None, None) => Ok(Bytes::from(parse_hex(hex).map_err(bad)?)),
        (None, Some(first_byte), Some(body)) => {
            let id = client_id.as_bytes();
            let id_len = u16::try_from(id.len())
                .map_err(|_| StepError::Error("client id longer than 65535 bytes".into()))?;
            let mut encoded_id = id_len.to_be_bytes().to_vec();
            encoded_id.extend_from_slice(id);
            let mut out = Vec::new();
            for (i, piece) in body.split("{client_id}").enumerate() {
                if i > 0 {
                    out.extend_from_slice(&encoded_id);
                }
                out.extend(parse_hex(piece).map_err(bad)?);
            }
            Ok(RawPacket::new(first_byte, out).to_bytes())
        }
        _ => Err(StepError::Error(
            "send_raw takes either `hex`, or `first_byte` with `body`".into(),
        )),
    }
}

/// What the timeline shows for raw bytes: the packet they decode to, or why
/// they do not (usually the point of sending them).
pub(crate) fn raw_summary(bytes: &[u8], version: ProtocolVersion) -> String {
    match decode_packet(bytes, version, &Limits::UNLIMITED) {
        Ok(packet) => format!("raw {}", summarize(&packet)),
        Err(error) => format!(
            "raw {} bytes, malformed on purpose: {error} [{}]",
            bytes.len(),
            error.rule()
        ),
    }
}

#[cfg(test)]
mod tests {
    use lastwill_codec::{encode_to_bytes, Packet};

    use super::*;

    #[test]
    fn namespaces_differ_by_run_scenario_and_version() {
        let a = namespace(0x1234_abcd, "trigger.fin", Version::V5);
        assert!(a.starts_with("lw-1234abcd-") && a.ends_with("-50"), "{a}");
        assert_ne!(a, namespace(0x1234_abcd, "trigger.fin", Version::V3_1_1));
        assert_ne!(a, namespace(0x1234_abcd, "trigger.rst", Version::V5));
        assert_ne!(a, namespace(1, "trigger.fin", Version::V5));
        assert_eq!(a, namespace(0x1234_abcd, "trigger.fin", Version::V5));
    }

    #[test]
    fn connect_flags_patch_hits_the_flags_byte() {
        let connect = Connect::new(ProtocolVersion::V3_1_1, "c");
        let bytes = encode_to_bytes(&Packet::Connect(Box::new(connect)), ProtocolVersion::V3_1_1)
            .expect("encode");
        // 10 len 00 04 MQTT 04 [flags=02] 00 3c ...
        assert_eq!(bytes[9], 0x02);
        let patched = patch_connect_flags(&bytes, 0x1e).expect("patch");
        assert_eq!(patched[9], 0x1e);
        assert_eq!(patched.len(), bytes.len());
    }

    #[test]
    fn raw_body_expands_the_client_id_as_an_mqtt_string() {
        let step = SendRawStep {
            client: "device".into(),
            hex: None,
            first_byte: Some(0x10),
            body: Some("00 04 4d 51 54 54 04 02 00 3c {client_id}".into()),
            expect: None,
            only: None,
        };
        let bytes = raw_bytes(&step, "ab").expect("bytes");
        assert_eq!(
            &bytes[..],
            &[0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 0x3c, 0, 2, b'a', b'b']
        );
        assert!(raw_summary(&bytes, ProtocolVersion::V3_1_1).starts_with("raw CONNECT"));
        let garbage = raw_summary(&[0x00, 0x00], ProtocolVersion::V5);
        assert!(garbage.contains("malformed on purpose"), "{garbage}");
    }
}
