//! One size function and one writer per packet body. [`measure`] walks the
//! packet once, validates every field the wire format limits and returns the
//! body length and the Property Lengths; [`write_body`] then writes exactly
//! that many bytes and cannot fail. Each `*_len` function checks its fields
//! in the order its writer puts them, so the error reported is the one the
//! first unwritable field causes.

use super::properties::{
    properties_len, publish_properties_len, put_properties, put_publish_properties, section_len,
};
use super::wire::{binary_len, put_binary, put_string, string_len, Writer};
use crate::error::EncodeError;
use crate::packet::{
    Auth, Connect, Disconnect, Packet, Publish, SubAck, Subscribe, UnsubAck, Unsubscribe,
};
use crate::properties::Properties;
use crate::types::{QoS, ReasonCode};

/// What the size pass found: the Remaining Length, and the Property Lengths
/// of the packet's properties and of a CONNECT's Will Properties (0 where
/// none are written).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Sizes {
    pub(super) body: usize,
    properties: u32,
    will_properties: u32,
}

/// The fixed header's first byte: type and flags (MQTT-2.2.2-1 /
/// MQTT-2.1.3-1); a PUBLISH's flags come from its DUP, QoS and RETAIN.
pub(super) fn first_byte(packet: &Packet) -> u8 {
    match packet {
        Packet::Publish(publish) => {
            0x30 | u8::from(publish.dup) << 3 | publish.qos.as_u8() << 1 | u8::from(publish.retain)
        }
        other => {
            let packet_type = other.packet_type();
            ((packet_type as u8) << 4) | packet_type.required_flags().unwrap_or(0)
        }
    }
}

/// The size pass: validates every field and measures the body.
pub(super) fn measure(packet: &Packet, v5: bool) -> Result<Sizes, EncodeError> {
    let mut sizes = Sizes::default();
    sizes.body = match packet {
        Packet::Publish(publish) => publish_len(publish, v5, &mut sizes)?,
        Packet::PubAck(response)
        | Packet::PubRec(response)
        | Packet::PubRel(response)
        | Packet::PubComp(response) => {
            2 + code_and_properties_len(response.reason_code, &response.properties, v5, &mut sizes)?
        }
        Packet::PingReq | Packet::PingResp => 0,
        Packet::Connect(connect) => connect_len(connect, &mut sizes)?,
        Packet::ConnAck(connack) => 2 + properties_if(&connack.properties, v5, &mut sizes)?,
        Packet::Subscribe(subscribe) => {
            let mut len = 2 + properties_if(&subscribe.properties, v5, &mut sizes)?;
            for subscription in &subscribe.subscriptions {
                len += string_len(&subscription.filter, "topic filter")? + 1;
            }
            len
        }
        Packet::SubAck(suback) => {
            2 + properties_if(&suback.properties, v5, &mut sizes)? + suback.reason_codes.len()
        }
        Packet::Unsubscribe(unsubscribe) => {
            let mut len = 2 + properties_if(&unsubscribe.properties, v5, &mut sizes)?;
            for filter in &unsubscribe.filters {
                len += string_len(filter, "topic filter")?;
            }
            len
        }
        Packet::UnsubAck(unsuback) => match v5 {
            true => {
                2 + properties_if(&unsuback.properties, v5, &mut sizes)?
                    + unsuback.reason_codes.len()
            }
            false => 2,
        },
        Packet::Disconnect(Disconnect {
            reason_code,
            properties,
        })
        | Packet::Auth(Auth {
            reason_code,
            properties,
        }) => code_and_properties_len(*reason_code, properties, v5, &mut sizes)?,
    };
    Ok(sizes)
}

/// A property list written in 5.0 (always, even when empty), nothing in 3.1.1.
fn properties_if(
    properties: &Properties,
    v5: bool,
    sizes: &mut Sizes,
) -> Result<usize, EncodeError> {
    if !v5 {
        return Ok(0);
    }
    sizes.properties = properties_len(properties)?;
    Ok(section_len(sizes.properties))
}

