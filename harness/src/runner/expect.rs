//! The steps that observe: `expect_publish`, `expect_no_publish`,
//! `expect_close`. Windows are measured from the end of the previous step;
//! only their upper bound is scaled by `--timeout-scale`, and an arrival
//! before a non-zero lower bound is a failure (the lower bound is what the
//! spec mandates: a will delay, 1.5 × Keep Alive), even one already queued
//! while an earlier step ran.

use std::time::Duration;

use tokio::time::Instant;

use super::matcher::PublishMatcher;
use super::outcome::{self, Observed};
use super::packets::expand;
use super::run::ScenarioRun;
use super::verdict::{secs, window, StepError};
use crate::client::{summary, ReceivedPublish, Wait};
use crate::scenario::values::{CodeClass, CodeMatcher};
use crate::scenario::{ExpectCloseStep, ExpectNoPublishStep, ExpectPublishStep, Outcome};
use crate::target::Target;

impl<T: Target> ScenarioRun<'_, T> {
    /// Takes the first PUBLISH in the client's inbox that matches every
    /// given field, waiting for one until the window closes.
    pub(super) async fn expect_publish(&mut self, e: &ExpectPublishStep) -> Result<(), StepError> {
        let (earliest, latest) = self.window(e.within.as_ref())?;
        let matcher = PublishMatcher::new(e, &self.ns, self.version)?;
        let start = self.prev_end;
        let expected = format!("{} {}", matcher.describe(), window(earliest, latest));
        let client = self.client(&e.client)?;
        let got = client
            .wait_for(start + latest, |state| {
                let at = state
                    .inbox
                    .iter()
                    .position(|r| matcher.matches(&r.publish))?;
                state.inbox.remove(at)
            })
            .await;
        match got {
            Wait::Failed(failure) => Err(StepError::protocol(&failure)),
            Wait::Got(r) if too_early(r.at, self.lower_anchor, earliest) => Err(StepError::fail(
                expected,
                format!(
                    "{} {}, before the window opened",
                    summary::publish(&r.publish),
                    when(r.at, start)
                ),
            )),
            Wait::Got(r) if r.at > start + latest => Err(StepError::fail(
                expected,
                format!(
                    "{} {}, after the window closed",
                    summary::publish(&r.publish),
                    when(r.at, start)
                ),
            )),
            Wait::Got(r) if e.optional => {
                let at = when(r.at, start);
                self.choices.push(format!(
                    "step {}: optional {} delivered {at}",
                    self.step_no,
                    summary::publish(&r.publish)
                ));
                Ok(())
            }
            Wait::Got(r) => {
                let prompt = e
                    .warn_after
                    .as_ref()
                    .map(|w| w.to_duration())
                    .transpose()
                    .map_err(|err| StepError::Error(err.to_string()))?;
                if let Some(prompt) = prompt.filter(|p| r.at > start + *p) {
                    self.warnings.push((
                        self.step_no,
                        format!(
                            "{} within {} (published promptly)",
                            matcher.describe(),
                            secs(prompt)
                        ),
                        format!("{} {}", summary::publish(&r.publish), when(r.at, start)),
                    ));
                }
                Ok(())
            }
            Wait::TimedOut if e.optional => {
                self.choices
                    .push(format!("step {}: optional PUBLISH not sent", self.step_no));
                Ok(())
            }
            Wait::TimedOut => {
                let inbox: Vec<ReceivedPublish> =
                    client.with_state(|state| state.inbox.iter().cloned().collect());
                Err(StepError::fail(
                    expected,
                    nothing_matching(&matcher, &inbox, start, latest),
                ))
            }
        }
    }

    /// Fails on any PUBLISH (on `topic`, if given) in the client's inbox
    /// while the duration lasts, including one queued earlier and not taken.
    pub(super) async fn expect_no_publish(
        &mut self,
        e: &ExpectNoPublishStep,
    ) -> Result<(), StepError> {
        let duration = e
            .duration
            .to_duration()
            .map_err(|err| StepError::Error(err.to_string()))?;
        let topic = e.topic.as_ref().map(|t| expand(t, &self.ns));
        let start = self.prev_end;
        let client = self.client(&e.client)?;
        let got = client
            .wait_for(start + duration, |state| {
                state
                    .inbox
                    .iter()
                    .find(|r| topic.as_ref().is_none_or(|t| r.publish.topic == *t))
                    .cloned()
            })
            .await;
        let on = topic.map_or(String::new(), |t| format!(" on {t}"));
        match got {
            Wait::TimedOut => Ok(()),
            Wait::Failed(failure) => Err(StepError::protocol(&failure)),
            Wait::Got(r) => Err(StepError::fail(
                format!("no PUBLISH{on} for {}", secs(duration)),
                format!("{} {}", summary::publish(&r.publish), when(r.at, start)),
            )),
        }
    }

    /// The broker must end the client's current connection in an allowed
    /// way within the window: by default a DISCONNECT with an error code
    /// then a close, or a bare close. CONNACKs are not looked at here.
    pub(super) async fn expect_close(&mut self, e: &ExpectCloseStep) -> Result<(), StepError> {
        let (earliest, latest) = self.window(e.within.as_ref())?;
        let start = self.prev_end;
        let client = self.client(&e.client)?;
        let index = client.current().ok_or_else(|| {
            StepError::Error(format!("expect_close: `{}` never connected", e.client))
        })?;
        let expected = e.expect.clone().unwrap_or_else(|| {
            Outcome::OneOf(vec![
                Outcome::Disconnect(CodeMatcher::Class(CodeClass::Error)),
                Outcome::Closed,
            ])
        });
        let description = format!(
            "{} {}",
            outcome::describe(&expected),
            window(earliest, latest)
        );
        let observed = outcome::observe(client, index, 0, false, start + latest).await?;
        let at = observed.at();
        if let Some(at) = at.filter(|at| too_early(*at, self.lower_anchor, earliest)) {
            return Err(StepError::fail(
                description,
                format!(
                    "{} {}, before the window opened",
                    observed.describe(),
                    when(at, start)
                ),
            ));
        }
        if !outcome::matches(&expected, &observed)? {
            let seen = match (&observed, at) {
                (Observed::Nothing, _) | (_, None) => {
                    format!("the connection was still open after {}", secs(latest))
                }
                (observed, Some(at)) => format!("{} {}", observed.describe(), when(at, start)),
            };
            return Err(StepError::fail(description, seen));
        }
        if matches!(e.expect, Some(Outcome::OneOf(_))) {
            self.choices
                .push(format!("step {}: {}", self.step_no, observed.choice()));
        }
        Ok(())
    }
}

