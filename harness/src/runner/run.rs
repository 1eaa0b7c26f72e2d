//! One scenario under one version: steps in order, each under a hard time
//! limit, then the settle and the "unexpected PUBLISH" check.

use std::collections::BTreeMap;
use std::time::Duration;

use lastwill_codec::Packet;
use tokio::time::Instant;

use super::options::RunOptions;
use super::verdict::{secs, StepError};
use crate::client::{summary, Client, Scene, Wait};
use crate::scenario::values::TimeWindow;
use crate::scenario::{ClientSpec, Scenario, Step, Version};
use crate::target::Target;

/// How long an expectation without `within` waits (scaled like any
/// window's upper bound): `expect_publish`, `expect_close`, and the answer
/// to a `connect` or `send_raw` with an explicit `expect`.
pub(crate) const REPLY_WINDOW: Duration = Duration::from_secs(10);

/// Added to a step's own bound to get its hard limit.
const HARD_LIMIT_GRACE: Duration = Duration::from_secs(5);

/// The step (1-based) that decided a non-pass verdict, or `None` for the
/// end-of-scenario check.
#[derive(Debug)]
pub(crate) struct Decided {
    pub step: Option<usize>,
    pub label: String,
    pub error: StepError,
}

#[derive(Debug)]
pub(crate) struct ScenarioRun<'a, T: Target> {
    pub scenario: &'a Scenario,
    pub version: Version,
    pub target: &'a T,
    pub options: &'a RunOptions,
    pub scene: Scene,
    pub ns: String,
    pub clients: BTreeMap<String, Client>,
    /// The identifier each client last connected with (`{client_id}`).
    pub client_ids: BTreeMap<String, String>,
    pub choices: Vec<String>,
    /// SHOULDs the broker missed: (step number, expected, observed). They
    /// make a passing scenario `warn`.
    pub warnings: Vec<(usize, String, String)>,
    /// End of the previous step: where `within` windows are measured from.
    pub prev_end: Instant,
    /// Where a window's lower bound is measured from: the start of the
    /// previous step when that step acted on the broker (it cannot have
    /// reacted before the step began sending), else the end of it. On a
    /// real network the broker may see a FIN before the harness has finished
    /// its step; measuring "too early" from the step's start keeps a
    /// punctual broker from being failed by the harness's own scheduling.
    pub lower_anchor: Instant,
    /// 1-based number of the running step.
    pub step_no: usize,
}

impl<'a, T: Target> ScenarioRun<'a, T> {
    pub fn new(
        scenario: &'a Scenario,
        version: Version,
        target: &'a T,
        options: &'a RunOptions,
        scene: Scene,
        ns: String,
    ) -> Self {
        let clients = scenario
            .clients
            .keys()
            .map(|name| {
                let client = Client::new(name.clone(), version.protocol(), scene.clone());
                (name.clone(), client)
            })
            .collect();
        Self {
            scenario,
            version,
            target,
            options,
            prev_end: scene.start(),
            lower_anchor: scene.start(),
            scene,
            ns,
            clients,
            client_ids: BTreeMap::new(),
            choices: Vec::new(),
            warnings: Vec::new(),
            step_no: 0,
        }
    }

    pub async fn execute(&mut self) -> Result<(), Decided> {
        let scenario = self.scenario;
        for (i, located) in scenario.steps.iter().enumerate() {
            let step = &located.value;
            if only(step).is_some_and(|v| v != self.version) {
                continue;
            }
            self.step_no = i + 1;
            let (client, kind) = label(step);
            let label = match client {
                Some(name) => format!("step {} ({kind} {name})", i + 1),
                None => format!("step {} ({kind})", i + 1),
            };
            if let Some(name) = client {
                let current = self.clients.get(name).and_then(Client::current);
                // A connect step's marker names the connection it opens.
                let conn = match (step, current) {
                    (Step::Connect(_), Some(index)) => index + 1,
                    (_, current) => current.unwrap_or(0),
                };
                self.scene
                    .event(name, conn, format!("step {}: {kind}", i + 1));
            }
            let decided = |error| Decided {
                step: Some(i + 1),
                label: label.clone(),
                error,
            };
            let hard = self.hard_limit(step).map_err(decided)?;
            let started = Instant::now();
            let result = match tokio::time::timeout(hard, self.step(step)).await {
                Ok(result) => result,
                Err(_) => Err(StepError::Error(format!(
                    "the step did not finish within its hard limit of {}",
                    secs(hard)
                ))),
            };
            result.map_err(decided)?;
            // A malformed packet on any connection decides the scenario at
            // the step during which it arrived.
            if let Some(failure) = self.scene.failure() {
                return Err(decided(StepError::protocol(&failure)));
            }
            self.prev_end = Instant::now();
            self.lower_anchor = if acts(step) { started } else { self.prev_end };
        }
        self.settle().await.map_err(|error| Decided {
            step: None,
            label: "after the last step".into(),
            error,
        })
    }

    pub fn client(&self, name: &str) -> Result<&Client, StepError> {
        self.clients
            .get(name)
            .ok_or_else(|| StepError::Error(format!("unknown client `{name}`")))
    }

    pub fn client_mut(&mut self, name: &str) -> Result<&mut Client, StepError> {
        self.clients
            .get_mut(name)
            .ok_or_else(|| StepError::Error(format!("unknown client `{name}`")))
    }

