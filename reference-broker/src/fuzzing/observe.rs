//! The checker's judgements: the core's will events and the packets its
//! subscribers receive, held against the model after every step.

use super::*;

impl Checker {
    pub(super) fn on_event(&mut self, event: BrokerEvent) -> Check {
        match event {
            BrokerEvent::ConnectionAccepted {
                conn,
                client_id,
                session_present,
                ..
            } => {
                self.live.insert(conn);
                if session_present {
                    // The session resumed: its pending will is cancelled
                    // (MQTT-3.1.3-9).
                    let cancelled = self.stored.remove(&client_id).map_or(0, |s| s.len());
                    self.stats.wills_cancelled += cancelled;
                    if cancelled > 0 {
                        self.gone
                            .insert(client_id, "cancelled when its session resumed");
                    }
                } else {
                    self.subs.remove(&client_id);
                }
            }
            BrokerEvent::ConnectionClosed { conn, cause, .. } => {
                if !self.live.remove(&conn) {
                    return Ok(());
                }
                let Some(info) = self.sent.get(&conn).cloned() else {
                    return Ok(());
                };
                let Some(spec) = info.will else {
                    return Ok(());
                };
                let v5 = info.version.is_v5();
                let sei = info.session_expiry;
                let earliest = match cause {
                    CloseCause::ClientDisconnect(rc)
                        if !v5 || rc == ReasonCode::NORMAL_DISCONNECTION =>
                    {
                        self.gone.insert(
                            info.client_id,
                            "deleted by a normal DISCONNECT (MQTT-3.14.4-3)",
                        );
                        return Ok(());
                    }
                    // A takeover with Clean Start 0 resumes the session; the
                    // ConnectionAccepted that follows cancels the will.
                    CloseCause::SessionTakenOver {
                        new_clean_start: true,
                    } => self.now,
                    _ if v5 => self.now.plus_secs(spec.delay.min(sei)),
                    _ => self.now,
                };
                self.stored.entry(info.client_id).or_default().push(Stored {
                    spec,
                    closed_at: self.now,
                    earliest,
                });
            }
            BrokerEvent::WillScheduled {
                client_id,
                topic,
                due,
            } => {
                let Some(stored) = self
                    .stored
                    .get(&client_id)
                    .and_then(|s| s.iter().find(|s| s.spec.topic == topic))
                else {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` scheduled, but the model holds none ({})",
                        self.why_gone(&client_id)
                    ));
                };
                if due != stored.earliest {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` scheduled for {} ms, model expects {} ms (Will Delay {} s)",
                        due.0, stored.earliest.0, stored.spec.delay
                    ));
                }
            }
            BrokerEvent::WillPublished {
                client_id,
                topic,
                qos,
                ..
            } => {
                let found = self
                    .stored
                    .get(&client_id)
                    .and_then(|s| s.iter().position(|s| s.spec.topic == topic));
                let Some(index) = found else {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` published, but the model holds none: {}",
                        self.why_gone(&client_id)
                    ));
                };
                let stored = self
                    .stored
                    .get_mut(&client_id)
                    .map(|s| s.remove(index))
                    .ok_or("model lost a will")?;
                let session_ended = self.clean_start_client.as_deref() == Some(&client_id);
                if self.now < stored.earliest && !session_ended {
                    return Err(format!(
                        "will of `{client_id}` on `{topic}` published at {} ms, before its due time {} ms (Will Delay {} s), with the session alive (MQTT-3.1.3-9)",
                        self.now.0, stored.earliest.0, stored.spec.delay
                    ));
                }
                if qos != stored.spec.qos {
                    return Err(format!(
                        "will of `{client_id}` published at QoS {}, its Will QoS is {}",
                        qos.as_u8(),
                        stored.spec.qos.as_u8()
                    ));
                }
                self.stats.wills_published += 1;
                if self.now > stored.closed_at {
                    self.stats.delayed_wills_published += 1;
                }
                self.published.insert(stored.spec.token.clone());
                self.gone
                    .insert(client_id, "already published (MQTT-3.1.2-10: at most once)");
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn why_gone(&self, client_id: &str) -> &'static str {
        self.gone
            .get(client_id)
            .copied()
            .unwrap_or("no connection of this client ended ungracefully with a will")
    }

    pub(super) fn read_packets(&mut self, conn: ConnectionId) -> Check {
        let Some(info) = self.sent.get(&conn).cloned() else {
            return Ok(());
        };
        let Some(buf) = self.received.get_mut(&conn) else {
            return Ok(());
        };
        let mut packets = Vec::new();
        loop {
            match decode(buf, info.version, &Limits::UNLIMITED) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => break,
                Err(e) => return Err(format!("broker sent {conn} a malformed packet: {e}")),
            }
        }
        if !buf.is_empty() {
            return Err(format!("broker left a partial packet for {conn}"));
        }
        for packet in packets {
            match packet {
                Packet::SubAck(ack) => {
                    if let Some((filter, _)) = self.pending_subs.remove(&(conn, ack.packet_id)) {
                        let subs = self.subs.entry(info.client_id.clone()).or_default();
                        subs.filters.retain(|(f, _)| *f != filter);
                        if let Some(code) = ack.reason_codes.first().filter(|c| c.0 <= 2) {
                            subs.filters.push((filter, qos_of(code.0)));
                        }
                    } else {
                        self.subs
                            .entry(info.client_id.clone())
                            .or_default()
                            .untrusted = true;
                    }
                }
                Packet::Publish(publish) => self.check_delivery(&info, &publish)?,
                _ => {}
            }
        }
        Ok(())
    }

    pub(super) fn check_delivery(&mut self, info: &ConnInfo, publish: &Publish) -> Check {
        if !publish.payload.starts_with(WILL_MARK) {
            return Ok(());
        }
        self.stats.will_deliveries += 1;
        let who = &info.client_id;
        let Some(spec) = self.specs.get(&publish.payload) else {
            return Err(format!("`{who}` received an unknown will payload"));
        };
        if !self.published.contains(&spec.token) {
            return Err(format!(
                "`{who}` received the will on `{}` before any WillPublished for it",
                spec.topic
            ));
        }
        if publish.topic != spec.topic {
            return Err(format!(
                "will for `{}` delivered on `{}`",
                spec.topic, publish.topic
            ));
        }
        if publish.qos > spec.qos {
            return Err(format!(
                "will delivered to `{who}` at QoS {} above its Will QoS {}",
                publish.qos.as_u8(),
                spec.qos.as_u8()
            ));
        }
        let subs = self.subs.get(who);
        if let Some(subs) = subs.filter(|s| !s.untrusted) {
            let granted = subs
                .filters
                .iter()
                .filter(|(f, _)| matches(f, &spec.topic))
                .map(|(_, q)| *q)
                .max();
            let Some(granted) = granted else {
                return Err(format!(
                    "will on `{}` delivered to `{who}`, which has no matching subscription",
                    spec.topic
                ));
            };
            let expected = spec.qos.min(granted);
            self.stats.qos_checked += 1;
            // A retained copy sent on subscription is at most that (that
            // one subscription's QoS); a retransmission (DUP) keeps the QoS it
            // was first sent with, under subscriptions since replaced.
            let ok = if publish.dup {
                true
            } else if publish.retain {
                publish.qos <= expected
            } else {
                publish.qos == expected
            };
            if !ok {
                return Err(format!(
                    "will on `{}` delivered to `{who}` at QoS {}, expected min(Will QoS {}, granted {}) = {} (MQTT-3.8.4-6 / MQTT-3.8.4-8)",
                    spec.topic,
                    publish.qos.as_u8(),
                    spec.qos.as_u8(),
                    granted.as_u8(),
                    expected.as_u8()
                ));
            }
        }
        if info.version.is_v5() {
            let p = &publish.properties;
            if p.rest.will_delay_interval.is_some() {
                return Err(format!(
                    "will delivered to `{who}` carries a Will Delay Interval property (§2.2.2.2)"
                ));
            }
            if p.rest.user_properties != spec.user {
                return Err(format!(
                    "will delivered to `{who}` with User Properties {:?}, sent {:?} (MQTT-3.1.3-10, MQTT-3.3.2-18)",
                    pairs(&p.rest.user_properties),
                    pairs(&spec.user)
                ));
            }
            match (spec.message_expiry, p.message_expiry_interval) {
                (None, None) => {}
                (Some(sent), Some(got)) if got <= sent => {}
                (sent, got) => {
                    return Err(format!(
                        "will delivered to `{who}` with Message Expiry {got:?}, sent {sent:?} (MQTT-3.3.2-6)"
                    ))
                }
            }
        }
        Ok(())
    }

    pub(super) fn check_overdue(&self) -> Check {
        for (client_id, stored) in &self.stored {
            if let Some(s) = stored.iter().find(|s| s.earliest <= self.now) {
                return Err(format!(
                    "will of `{client_id}` on `{}` was due at {} ms (its connection ended ungracefully) but is still unpublished at {} ms (MQTT-3.1.2-8)",
                    s.spec.topic, s.earliest.0, self.now.0
                ));
            }
        }
        Ok(())
    }
}

fn pairs(props: &[UserProperty]) -> Vec<(&str, &str)> {
    props
        .iter()
        .map(|u| (u.name.as_str(), u.value.as_str()))
        .collect()
}