/// The 5.0 short forms of PUBACK-family, DISCONNECT and AUTH: the reason
/// code only when it is not 0x00 or properties follow, the property list
/// only when it is not empty (§3.4.2.1, §3.14.2.1, §3.15.2.1).
fn code_and_properties_len(
    reason_code: ReasonCode,
    properties: &Properties,
    v5: bool,
    sizes: &mut Sizes,
) -> Result<usize, EncodeError> {
    if !v5 {
        return Ok(0);
    }
    sizes.properties = properties_len(properties)?;
    Ok(match (reason_code, sizes.properties) {
        (ReasonCode::SUCCESS, 0) => 0,
        (_, 0) => 1,
        (_, len) => 1 + section_len(len),
    })
}

fn publish_len(publish: &Publish, v5: bool, sizes: &mut Sizes) -> Result<usize, EncodeError> {
    let mut len = string_len(&publish.topic, "topic name")?;
    len += match (publish.packet_id, publish.qos) {
        (Some(_), _) => 2,
        (None, QoS::AtMostOnce) => 0,
        (None, QoS::AtLeastOnce | QoS::ExactlyOnce) => return Err(EncodeError::MissingPacketId),
    };
    if v5 {
        sizes.properties = publish_properties_len(&publish.properties)?;
        len += section_len(sizes.properties);
    }
    Ok(len + publish.payload.len())
}

/// CONNECT is measured in its own version, as [`connect_body`] writes it.
fn connect_len(connect: &Connect, sizes: &mut Sizes) -> Result<usize, EncodeError> {
    let v5 = connect.version.is_v5();
    let mut len = string_len(connect.version.protocol_name(), "protocol name")? + 4;
    len += properties_if(&connect.properties, v5, sizes)?;
    len += string_len(&connect.client_id, "client identifier")?;
    if let Some(will) = &connect.will {
        if v5 {
            sizes.will_properties = properties_len(&will.properties)?;
            len += section_len(sizes.will_properties);
        }
        len += string_len(&will.topic, "will topic")?;
        len += binary_len(&will.payload, "will payload")?;
    }
    if let Some(username) = &connect.username {
        len += string_len(username, "user name")?;
    }
    if let Some(password) = &connect.password {
        len += binary_len(password, "password")?;
    }
    Ok(len)
}

/// The bytes [`write_body`] leaves for the caller to append: a PUBLISH
/// payload, copied once from its `Bytes` rather than through the
/// zero-filled head. (Writing short payloads into the head was measured
/// and is slower: the zero fill costs more than the separate append.)
pub(super) fn tail(packet: &Packet) -> &[u8] {
    match packet {
        Packet::Publish(publish) => &publish.payload,
        _ => &[],
    }
}

