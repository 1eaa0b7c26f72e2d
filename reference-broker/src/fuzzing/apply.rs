//! The checker's inputs: each [`Op`] turned into bytes and events for the
//! core, and the model's record of what was sent.

use super::*;

impl Checker {
    pub(super) fn new(config: BrokerConfig) -> Self {
        Self {
            broker: Broker::new(config),
            now: Timestamp(1_000),
            slots: [None; SLOTS],
            params: Default::default(),
            sent: HashMap::new(),
            live: HashSet::new(),
            received: HashMap::new(),
            garbage_tail: HashMap::new(),
            stored: HashMap::new(),
            gone: HashMap::new(),
            published: HashSet::new(),
            specs: HashMap::new(),
            subs: HashMap::new(),
            pending_subs: HashMap::new(),
            clean_start_client: None,
            next_token: 0,
            next_packet_id: 1,
            stats: RunStats::default(),
        }
    }

    pub(super) fn packet_id(&mut self) -> u16 {
        let id = self.next_packet_id;
        self.next_packet_id = self.next_packet_id.wrapping_add(1).max(1);
        id
    }

    pub(super) fn apply(&mut self, op: &Op) -> Check {
        self.clean_start_client = None;
        match op {
            Op::Connect {
                slot,
                v5,
                clean_start,
                keep_alive,
                session_expiry,
                will,
            } => {
                let slot = slot_of(*slot);
                let params = SlotParams {
                    v5: *v5,
                    keep_alive: *keep_alive,
                    session_expiry: *session_expiry,
                    will: will.clone(),
                };
                self.params[slot] = Some(params.clone());
                self.connect(slot, &params, *clean_start)?;
            }
            Op::Reconnect { slot, clean_start } => {
                let slot = slot_of(*slot);
                if let Some(params) = self.params[slot].clone() {
                    self.connect(slot, &params, *clean_start)?;
                }
            }
            Op::Subscribe { slot, filter, qos } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    let packet_id = self.packet_id();
                    let filter = pick(&FILTERS, *filter).to_owned();
                    let qos = qos_of(*qos);
                    self.pending_subs
                        .insert((conn, packet_id), (filter.clone(), qos));
                    let packet = Packet::Subscribe(Subscribe {
                        packet_id,
                        properties: Properties::default(),
                        subscriptions: vec![Subscription {
                            filter: filter.into(),
                            options: SubscriptionOptions {
                                qos,
                                ..SubscriptionOptions::default()
                            },
                        }],
                    });
                    self.send(conn, &packet)?;
                }
            }
            Op::Publish { slot, topic, qos } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    let qos = qos_of(*qos);
                    let packet_id = (qos != QoS::AtMostOnce).then(|| self.packet_id());
                    let packet = Packet::Publish(Publish {
                        dup: false,
                        qos,
                        retain: false,
                        topic: pick(&TOPICS, *topic).into(),
                        packet_id,
                        properties: Default::default(),
                        payload: Bytes::from_static(b"m"),
                    });
                    self.send(conn, &packet)?;
                }
            }
            Op::Disconnect { slot, reason } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    let v5 = self.sent.get(&conn).is_some_and(|i| i.version.is_v5());
                    let code = match pick(&DISCONNECT_CODES, *reason) {
                        0xFF => *reason,
                        code => code,
                    };
                    let bytes: Vec<u8> = if v5 {
                        vec![0xE0, 1, code]
                    } else {
                        vec![0xE0, 0]
                    };
                    self.broker.handle_bytes(conn, &bytes, self.now);
                    self.drain()?;
                }
            }
            Op::Drop { slot } | Op::Reset { slot } => {
                if let Some(conn) = self.slots[slot_of(*slot)].take() {
                    let how = if matches!(op, Op::Drop { .. }) {
                        TransportClose::PeerClosed
                    } else {
                        TransportClose::Error
                    };
                    self.broker.handle_connection_closed(conn, how, self.now);
                    self.drain()?;
                }
            }
            Op::Silent { slot } => {
                self.slots[slot_of(*slot)] = None;
            }
            Op::Advance { secs } => {
                let target = self.now.plus_secs(u32::from(*secs % 201));
                while let Some(at) = self.broker.poll_timeout().filter(|at| *at <= target) {
                    self.now = self.now.max(at);
                    self.broker.handle_timeout(self.now);
                    self.drain()?;
                }
                self.now = target;
                self.broker.handle_timeout(self.now);
                self.drain()?;
            }
            Op::Garbage { slot, bytes } => {
                if let Some(conn) = self.slots[slot_of(*slot)] {
                    // Never let garbage forge a will payload: it would be
                    // checked as one.
                    let tail = self.garbage_tail.entry(conn).or_default();
                    let mut all = tail.clone();
                    all.extend_from_slice(bytes);
                    if !all.windows(WILL_MARK.len()).any(|w| w == WILL_MARK) {
                        let keep = all.len().saturating_sub(WILL_MARK.len() - 1);
                        *tail = all[keep..].to_vec();
                        if let Some(info) = self.sent.get(&conn) {
                            self.subs
                                .entry(info.client_id.clone())
                                .or_default()
                                .untrusted = true;
                        }
                        self.broker.handle_bytes(conn, bytes, self.now);
                        self.drain()?;
                    }
                }
            }
        }
        self.check_overdue()
    }

    pub(super) fn connect(&mut self, slot: usize, params: &SlotParams, clean_start: bool) -> Check {
        let client_id = client_of(slot);
        let version = if params.v5 {
            ProtocolVersion::V5
        } else {
            ProtocolVersion::V3_1_1
        };
        let mut connect = Connect::new(version, client_id.clone());
        connect.clean_start = clean_start;
        connect.keep_alive = pick(&KEEP_ALIVES, params.keep_alive);
        let mut session_expiry = 0;
        if params.v5 {
            let sei = pick(&SESSION_EXPIRIES, params.session_expiry);
            connect.properties.session_expiry_interval = sei;
            session_expiry = sei.unwrap_or(0);
        }
        let mut spec = None;
        if let Some(w) = &params.will {
            self.next_token += 1;
            let token = Bytes::from(format!("WILL{}", self.next_token));
            let mut properties = Properties::default();
            if params.v5 {
                properties.will_delay_interval = pick(&WILL_DELAYS, w.delay);
                properties.message_expiry_interval = pick(&MESSAGE_EXPIRIES, w.message_expiry);
                properties.user_properties = w
                    .user_properties
                    .iter()
                    .take(4)
                    .map(|i| {
                        let (k, v) = pick(&USER_PROPERTIES, *i);
                        UserProperty::new(k, v)
                    })
                    .collect();
            }
            let will = Will {
                topic: pick(&TOPICS, w.topic).into(),
                payload: token.clone(),
                qos: qos_of(w.qos),
                retain: w.retain,
                properties: properties.clone(),
            };
            let s = WillSpec {
                token: token.clone(),
                topic: will.topic.to_string(),
                qos: will.qos,
                delay: properties.will_delay_interval.unwrap_or(0),
                message_expiry: properties.message_expiry_interval,
                user: properties.user_properties.clone(),
            };
            self.specs.insert(token, s.clone());
            spec = Some(s);
            connect.will = Some(will);
        }
        let conn = self.broker.handle_connection_opened(self.now);
        self.drain()?;
        self.sent.insert(
            conn,
            ConnInfo {
                client_id: client_id.clone(),
                version,
                session_expiry,
                will: spec,
            },
        );
        self.slots[slot] = Some(conn);
        if clean_start {
            self.clean_start_client = Some(client_id);
        }
        self.send(conn, &Packet::Connect(Box::new(connect)))
    }

    pub(super) fn send(&mut self, conn: ConnectionId, packet: &Packet) -> Check {
        let version = self
            .sent
            .get(&conn)
            .map_or(ProtocolVersion::V5, |i| i.version);
        let bytes = encode_to_bytes(packet, version)
            .map_err(|e| format!("could not encode the op's own packet: {e}"))?;
        self.broker.handle_bytes(conn, &bytes, self.now);
        self.drain()
    }

    /// Drains the broker's outputs and checks them against the model.
    pub(super) fn drain(&mut self) -> Check {
        let mut touched = Vec::new();
        while let Some(action) = self.broker.poll_action() {
            match action {
                Action::Send { conn, bytes } => {
                    self.received
                        .entry(conn)
                        .or_default()
                        .extend_from_slice(&bytes);
                    // Delivered at once: this model has no slow readers.
                    self.broker
                        .handle_bytes_written(conn, bytes.len(), self.now);
                    touched.push(conn);
                }
                Action::Close { conn } => {
                    for slot in self.slots.iter_mut() {
                        if *slot == Some(conn) {
                            *slot = None;
                        }
                    }
                }
            }
        }
        while let Some(event) = self.broker.poll_event() {
            self.on_event(event)?;
        }
        touched.sort_unstable();
        touched.dedup();
        for conn in touched {
            self.read_packets(conn)?;
        }
        Ok(())
    }
}
