//! One writer per packet body. Each returns the fixed header's first byte.

use bytes::{BufMut, BytesMut};

use super::properties::put_properties;
use super::wire::{put_binary, put_string};
use crate::error::EncodeError;
use crate::packet::{
    Auth, ConnAck, Connect, Disconnect, Packet, Publish, PublishResponse, SubAck, Subscribe,
    UnsubAck, Unsubscribe,
};
use crate::properties::Properties;
use crate::types::{PacketType, ProtocolVersion, QoS, ReasonCode};

/// The first byte of every packet type except PUBLISH: type and required flags.
fn first_byte(packet_type: PacketType) -> u8 {
    ((packet_type as u8) << 4) | packet_type.required_flags().unwrap_or(0)
}

pub(super) fn write_body(
    packet: &Packet,
    version: ProtocolVersion,
    buf: &mut BytesMut,
) -> Result<u8, EncodeError> {
    let v5 = version.is_v5();
    match packet {
        Packet::Connect(connect) => connect_body(connect, buf)?,
        Packet::ConnAck(connack) => connack_body(connack, v5, buf)?,
        Packet::Publish(publish) => return publish_body(publish, v5, buf),
        Packet::PubAck(response)
        | Packet::PubRec(response)
        | Packet::PubRel(response)
        | Packet::PubComp(response) => publish_response_body(response, v5, buf)?,
        Packet::Subscribe(subscribe) => subscribe_body(subscribe, v5, buf)?,
        Packet::SubAck(suback) => suback_body(suback, v5, buf)?,
        Packet::Unsubscribe(unsubscribe) => unsubscribe_body(unsubscribe, v5, buf)?,
        Packet::UnsubAck(unsuback) => unsuback_body(unsuback, v5, buf)?,
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(Disconnect {
            reason_code,
            properties,
        })
        | Packet::Auth(Auth {
            reason_code,
            properties,
        }) => {
            if v5 {
                code_and_properties(*reason_code, properties, buf)?;
            }
        }
    }
    Ok(first_byte(packet.packet_type()))
}

fn connect_body(connect: &Connect, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let version = connect.version;
    let v5 = version.is_v5();
    put_string(buf, version.protocol_name(), "protocol name")?;
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
        put_properties(buf, &connect.properties)?;
    }
    put_string(buf, &connect.client_id, "client identifier")?;
    if let Some(will) = &connect.will {
        if v5 {
            put_properties(buf, &will.properties)?;
        }
        put_string(buf, &will.topic, "will topic")?;
        put_binary(buf, &will.payload, "will payload")?;
    }
    if let Some(username) = &connect.username {
        put_string(buf, username, "user name")?;
    }
    if let Some(password) = &connect.password {
        put_binary(buf, password, "password")?;
    }
    Ok(())
}

fn connack_body(connack: &ConnAck, v5: bool, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u8(u8::from(connack.session_present));
    buf.put_u8(connack.reason_code.0);
    if v5 {
        put_properties(buf, &connack.properties)?;
    }
    Ok(())
}

fn publish_body(publish: &Publish, v5: bool, buf: &mut BytesMut) -> Result<u8, EncodeError> {
    let mut first = 0x30 | (publish.qos.as_u8() << 1);
    if publish.dup {
        first |= 0b1000;
    }
    if publish.retain {
        first |= 0b0001;
    }
    put_string(buf, &publish.topic, "topic name")?;
    match (publish.packet_id, publish.qos) {
        (Some(id), _) => buf.put_u16(id),
        (None, QoS::AtMostOnce) => {}
        (None, QoS::AtLeastOnce | QoS::ExactlyOnce) => return Err(EncodeError::MissingPacketId),
    }
    if v5 {
        put_properties(buf, &publish.properties)?;
    }
    buf.put_slice(&publish.payload);
    Ok(first)
}

fn publish_response_body(
    response: &PublishResponse,
    v5: bool,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    buf.put_u16(response.packet_id);
    if v5 {
        let has_properties = !response.properties.is_empty();
        if response.reason_code != ReasonCode::SUCCESS || has_properties {
            buf.put_u8(response.reason_code.0);
        }
        if has_properties {
            put_properties(buf, &response.properties)?;
        }
    }
    Ok(())
}

/// 5.0 DISCONNECT and AUTH: nothing for 0x00 without properties, the code
/// alone without properties, else code and properties.
fn code_and_properties(
    reason_code: ReasonCode,
    properties: &Properties,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    let has_properties = !properties.is_empty();
    if reason_code != ReasonCode::SUCCESS || has_properties {
        buf.put_u8(reason_code.0);
    }
    if has_properties {
        put_properties(buf, properties)?;
    }
    Ok(())
}

fn subscribe_body(subscribe: &Subscribe, v5: bool, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(subscribe.packet_id);
    if v5 {
        put_properties(buf, &subscribe.properties)?;
    }
    for subscription in &subscribe.subscriptions {
        put_string(buf, &subscription.filter, "topic filter")?;
        let options = subscription.options;
        let mut byte = options.qos.as_u8();
        if v5 {
            byte |= u8::from(options.no_local) << 2;
            byte |= u8::from(options.retain_as_published) << 3;
            byte |= (options.retain_handling as u8) << 4;
        }
        buf.put_u8(byte);
    }
    Ok(())
}

fn suback_body(suback: &SubAck, v5: bool, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(suback.packet_id);
    if v5 {
        put_properties(buf, &suback.properties)?;
    }
    for code in &suback.reason_codes {
        buf.put_u8(code.0);
    }
    Ok(())
}

fn unsubscribe_body(
    unsubscribe: &Unsubscribe,
    v5: bool,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    buf.put_u16(unsubscribe.packet_id);
    if v5 {
        put_properties(buf, &unsubscribe.properties)?;
    }
    for filter in &unsubscribe.filters {
        put_string(buf, filter, "topic filter")?;
    }
    Ok(())
}

fn unsuback_body(unsuback: &UnsubAck, v5: bool, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(unsuback.packet_id);
    if v5 {
        put_properties(buf, &unsuback.properties)?;
        for code in &unsuback.reason_codes {
            buf.put_u8(code.0);
        }
    }
    Ok(())
}