/// Writes the body [`measure`] measured into `sizes`, but for the [`tail`].
pub(super) fn write_body(packet: &Packet, v5: bool, sizes: &Sizes, buf: &mut Writer<'_>) {
    match packet {
        Packet::Publish(publish) => {
            put_string(buf, &publish.topic);
            if let Some(id) = publish.packet_id {
                buf.put_u16(id);
            }
            if v5 {
                put_publish_properties(buf, &publish.properties, sizes.properties);
            }
            // The payload is the caller's: see `tail`.
        }
        Packet::PubAck(response)
        | Packet::PubRec(response)
        | Packet::PubRel(response)
        | Packet::PubComp(response) => {
            buf.put_u16(response.packet_id);
            code_and_properties(response.reason_code, &response.properties, v5, sizes, buf);
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Connect(connect) => connect_body(connect, sizes, buf),
        Packet::ConnAck(connack) => {
            buf.put_u8(u8::from(connack.session_present));
            buf.put_u8(connack.reason_code.0);
            if v5 {
                put_properties(buf, &connack.properties, sizes.properties);
            }
        }
        Packet::Subscribe(subscribe) => subscribe_body(subscribe, v5, sizes, buf),
        Packet::SubAck(suback) => suback_body(suback, v5, sizes, buf),
        Packet::Unsubscribe(unsubscribe) => unsubscribe_body(unsubscribe, v5, sizes, buf),
        Packet::UnsubAck(unsuback) => unsuback_body(unsuback, v5, sizes, buf),
        Packet::Disconnect(Disconnect {
            reason_code,
            properties,
        })
        | Packet::Auth(Auth {
            reason_code,
            properties,
        }) => code_and_properties(*reason_code, properties, v5, sizes, buf),
    }
}

/// The writer of [`code_and_properties_len`]'s short forms.
fn code_and_properties(
    reason_code: ReasonCode,
    properties: &Properties,
    v5: bool,
    sizes: &Sizes,
    buf: &mut Writer<'_>,
) {
    if !v5 {
        return;
    }
    if reason_code != ReasonCode::SUCCESS || sizes.properties != 0 {
        buf.put_u8(reason_code.0);
    }
    if sizes.properties != 0 {
        put_properties(buf, properties, sizes.properties);
    }
}

fn connect_body(connect: &Connect, sizes: &Sizes, buf: &mut Writer<'_>) {
    let version = connect.version;
    let v5 = version.is_v5();
    put_string(buf, version.protocol_name());
    buf.put_u8(version.level());
    let mut flags = 0u8;
    if connect.username.is_some() {
        flags |= 0b1000_0000;
    }
    if connect.password.is_some() {
        flags |= 0b0100_0000;
    }
    if let Some(will) = &connect.will {
        if will.retain {
            flags |= 0b0010_0000;
        }
        flags |= will.qos.as_u8() << 3;
        flags |= 0b0000_0100;
    }
    if connect.clean_start {
        flags |= 0b0000_0010;
    }
    buf.put_u8(flags);
    buf.put_u16(connect.keep_alive);
    if v5 {
        put_properties(buf, &connect.properties, sizes.properties);
    }
    put_string(buf, &connect.client_id);
    if let Some(will) = &connect.will {
        if v5 {
            put_properties(buf, &will.properties, sizes.will_properties);
        }
        put_string(buf, &will.topic);
        put_binary(buf, &will.payload);
    }
    if let Some(username) = &connect.username {
        put_string(buf, username);
    }
    if let Some(password) = &connect.password {
        put_binary(buf, password);
    }
}

fn subscribe_body(subscribe: &Subscribe, v5: bool, sizes: &Sizes, buf: &mut Writer<'_>) {
    buf.put_u16(subscribe.packet_id);
    if v5 {
        put_properties(buf, &subscribe.properties, sizes.properties);
    }
    for subscription in &subscribe.subscriptions {
        put_string(buf, &subscription.filter);
        let options = subscription.options;
        let mut byte = options.qos.as_u8();
        if v5 {
            byte |= u8::from(options.no_local) << 2;
            byte |= u8::from(options.retain_as_published) << 3;
            byte |= (options.retain_handling as u8) << 4;
        }
        buf.put_u8(byte);
    }
}

fn suback_body(suback: &SubAck, v5: bool, sizes: &Sizes, buf: &mut Writer<'_>) {
    buf.put_u16(suback.packet_id);
    if v5 {
        put_properties(buf, &suback.properties, sizes.properties);
    }
    for code in &suback.reason_codes {
        buf.put_u8(code.0);
    }
}

fn unsubscribe_body(unsubscribe: &Unsubscribe, v5: bool, sizes: &Sizes, buf: &mut Writer<'_>) {
    buf.put_u16(unsubscribe.packet_id);
    if v5 {
        put_properties(buf, &unsubscribe.properties, sizes.properties);
    }
    for filter in &unsubscribe.filters {
        put_string(buf, filter);
    }
}

fn unsuback_body(unsuback: &UnsubAck, v5: bool, sizes: &Sizes, buf: &mut Writer<'_>) {
    buf.put_u16(unsuback.packet_id);
    if v5 {
        put_properties(buf, &unsuback.properties, sizes.properties);
        for code in &unsuback.reason_codes {
            buf.put_u8(code.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::PublishResponse;

    #[test]
    fn publish_first_byte_carries_its_flags() {
        let publish = Publish {
            dup: true,
            qos: QoS::ExactlyOnce,
            retain: true,
            topic: "a".into(),
            packet_id: Some(1),
            properties: Default::default(),
            payload: bytes::Bytes::new(),
        };
        assert_eq!(first_byte(&Packet::Publish(publish)), 0x3D);
        assert_eq!(first_byte(&Packet::PingReq), 0xC0);
        assert_eq!(first_byte(&Packet::PubRel(PublishResponse::new(1))), 0x62);
    }
}
