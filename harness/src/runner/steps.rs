//! The steps that act: connect, unsubscribe, disconnect, close, go_silent,
//! send_raw, ping, wait, and the dispatch of every step. Subscribe and
//! publish (acknowledged exchanges) are in `exchange.rs`, expectations in
//! `expect.rs`.
//!
//! Any step that sends on a client without an open connection opens the
//! transport first, without CONNECT (scenarios/README.md "Connections"), so
//! `send_raw` can send a hand-made CONNECT.

use lastwill_codec::{encode_to_bytes, Disconnect, Packet, ReasonCode, Unsubscribe};
use tokio::time::Instant;

use super::outcome::{self, Observed};
use super::packets::{self, expand};
use super::run::ScenarioRun;
use super::verdict::{secs, StepError};
use crate::client::{summarize, LocalClose};
use crate::scenario::values::{CodeClass, CodeMatcher};
use crate::scenario::{CloseHow, ConnectStep, Outcome, SendRawStep, Step};
use crate::target::Target;

impl<T: Target> ScenarioRun<'_, T> {
    pub(super) async fn step(&mut self, step: &Step) -> Result<(), StepError> {
        match step {
            Step::Connect(c) => self.connect(c).await,
            Step::Subscribe(s) => self.subscribe(s).await,
            Step::Unsubscribe(u) => {
                self.ensure_open(&u.client).await?;
                let filter = expand(&u.filter, &self.ns);
                let client = self.client_mut(&u.client)?;
                let id = client.next_packet_id();
                let mark = client.mark();
                client
                    .send(&Packet::Unsubscribe(Unsubscribe {
                        packet_id: id,
                        properties: Default::default(),
                        filters: vec![filter.into()],
                    }))
                    .await?;
                self.reply(&u.client, mark, "UNSUBACK", |p| match p {
                    Packet::UnsubAck(a) if a.packet_id == id => Some(()),
                    _ => None,
                })
                .await
            }
            Step::Publish(p) => self.publish(p).await,
            Step::Disconnect(d) => {
                self.ensure_open(&d.client).await?;
                let mut packet = Disconnect::new(ReasonCode(match &d.reason {
                    Some(code) => code.value().map_err(|e| StepError::Error(e.to_string()))?,
                    None => 0,
                }));
                packet.properties.session_expiry_interval = d.session_expiry;
                let client = self.client(&d.client)?;
                client.send(&Packet::Disconnect(packet)).await?;
                // The broker may close first; the connection ends either way.
                let _ = client.fin().await;
                Ok(())
            }
            Step::Close(c) => {
                let client = self.client(&c.client)?;
                let index = client.current().ok_or_else(|| {
                    StepError::Error(format!("close: `{}` never connected", c.client))
                })?;
                if !client.is_open() {
                    self.scene
                        .event(&c.client, index, "close: the connection is already closed");
                    return Ok(());
                }
                // A close racing with the broker's own is still a close.
                let _ = match c.how {
                    CloseHow::Fin => client.fin().await,
                    CloseHow::Rst => client.reset().await,
                };
                Ok(())
            }
            Step::GoSilent(r) => {
                let client = self.client(r.name())?;
                client
                    .go_silent()
                    .map_err(|e| StepError::Error(e.to_string()))?;
                let index = client.current().unwrap_or(0);
                self.scene.event(r.name(), index, "silent from now on");
                Ok(())
            }
            Step::SendRaw(raw) => self.send_raw(raw).await,
            Step::Ping(r) => {
                self.ensure_open(r.name()).await?;
                let client = self.client(r.name())?;
                let mark = client.mark();
                client.send(&Packet::PingReq).await?;
                self.reply(r.name(), mark, "PINGRESP", |p| {
                    matches!(p, Packet::PingResp).then_some(())
                })
                .await
            }
            Step::Wait(d) => {
                let d = d
                    .to_duration()
                    .map_err(|e| StepError::Error(e.to_string()))?;
                tokio::time::sleep(d).await;
                Ok(())
            }
            Step::ExpectPublish(e) => self.expect_publish(e).await,
            Step::ExpectNoPublish(e) => self.expect_no_publish(e).await,
            Step::ExpectClose(e) => self.expect_close(e).await,
        }
    }

    /// Opens a new network connection for `name` to `node` (one of the
    /// scenario's `nodes`; default the first); it becomes current.
    async fn open(&mut self, name: &str, node: Option<&str>) -> Result<u32, StepError> {
        self.settle_previous(name).await;
        let index = node
            .and_then(|node| self.scenario.nodes.iter().position(|n| n == node))
            .unwrap_or(0);
        let transport =
            self.target.connect_node(index).await.map_err(|e| {
                StepError::Error(format!("cannot open a connection for `{name}`: {e}"))
            })?;
        Ok(self.client_mut(name)?.attach(transport))
    }

    /// A barrier before a client connects again: if we closed its previous
    /// connection (DISCONNECT and FIN, or a bare FIN) and the broker has not
    /// closed its side yet, wait until it has (2 s at most). Without it the
    /// broker could read the new CONNECT before the old connection's
    /// DISCONNECT or FIN, and take the session over instead: whether the
    /// will was published would then depend on which socket it served first
    /// (trigger.will-flag-0 flipped that way against the reference broker
    /// over TCP). Nothing is measured across a connect, so no time window
    /// moves.
    async fn settle_previous(&self, name: &str) {
        let Ok(client) = self.client(name) else {
            return;
        };
        let Some(index) = client.current() else {
            return;
        };
        let closing = client
            .with_current(|c| c.local_close == Some(LocalClose::Fin) && c.ended.is_none())
            .unwrap_or(false);
        if closing {
            let deadline = Instant::now() + std::time::Duration::from_secs(2);
            let _ = client
                .wait_for(deadline, |state| {
                    state
                        .connections
                        .get(index as usize)
                        .and_then(|c| c.ended.as_ref().map(|_| ()))
                })
                .await;
        }
    }

    pub(super) async fn ensure_open(&mut self, name: &str) -> Result<(), StepError> {
        if !self.client(name)?.is_open() {
            let node = self.spec(name)?.node.clone();
            self.open(name, node.as_deref()).await?;
        }
        Ok(())
    }

    async fn connect(&mut self, step: &ConnectStep) -> Result<(), StepError> {
        let (name, details) = match step {
            ConnectStep::Name(name) => (name.as_str(), None),
            ConnectStep::Full(details) => (details.client.as_str(), Some(&**details)),
        };
        let base = self.spec(name)?;
        let spec = match details {
            Some(d) => packets::merge(base, &d.overrides),
            None => base.clone(),
        };
        let with_will = !details.is_some_and(|d| d.without_will);
        let connect = packets::connect(name, &spec, with_will, self.version, &self.ns)?;
        self.client_ids
            .insert(name.to_owned(), connect.client_id.to_string());
        let packet = Packet::Connect(Box::new(connect));
        let bytes = encode_to_bytes(&packet, self.version.protocol())
            .map_err(|e| StepError::Error(format!("cannot encode the CONNECT: {e}")))?;
        let mut summary = summarize(&packet);
        let bytes = match details.and_then(|d| d.connect_flags) {
            Some(flags) => {
                summary.push_str(&format!(" (Connect Flags overwritten: 0x{flags:02X})"));
                packets::patch_connect_flags(&bytes, flags)?
            }
            None => bytes,
        };
        let index = self.open(name, spec.node.as_deref()).await?;
        let client = self.client(name)?;
        client.send_bytes(bytes, summary).await?;
        let explicit = details.and_then(|d| d.expect.as_ref());
        let wait = match explicit {
            Some(_) => self.reply_window(),
            None => self.options.step_timeout,
        };
        let observed = outcome::observe(client, index, 0, true, Instant::now() + wait).await?;
        let expected = match explicit {
            Some(outcome) => outcome.clone(),
            None => {
                if matches!(observed, Observed::Nothing) {
                    return Err(StepError::Error(format!(
                        "no answer to CONNECT within {} (step timeout)",
                        secs(wait)
                    )));
                }
                Outcome::Connack(CodeMatcher::Class(CodeClass::Success))
            }
        };
        self.check_outcome(&expected, &observed, wait)?;
        if let (
            Some(want),
            Observed::Connack {
                session_present, ..
            },
        ) = (details.and_then(|d| d.session_present), &observed)
        {
            if *session_present != want {
                return Err(StepError::fail(
                    format!("CONNACK with Session Present {}", u8::from(want)),
                    observed.describe(),
                ));
            }
        }
        Ok(())
    }

    /// Compares what the broker did with what the step allows; a `one_of`
    /// records the broker's choice.
    pub(super) fn check_outcome(
        &mut self,
        expected: &Outcome,
        observed: &Observed,
        waited: std::time::Duration,
    ) -> Result<(), StepError> {
        if outcome::matches(expected, observed)? {
            if matches!(expected, Outcome::OneOf(_)) {
                self.choices
                    .push(format!("step {}: {}", self.step_no, observed.choice()));
            }
            return Ok(());
        }
        let seen = match observed {
            Observed::Nothing => format!("no answer within {}", secs(waited)),
            other => other.describe(),
        };
        Err(StepError::fail(outcome::describe(expected), seen))
    }

    async fn send_raw(&mut self, raw: &SendRawStep) -> Result<(), StepError> {
        self.ensure_open(&raw.client).await?;
        let id = match self.client_ids.get(&raw.client) {
            Some(id) => id.clone(),
            None => packets::client_id(&raw.client, self.spec(&raw.client)?, &self.ns),
        };
        let bytes = packets::raw_bytes(raw, &id)?;
        let summary = packets::raw_summary(&bytes, self.version.protocol());
        let client = self.client(&raw.client)?;
        let index = client.current().unwrap_or(0);
        let mark = client.mark();
        client.send_bytes(bytes, summary).await?;
        if let Some(expected) = &raw.expect {
            let wait = self.reply_window();
            let client = self.client(&raw.client)?;
            let observed =
                outcome::observe(client, index, mark, true, Instant::now() + wait).await?;
            self.check_outcome(expected, &observed, wait)?;
        }
        Ok(())
    }
}
