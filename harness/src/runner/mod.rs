//! Runs scenarios against a target and turns what happened into
//! [`ScenarioResult`]s, following scenarios/README.md.
//!
//! - [`run_scenario`]: one scenario under one version, on the caller's
//!   tokio runtime.
//! - [`run_scenarios`]: a whole selection, in parallel; embedded scenario
//!   runs each get a current-thread runtime with a paused clock (virtual
//!   time), TCP ones share one multi-thread runtime (real time).
//!
//! Verdicts: `pass`; `fail` when the broker did not do what a step expects
//! (or sent a malformed packet: the codec's rule is cited); `skip` when a
//! required capability is missing; `error` when the harness could not
//! carry a step out (no connection, a setup reply that never came).

mod capabilities;
mod exchange;
mod expect;
mod many;
mod matcher;
mod options;
mod outcome;
mod packets;
mod run;
mod steps;
mod verdict;

use lastwill_report::{ScenarioResult, Verdict};

pub use self::capabilities::{capability_name, CapabilityCache};
pub use self::many::run_scenarios;
pub use self::options::{random_run_id, Interrupt, RunOptions};
use self::run::{Decided, ScenarioRun};
use self::verdict::StepError;
use crate::client::Scene;
use crate::scenario::{LoadedScenario, Version};
use crate::target::Target;

/// The `{ns}` of a scenario run: `lw-<run id>-<scenario hash>-<311|50>`.
pub fn namespace(run_id: u32, scenario_id: &str, version: Version) -> String {
    packets::namespace(run_id, scenario_id, version)
}

/// Runs `loaded` under `version` against `target` on the current runtime.
/// Never panics on what a broker does; every outcome is a verdict.
pub async fn run_scenario<T: Target>(
    loaded: &LoadedScenario,
    version: Version,
    target: &T,
    options: &RunOptions,
) -> ScenarioResult {
    run_cached(
        loaded,
        version,
        target,
        options,
        &CapabilityCache::default(),
    )
    .await
}

/// [`run_scenario`] with the capability probe shared between runs.
pub async fn run_cached<T: Target>(
    loaded: &LoadedScenario,
    version: Version,
    target: &T,
    options: &RunOptions,
    cache: &CapabilityCache,
) -> ScenarioResult {
    let wall = std::time::Instant::now();
    let scenario = &loaded.scenario;
    let ns = namespace(options.run_id, &scenario.id, version);
    let mut result = empty_result(loaded, version);
    if !scenario.rules.contains_key(&version) {
        result.verdict = Verdict::Skip;
        result.reason = format!("the scenario does not run under {version}");
        return result;
    }
    match capabilities::missing(scenario, target, options, cache, &ns).await {
        Ok(None) => {}
        Ok(Some(reason)) => {
            result.verdict = Verdict::Skip;
            result.reason = reason;
            result.wall_time_ms = millis(wall.elapsed());
            return result;
        }
        Err(reason) => {
            result.verdict = Verdict::Error;
            result.reason = format!("cannot read the broker's capabilities: {reason}");
            result.wall_time_ms = millis(wall.elapsed());
            return result;
        }
    }
    let scene = Scene::new();
    let mut run = ScenarioRun::new(scenario, version, target, options, scene.clone(), ns);
    let decided = run.execute().await;
    result.choices = std::mem::take(&mut run.choices);
    let warnings = std::mem::take(&mut run.warnings);
    // Dropping the run ends every connection task: nothing stays open.
    drop(run);
    match decided {
        Err(decided) => apply(&mut result, decided),
        Ok(()) => warn(&mut result, warnings),
    }
    result.scenario_time_ms = millis(scene.elapsed());
    result.wall_time_ms = millis(wall.elapsed());
    result.timeline = scene.timeline();
    result
}

/// A `pass` with nothing observed yet.
fn empty_result(loaded: &LoadedScenario, version: Version) -> ScenarioResult {
    let scenario = &loaded.scenario;
    ScenarioResult {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        version: version.as_str().to_owned(),
        file: loaded.relative.clone(),
        rules: scenario.rules.get(&version).cloned().unwrap_or_default(),
        verdict: Verdict::Pass,
        reason: String::new(),
        failed_rule: None,
        failed_step: None,
        expected: None,
        observed: None,
        choices: Vec::new(),
        scenario_time_ms: 0,
        wall_time_ms: 0,
        timeline: Vec::new(),
    }
}

/// An `error` result for a run the harness could not even start.
pub(crate) fn harness_error(
    loaded: &LoadedScenario,
    version: Version,
    reason: String,
) -> ScenarioResult {
    let mut result = empty_result(loaded, version);
    result.verdict = Verdict::Error;
    result.reason = reason;
    result
}

fn apply(result: &mut ScenarioResult, decided: Decided) {
    result.failed_step = decided.step;
    match decided.error {
        StepError::Fail {
            expected,
            observed,
            rule,
        } => {
            result.verdict = Verdict::Fail;
            let rule = rule.unwrap_or_else(|| result.rules.join(", "));
            result.reason = format!(
                "{}: expected {expected}; observed {observed} [{rule}]",
                decided.label
            );
            result.failed_rule = Some(rule);
            result.expected = Some(expected);
            result.observed = Some(observed);
        }
        StepError::Error(reason) => {
            result.verdict = Verdict::Error;
            result.reason = format!("{}: {reason}", decided.label);
        }
    }
}

/// A run that broke no MUST but missed a SHOULD: `warn`, naming the first
/// one. Promptness of wills is a SHOULD (catalogue A7 for 3.1.1, B6 for 5.0).
fn warn(result: &mut ScenarioResult, warnings: Vec<(usize, String, String)>) {
    let Some((step, expected, observed)) = warnings.into_iter().next() else {
        return;
    };
    let rule = if result.version == "3.1.1" {
        "A7"
    } else {
        "B6"
    };
    result.verdict = Verdict::Warn;
    result.failed_step = Some(step);
    result.reason =
        format!("step {step}: SHOULD: expected {expected}; observed {observed} [{rule}]");
    result.failed_rule = Some(rule.to_owned());
    result.expected = Some(expected);
    result.observed = Some(observed);
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
