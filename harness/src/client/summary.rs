//! One-line summaries of packets for timelines and verdicts:
//! `PUBLISH topic=ns/status qos=1 retain=0 payload="offline" props=[...]`.
//! The exact bytes travel next to them, so these favour reading over
//! completeness: long payloads are cut.

use std::fmt::Write;

use lastwill_codec::{Packet, Properties, Publish, ReasonCode};

/// Payload bytes shown before `…`.
const PAYLOAD_SHOWN: usize = 64;

pub fn summarize(packet: &Packet) -> String {
    let mut out = String::new();
    let name = packet.packet_type().name();
    match packet {
        Packet::Connect(c) => {
            let _ = write!(
                out,
                "CONNECT v{} client_id={:?} clean_start={} keep_alive={}",
                c.version,
                c.client_id,
                u8::from(c.clean_start),
                c.keep_alive
            );
            if let Some(user) = &c.username {
                let _ = write!(out, " username={user:?}");
            }
            if c.password.is_some() {
                out.push_str(" password=…");
            }
            if let Some(will) = &c.will {
                let _ = write!(
                    out,
                    " will={{topic={} qos={} retain={} payload={}{}}}",
                    will.topic,
                    will.qos.as_u8(),
                    u8::from(will.retain),
                    payload(&will.payload),
                    props(&will.properties)
                );
            }
            out.push_str(&props(&c.properties));
        }
        Packet::ConnAck(ack) => {
            let _ = write!(
                out,
                "CONNACK {} session_present={}{}",
                code(ack.reason_code),
                u8::from(ack.session_present),
                props(&ack.properties)
            );
        }
        Packet::Publish(p) => out = publish(p),
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            let _ = write!(
                out,
                "{name} id={} {}{}",
                r.packet_id,
                code(r.reason_code),
                props(&r.properties)
            );
        }
        Packet::Subscribe(s) => {
            let _ = write!(out, "SUBSCRIBE id={}", s.packet_id);
            for sub in &s.subscriptions {
                let o = &sub.options;
                let _ = write!(
                    out,
                    " filter={} qos={} nl={} rap={} rh={}",
                    sub.filter,
                    o.qos.as_u8(),
                    u8::from(o.no_local),
                    u8::from(o.retain_as_published),
                    o.retain_handling as u8
                );
            }
            out.push_str(&props(&s.properties));
        }
        Packet::SubAck(s) => {
            let codes: Vec<String> = s.reason_codes.iter().map(|c| hex_code(*c)).collect();
            let _ = write!(
                out,
                "SUBACK id={} codes=[{}]{}",
                s.packet_id,
                codes.join(", "),
                props(&s.properties)
            );
        }
        Packet::Unsubscribe(u) => {
            let _ = write!(
                out,
                "UNSUBSCRIBE id={} filters=[{}]{}",
                u.packet_id,
                u.filters.join(", "),
                props(&u.properties)
            );
        }
        Packet::UnsubAck(u) => {
            let codes: Vec<String> = u.reason_codes.iter().map(|c| hex_code(*c)).collect();
            let _ = write!(
                out,
                "UNSUBACK id={} codes=[{}]{}",
                u.packet_id,
                codes.join(", "),
                props(&u.properties)
            );
        }
        Packet::PingReq | Packet::PingResp => out.push_str(name),
        Packet::Disconnect(d) => {
            let _ = write!(
                out,
                "DISCONNECT {}{}",
                code(d.reason_code),
                props(&d.properties)
            );
        }
        Packet::Auth(a) => {
            let _ = write!(out, "AUTH {}{}", code(a.reason_code), props(&a.properties));
        }
    }
    out
}

/// `PUBLISH topic=… qos=… retain=… payload=… props=[…]`, also used in verdicts.
pub fn publish(p: &Publish) -> String {
    let mut out = format!(
        "PUBLISH topic={} qos={} retain={}",
        p.topic,
        p.qos.as_u8(),
        u8::from(p.retain)
    );
    if p.dup {
        out.push_str(" dup=1");
    }
    if let Some(id) = p.packet_id {
        let _ = write!(out, " id={id}");
    }
    let _ = write!(
        out,
        " payload={}{}",
        payload(&p.payload),
        props(&Properties::from(p.properties.clone()))
    );
    out
}