    pub fn spec(&self, name: &str) -> Result<&'a ClientSpec, StepError> {
        let scenario = self.scenario;
        scenario
            .clients
            .get(name)
            .ok_or_else(|| StepError::Error(format!("unknown client `{name}`")))
    }

    /// `(earliest, latest)` of a window, `latest` scaled and never below
    /// `earliest`; no window means [0, 10 s].
    pub fn window(&self, within: Option<&TimeWindow>) -> Result<(Duration, Duration), StepError> {
        let (earliest, latest) = match within {
            Some(w) => w.bounds().map_err(|e| StepError::Error(e.to_string()))?,
            None => (Duration::ZERO, REPLY_WINDOW),
        };
        Ok((earliest, self.options.scaled(latest).max(earliest)))
    }

    pub fn reply_window(&self) -> Duration {
        self.options.scaled(REPLY_WINDOW)
    }

    /// The time after which a step ends in `error` whatever it waits for:
    /// its own bound plus a grace period, so a hung broker (or a write that
    /// never completes) cannot hang the run.
    fn hard_limit(&self, step: &Step) -> Result<Duration, StepError> {
        let duration = |s: &crate::scenario::values::Seconds| {
            s.to_duration().map_err(|e| StepError::Error(e.to_string()))
        };
        let bound = match step {
            Step::ExpectPublish(e) => self.window(e.within.as_ref())?.1,
            Step::ExpectClose(e) => self.window(e.within.as_ref())?.1,
            Step::ExpectNoPublish(e) => duration(&e.duration)?,
            Step::Wait(d) => duration(d)?,
            _ => self.options.step_timeout.max(self.reply_window()),
        };
        Ok(bound + HARD_LIMIT_GRACE)
    }

    /// After the last step: one PINGREQ/PINGRESP barrier on every open MQTT
    /// connection (so anything the broker sent before it has arrived), then
    /// any PUBLISH no step took fails the scenario. This is how a will
    /// published twice, or published when it must not be, is caught
    /// (MQTT-3.1.2-10 and every "MUST NOT publish" rule).
    async fn settle(&mut self) -> Result<(), StepError> {
        for client in self.clients.values() {
            let (Some(index), true) = (client.current(), client.is_session()) else {
                continue;
            };
            let mark = client.mark();
            if client.send(&Packet::PingReq).await.is_err() {
                continue;
            }
            let deadline = Instant::now() + self.options.step_timeout;
            let answered = client
                .wait_for(deadline, |state| {
                    let conn = state.connections.get(index as usize)?;
                    let pong = conn
                        .received
                        .iter()
                        .skip(mark)
                        .any(|r| matches!(r.packet, Packet::PingResp));
                    (pong || conn.ended.is_some()).then_some(())
                })
                .await;
            match answered {
                Wait::Failed(failure) => return Err(StepError::protocol(&failure)),
                Wait::TimedOut => self.scene.event(
                    client.name(),
                    index,
                    "settle: no PINGRESP; checking for unexpected PUBLISHes anyway",
                ),
                Wait::Got(()) => {}
            }
        }
        if let Some(failure) = self.scene.failure() {
            return Err(StepError::protocol(&failure));
        }
        let mut left = Vec::new();
        for (name, client) in &self.clients {
            client.with_state(|state| {
                left.extend(state.inbox.iter().map(|r| (name.clone(), r.clone())));
            });
        }
        left.sort_by_key(|(_, r)| r.at);
        let Some((name, first)) = left.first() else {
            return Ok(());
        };
        let more = match left.len() {
            1 => String::new(),
            n => format!(" ({n} PUBLISHes no step expected)"),
        };
        Err(StepError::fail(
            "no PUBLISH beyond those the steps expect",
            format!(
                "unexpected {} on {name} at {}{more}",
                summary::publish(&first.publish),
                secs(first.at.saturating_duration_since(self.scene.start())),
            ),
        ))
    }
}

/// The version a step is restricted to.
fn only(step: &Step) -> Option<crate::scenario::Version> {
    match step {
        Step::Connect(crate::scenario::ConnectStep::Full(d)) => d.only,
        Step::Subscribe(s) => s.only,
        Step::Unsubscribe(s) => s.only,
        Step::Publish(s) => s.only,
        Step::Disconnect(s) => s.only,
        Step::Close(s) => s.only,
        Step::SendRaw(s) => s.only,
        Step::ExpectPublish(s) => s.only,
        Step::ExpectNoPublish(s) => s.only,
        Step::ExpectClose(s) => s.only,
        Step::Connect(crate::scenario::ConnectStep::Name(_))
        | Step::GoSilent(_)
        | Step::Ping(_)
        | Step::Wait(_) => None,
    }
}

/// The client a step acts on and the step's kind, as the file spells it.
fn label(step: &Step) -> (Option<&str>, &'static str) {
    match step {
        Step::Connect(crate::scenario::ConnectStep::Name(n)) => (Some(n), "connect"),
        Step::Connect(crate::scenario::ConnectStep::Full(d)) => (Some(&d.client), "connect"),
        Step::Subscribe(s) => (Some(&s.client), "subscribe"),
        Step::Unsubscribe(s) => (Some(&s.client), "unsubscribe"),
        Step::Publish(s) => (Some(&s.client), "publish"),
        Step::Disconnect(s) => (Some(&s.client), "disconnect"),
        Step::Close(s) => (Some(&s.client), "close"),
        Step::GoSilent(r) => (Some(r.name()), "go_silent"),
        Step::SendRaw(s) => (Some(&s.client), "send_raw"),
        Step::Ping(r) => (Some(r.name()), "ping"),
        Step::Wait(_) => (None, "wait"),
        Step::ExpectPublish(s) => (Some(&s.client), "expect_publish"),
        Step::ExpectNoPublish(s) => (Some(&s.client), "expect_no_publish"),
        Step::ExpectClose(s) => (Some(&s.client), "expect_close"),
    }
}

/// Whether a step sends something the broker may react to.
fn acts(step: &Step) -> bool {
    !matches!(
        step,
        Step::Wait(_) | Step::ExpectPublish(_) | Step::ExpectNoPublish(_) | Step::ExpectClose(_)
    )
}
