//! Steps that wait for the broker's acknowledgement before going on:
//! SUBSCRIBE/SUBACK (with its code checked), PUBLISH with the QoS 1 and 2
//! flows (MQTT-4.3.2, MQTT-4.3.3), and the shared wait for a reply.

use lastwill_codec::{
    Packet, PublishResponse, QoS, RetainHandling, Subscribe, SubscriptionOptions,
};
use tokio::time::Instant;

use super::packets::{self, expand};
use super::run::ScenarioRun;
use super::verdict::{secs, StepError};
use crate::client::Wait;
use crate::scenario::{PublishStep, SubscribeStep};
use crate::target::Target;

impl<T: Target> ScenarioRun<'_, T> {
    pub(super) async fn subscribe(&mut self, s: &SubscribeStep) -> Result<(), StepError> {
        self.ensure_open(&s.client).await?;
        let qos = qos(s.qos)?;
        let filter = expand(&s.filter, &self.ns);
        let client = self.client_mut(&s.client)?;
        let id = client.next_packet_id();
        let mark = client.mark();
        let options = SubscriptionOptions {
            qos,
            no_local: s.no_local,
            retain_as_published: s.retain_as_published,
            retain_handling: match s.retain_handling {
                0 => RetainHandling::SendAtSubscribe,
                1 => RetainHandling::SendAtSubscribeIfNew,
                _ => RetainHandling::DoNotSend,
            },
        };
        client
            .send(&Packet::Subscribe(Subscribe {
                packet_id: id,
                properties: Default::default(),
                subscriptions: vec![lastwill_codec::Subscription {
                    filter: filter.into(),
                    options,
                }],
            }))
            .await?;
        let codes = self
            .reply(&s.client, mark, "SUBACK", |p| match p {
                Packet::SubAck(a) if a.packet_id == id => Some(a.reason_codes.clone()),
                _ => None,
            })
            .await?;
        let code = codes.first().map_or(0x80, |c| c.0);
        let (ok, expected) = match &s.expect {
            Some(m) => (
                m.matches(code)
                    .map_err(|e| StepError::Error(e.to_string()))?,
                format!("SUBACK {m}"),
            ),
            None => (code == s.qos, format!("SUBACK granting QoS {}", s.qos)),
        };
        if ok {
            Ok(())
        } else {
            Err(StepError::fail(expected, format!("SUBACK 0x{code:02X}")))
        }
    }

    pub(super) async fn publish(&mut self, p: &PublishStep) -> Result<(), StepError> {
        self.ensure_open(&p.client).await?;
        let qos = qos(p.qos)?;
        let mut properties = lastwill_codec::Properties::from(lastwill_codec::PropertyValues {
            message_expiry_interval: p.message_expiry,
            ..lastwill_codec::PropertyValues::default()
        });
        properties.user_properties = packets::user_properties(&p.user_properties, &self.ns);
        let publish = lastwill_codec::Publish {
            dup: false,
            qos,
            retain: p.retain,
            topic: expand(&p.topic, &self.ns).into(),
            packet_id: None,
            properties: properties.into(),
            payload: packets::payload(&p.payload, &self.ns)?,
        };
        let client = self.client_mut(&p.client)?;
        let id = (qos != QoS::AtMostOnce).then(|| client.next_packet_id());
        let mark = client.mark();
        client
            .send(&Packet::Publish(lastwill_codec::Publish {
                packet_id: id,
                ..publish
            }))
            .await?;
        let Some(id) = id else { return Ok(()) };
        let refused = |code: u8, what: &str| {
            StepError::Error(format!(
                "the broker refused the scenario's PUBLISH: {what} 0x{code:02X}"
            ))
        };
        if qos == QoS::AtLeastOnce {
            let code = self
                .reply(
                    &p.client,
                    mark,
                    "PUBACK",
                    ack_of(id, |p| matches!(p, Packet::PubAck(_))),
                )
                .await?;
            return if code >= 0x80 {
                Err(refused(code, "PUBACK"))
            } else {
                Ok(())
            };
        }
        let code = self
            .reply(
                &p.client,
                mark,
                "PUBREC",
                ack_of(id, |p| matches!(p, Packet::PubRec(_))),
            )
            .await?;
        if code >= 0x80 {
            return Err(refused(code, "PUBREC"));
        }
        let client = self.client(&p.client)?;
        let mark = client.mark();
        client
            .send(&Packet::PubRel(PublishResponse::new(id)))
            .await?;
        self.reply(
            &p.client,
            mark,
            "PUBCOMP",
            ack_of(id, |p| matches!(p, Packet::PubComp(_))),
        )
        .await
        .map(|_| ())
    }

    /// Waits for a packet `pick` accepts on the client's current connection,
    /// after its `mark`-th: the answer the harness needs to go on. The
    /// connection closing first is the broker's doing (`fail`); silence until
    /// the step timeout is `error`.
    pub(super) async fn reply<R>(
        &self,
        name: &str,
        mark: usize,
        what: &str,
        mut pick: impl FnMut(&Packet) -> Option<R>,
    ) -> Result<R, StepError> {
        let client = self.client(name)?;
        let index = client.current().unwrap_or(0) as usize;
        let deadline = Instant::now() + self.options.step_timeout;
        let got = client
            .wait_for(deadline, |state| {
                let conn = state.connections.get(index)?;
                if let Some(found) = conn
                    .received
                    .iter()
                    .skip(mark)
                    .find_map(|r| pick(&r.packet))
                {
                    return Some(Ok(found));
                }
                conn.ended.as_ref().map(|(_, how)| Err(how.describe()))
            })
            .await;
        match got {
            Wait::Got(Ok(found)) => Ok(found),
            Wait::Got(Err(how)) => Err(StepError::fail(
                format!("a {what}"),
                format!("{how} before sending it"),
            )),
            Wait::TimedOut => Err(StepError::Error(format!(
                "no {what} within {} (step timeout)",
                secs(self.options.step_timeout)
            ))),
            Wait::Failed(failure) => Err(StepError::protocol(&failure)),
        }
    }
}

fn qos(value: u8) -> Result<QoS, StepError> {
    QoS::from_u8(value).ok_or_else(|| StepError::Error(format!("QoS {value} cannot be sent")))
}

/// Picks the reason code of the acknowledgement of packet `id` of one kind.
fn ack_of(id: u16, kind: impl Fn(&Packet) -> bool) -> impl FnMut(&Packet) -> Option<u8> {
    move |packet| match packet {
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubComp(r)
            if kind(packet) && r.packet_id == id =>
        {
            Some(r.reason_code.0)
        }
        _ => None,
    }
}
