//! Turning a failed liveness check into a crash or hang finding: the exit
//! status and log tail of a launched broker, and the last case run before
//! the failure written as a scenario (it may or may not be the cause; it
//! ends with a fresh client's CONNECT and PINGREQ).

use std::time::Duration;

use super::case::{kind, Case};
use super::emit::{self, EmitInfo};
use super::exec::Observation;
use super::report::FindingReport;
use super::{health, Config};
use crate::launch::LaunchedBroker;

/// What a failed liveness check found.
#[derive(Debug)]
pub(super) struct Liveness {
    kind: &'static str,
    message: String,
    exit_status: Option<String>,
    log_tail: Option<String>,
}

pub(super) async fn check_health(
    config: &Config,
    launched: Option<&mut LaunchedBroker>,
) -> Option<Liveness> {
    let exited = |b: &mut LaunchedBroker| {
        b.has_exited().map(|status| Liveness {
            kind: "crash",
            message: format!("the broker process exited ({status})"),
            exit_status: Some(status.to_string()),
            log_tail: Some(b.log_tail(40)),
        })
    };
    let mut launched = launched;
    if let Some(found) = launched.as_deref_mut().and_then(exited) {
        return Some(found);
    }
    let error = health::probe_async(config.addr, config.probe_timeout)
        .await
        .err()?;
    // A process that died during the probe is a crash, whatever the probe says.
    tokio::time::sleep(Duration::from_millis(200)).await;
    if let Some(found) = launched.as_deref_mut().and_then(exited) {
        return Some(found);
    }
    let log_tail = launched.map(|b| b.log_tail(40));
    Some(if error.is_hang() {
        Liveness {
            kind: "hang",
            message: format!("the broker stopped answering: {error}"),
            exit_status: None,
            log_tail,
        }
    } else {
        Liveness {
            kind: "crash",
            message: format!("the broker stopped accepting connections: {error}"),
            exit_status: None,
            log_tail,
        }
    })
}

pub(super) fn liveness_finding(
    config: &Config,
    n: usize,
    liveness: Liveness,
    case: &Case,
    obs: &Observation,
    dir: &std::path::Path,
) -> FindingReport {
    let id = format!("F{n}");
    let rule = if kind(case) == "malformed" {
        "MQTT-3.1.4-1"
    } else {
        "MQTT-3.1.2-8"
    };
    let info = EmitInfo {
        id: format!("fuzz.s{}.{}.{}", config.seed, id.to_lowercase(), liveness.kind),
        title: super::campaign::truncate(&liveness.message, 160),
        description: format!(
            "The last case run before the broker failed the liveness probe (`lastwill fuzz --seed {}`); it may or may not be the cause.",
            config.seed
        ),
        rule: rule.into(),
        class: liveness.kind.into(),
        liveness: true,
    };
    let yaml = emit::scenario_yaml(case, obs, &info);
    let stem = format!("{}-{}", id.to_lowercase(), liveness.kind);
    FindingReport {
        id,
        kind: liveness.kind.into(),
        rule: None,
        class: liveness.kind.into(),
        version: case.version.as_str().into(),
        message: liveness.message,
        occurrences: 1,
        ops_found: case.ops.len(),
        ops_minimized: case.ops.len(),
        minimized: false,
        confirmed: true,
        scenario: emit::write(dir, &stem, &yaml).ok(),
        case: case.describe(),
        evidence: super::campaign::evidence(obs),
        exit_status: liveness.exit_status,
        log_tail: liveness.log_tail,
    }
}