/// Before the lower bound of a window. A lower bound of 0 is no bound:
/// what arrived while an earlier step ran (a will reaching two watchers at
/// once, a close during the previous wait) is accepted.
fn too_early(at: Instant, start: Instant, earliest: Duration) -> bool {
    !earliest.is_zero() && at < start + earliest
}

/// `after 1.2 s`, or for something that was already waiting,
/// `already queued 0.3 s before the previous step ended`.
fn when(at: Instant, start: Instant) -> String {
    if at >= start {
        format!("after {}", secs(at - start))
    } else {
        format!(
            "already queued {} before the previous step ended",
            secs(start - at)
        )
    }
}

/// What arrived instead, closest first: PUBLISHes on the expected topic,
/// then any other.
fn nothing_matching(
    matcher: &PublishMatcher,
    inbox: &[ReceivedPublish],
    start: Instant,
    latest: Duration,
) -> String {
    let mut candidates: Vec<&ReceivedPublish> = inbox
        .iter()
        .filter(|r| r.publish.topic == matcher.topic())
        .collect();
    if candidates.is_empty() {
        candidates = inbox.iter().collect();
    }
    let Some(first) = candidates.first() else {
        return format!("nothing within {}", secs(latest));
    };
    let more = match candidates.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    format!(
        "no matching PUBLISH within {}; received {} {}: {}{more}",
        secs(latest),
        summary::publish(&first.publish),
        when(first.at, start),
        matcher.mismatches(&first.publish).join(", ")
    )
}