/// `code=0x8D (Keep Alive timeout)`.
fn code(code: ReasonCode) -> String {
    match code.name() {
        Some(name) => format!("code={} ({name})", hex_code(code)),
        None => format!("code={}", hex_code(code)),
    }
}

fn hex_code(code: ReasonCode) -> String {
    format!("0x{:02X}", code.0)
}

/// Text in quotes when it is printable UTF-8, hex otherwise; cut when long.
pub fn payload(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(PAYLOAD_SHOWN)];
    let more = if bytes.len() > PAYLOAD_SHOWN {
        "…"
    } else {
        ""
    };
    match std::str::from_utf8(shown) {
        Ok(text) if !text.chars().any(|c| c.is_control() && c != '\n') => {
            format!("{text:?}{more}")
        }
        _ => format!("0x{}{more}", super::scene::hex(shown)),
    }
}

/// ` props=[…]`, or nothing when there are none.
pub fn props(p: &Properties) -> String {
    let mut items: Vec<String> = Vec::new();
    let mut num = |name: &str, value: Option<u64>| {
        if let Some(v) = value {
            items.push(format!("{name}={v}"));
        }
    };
    num("payload_format", p.payload_format_indicator.map(u64::from));
    num("message_expiry", p.message_expiry_interval.map(u64::from));
    num("session_expiry", p.session_expiry_interval.map(u64::from));
    num("server_keep_alive", p.server_keep_alive.map(u64::from));
    num("will_delay", p.will_delay_interval.map(u64::from));
    num("receive_maximum", p.receive_maximum.map(u64::from));
    num("topic_alias_maximum", p.topic_alias_maximum.map(u64::from));
    num("topic_alias", p.topic_alias.map(u64::from));
    num("maximum_qos", p.maximum_qos.map(u64::from));
    num("retain_available", p.retain_available.map(u64::from));
    num("maximum_packet_size", p.maximum_packet_size.map(u64::from));
    num(
        "wildcard_available",
        p.wildcard_subscription_available.map(u64::from),
    );
    num(
        "subscription_id_available",
        p.subscription_identifier_available.map(u64::from),
    );
    num(
        "shared_available",
        p.shared_subscription_available.map(u64::from),
    );
    num(
        "request_problem_information",
        p.request_problem_information.map(u64::from),
    );
    num(
        "request_response_information",
        p.request_response_information.map(u64::from),
    );
    let mut text = |name: &str, value: &Option<lastwill_codec::MqttString>| {
        if let Some(v) = value {
            items.push(format!("{name}={v:?}"));
        }
    };
    text("content_type", &p.content_type);
    text("response_topic", &p.response_topic);
    text("assigned_client_id", &p.assigned_client_identifier);
    text("authentication_method", &p.authentication_method);
    text("response_information", &p.response_information);
    text("server_reference", &p.server_reference);
    text("reason_string", &p.reason_string);
    if let Some(data) = &p.correlation_data {
        items.push(format!("correlation_data={}", payload(data)));
    }
    if p.authentication_data.is_some() {
        items.push("authentication_data=…".into());
    }
    if !p.subscription_identifiers.is_empty() {
        items.push(format!("subscription_ids={:?}", p.subscription_identifiers));
    }
    for user in &p.user_properties {
        items.push(format!("user({:?}={:?})", user.name, user.value));
    }
    if items.is_empty() {
        String::new()
    } else {
        format!(" props=[{}]", items.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use lastwill_codec::{QoS, UserProperty};

    use super::*;

    #[test]
    fn publish_summary_is_one_readable_line() {
        let mut properties = Properties::from(lastwill_codec::PropertyValues {
            message_expiry_interval: Some(10),
            ..lastwill_codec::PropertyValues::default()
        });
        properties.user_properties.push(UserProperty::new("a", "b"));
        let p = Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "ns/status".into(),
            packet_id: Some(3),
            properties: properties.into(),
            payload: Bytes::from_static(b"offline"),
        };
        assert_eq!(
            summarize(&Packet::Publish(p)),
            "PUBLISH topic=ns/status qos=1 retain=0 id=3 payload=\"offline\" \
             props=[message_expiry=10, user(\"a\"=\"b\")]"
        );
    }

    #[test]
    fn binary_payloads_show_as_hex() {
        assert_eq!(payload(&[0, 0xff]), "0x00ff");
        assert_eq!(payload(&[b'a'; 70]).chars().last(), Some('…'));
    }
}
