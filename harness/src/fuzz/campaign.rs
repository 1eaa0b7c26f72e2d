//! The campaign loop: `concurrency` cases are kept in flight (a new one
//! starts as soon as one finishes); as each finishes, its findings are
//! counted, a new finding is minimized and written as a scenario, the
//! liveness probe runs (every [`HEALTH_EVERY`], and at once after a case that
//! stalled), and progress is reported. A crash or hang ends the campaign
//! (the broker is no longer usable); so do the deadline and Ctrl-C, which
//! drop the cases in flight. Either way the report covers everything done.
//!
//! Findings are grouped by (protocol version, oracle check): the first case
//! showing a check failing is minimized and emitted, later ones only count
//! as occurrences. A case is added to the corpus (the mutation base) when
//! its execution shows a feature no earlier one did: a CONNECT answer, a
//! way a connection ended, a will fate with its arrival count.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::case::{kind, Case};
use super::emit::{self, EmitInfo};
use super::exec::{self, Observation};
use super::generate::{Generator, Versions};
use super::liveness::{check_health, liveness_finding};
use super::minimize::minimize;
use super::oracle::{self, Fate, Violation};
use super::report::{CampaignReport, FindingReport};
use super::Config;
use crate::launch::LaunchedBroker;
use crate::runner::Interrupt;
use crate::target::TcpTarget;

/// How often the liveness probe runs.
const HEALTH_EVERY: Duration = Duration::from_secs(2);
/// Largest corpus kept.
const CORPUS_MAX: usize = 256;
/// Timeline lines kept as evidence per finding.
const EVIDENCE_LINES: usize = 80;

/// What the terminal shows.
#[derive(Clone, Debug)]
pub struct Progress {
    pub elapsed: Duration,
    pub execs: u64,
    pub execs_per_sec: f64,
    pub findings: usize,
}

/// Runs cases in fresh namespaces and judges them.
#[derive(Debug)]
struct Executor {
    target: TcpTarget,
    config: exec::ExecConfig,
    prefix: String,
    counter: AtomicU64,
}

impl Executor {
    async fn run(self: Arc<Self>, case: Case) -> (Observation, Vec<Violation>) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let ns = format!("{}-{n}", self.prefix);
        let obs = exec::run_case(&case, &self.target, &ns, &self.config).await;
        let violations = oracle::judge(&case, &obs, obs.watched);
        (obs, violations)
    }
}

/// Runs a campaign against `config.broker`. `launched` is the broker
/// process when the harness started it (so a crash has an exit status).
pub async fn run_campaign(
    config: &Config,
    mut launched: Option<&mut LaunchedBroker>,
    interrupt: &Interrupt,
    on_progress: &mut dyn FnMut(&Progress),
) -> CampaignReport {
    let start = Instant::now();
    let deadline = start + config.duration;
    let executor = Arc::new(Executor {
        target: config.broker.clone(),
        config: config.exec.clone(),
        prefix: format!("lwf{:x}-{}", config.seed, std::process::id()),
        counter: AtomicU64::new(0),
    });
    let mut report = CampaignReport {
        report_version: super::report::REPORT_VERSION,
        broker: config.broker.address().to_owned(),
        target: config.target_name.clone(),
        seed: config.seed,
        versions: match config.versions {
            Versions::V311 => "3.1.1",
            Versions::V5 => "5.0",
            Versions::Both => "both",
        }
        .into(),
        ..CampaignReport::default()
    };
    let mut generator = Generator::new(config.seed, config.versions);
    let mut corpus: Vec<Case> = Vec::new();
    let mut features: HashSet<String> = HashSet::new();
    let mut seen: Vec<(String, &'static str)> = Vec::new();
    let findings_dir = config.out.join("findings");
    let mut inflight = tokio::task::JoinSet::new();
    let mut last_health = Instant::now();
    loop {
        while inflight.len() < config.concurrency.max(1)
            && Instant::now() < deadline
            && !interrupt.is_interrupted()
        {
            let case = generator.next_case(&corpus);
            let exec = Arc::clone(&executor);
            inflight.spawn(async move {
                let (obs, violations) = exec.run(case.clone()).await;
                (case, obs, violations)
            });
        }
        let joined = tokio::select! {
            joined = inflight.join_next() => joined,
            () = interrupt.wait() => break,
            () = tokio::time::sleep_until(deadline) => break,
        };
        let Some(joined) = joined else { break };
        let Ok((case, obs, violations)) = joined else {
            continue;
        };
        let mut new_findings = Vec::new();
        report.execs += 1;
        *report
            .cases_by_kind
            .entry(kind(&case).to_owned())
            .or_default() += 1;
        let suspect = obs.setup_failed.is_some() || obs.stalled.is_some();
        if obs.setup_failed.is_some() {
            report.infrastructure_errors += 1;
        }
        for v in violations {
            let key = (case.version.as_str().to_owned(), v.class);
            if let Some(i) = seen.iter().position(|k| *k == key) {
                if let Some(f) = report.findings.get_mut(i) {
                    f.occurrences += 1;
                }
                continue;
            }
            seen.push(key);
            let mut finding = placeholder(&v);
            finding.id = format!("F{}", report.findings.len() + 1);
            finding.version = case.version.as_str().into();
            report.findings.push(finding);
            new_findings.push((report.findings.len() - 1, case.clone(), obs.clone(), v));
        }
        let fresh: Vec<String> = case_features(&case, &obs)
            .into_iter()
            .filter(|f| !features.contains(f))
            .collect();
        if !fresh.is_empty() && corpus.len() < CORPUS_MAX {
            features.extend(fresh);
            corpus.push(case.clone());
        }
        // Liveness: every couple of seconds, and at once after a case
        // that stalled or could not start.
        if suspect || last_health.elapsed() >= HEALTH_EVERY {
            last_health = Instant::now();
            report.health_checks += 1;
            if let Some(liveness) = check_health(config, launched.as_deref_mut()).await {
                let n = report.findings.len() + 1;
                let finding = liveness_finding(config, n, liveness, &case, &obs, &findings_dir);
                report.findings.push(finding);
                break;
            }
        }
        for (index, case, obs, violation) in new_findings {
            let left = deadline.saturating_duration_since(Instant::now());
            let budget = config.minimize_budget.min(left.max(Duration::from_secs(5)));
            let found_ops = case.ops.len();
            let exec = Arc::clone(&executor);
            let best = minimize(case, obs, violation, budget, config.concurrency, move |c| {
                Arc::clone(&exec).run(c)
            })
            .await;
            report.execs += best.runs as u64;
            report.minimize_execs += best.runs as u64;
            let id = format!("F{}", index + 1);
            let stem = format!(
                "{}-{}-{}",
                id.to_lowercase(),
                best.violation.class,
                best.case.version.as_str().replace('.', "")
            );
            let info = EmitInfo {
                id: format!("fuzz.s{}.{}.{}", config.seed, id.to_lowercase(), best.violation.class),
                title: truncate(&format!("{}: {}", best.violation.class, best.violation.message), 160),
                description: format!(
                    "Found by `lastwill fuzz --seed {}` against {}; minimized from {found_ops} to {} ops.",
                    config.seed,
                    report.broker,
                    best.case.ops.len()
                ),
                rule: best.violation.rule.clone(),
                class: best.violation.class.to_owned(),
                liveness: false,
            };
            let yaml = emit::scenario_yaml(&best.case, &best.obs, &info);
            let path = emit::write(&findings_dir, &stem, &yaml).ok();
            if let Some(f) = report.findings.get_mut(index) {
                f.message = best.violation.message.clone();
                f.rule = Some(best.violation.rule.clone());
                f.ops_found = found_ops;
                f.ops_minimized = best.case.ops.len();
                f.minimized = best.complete;
                f.confirmed = best.confirmed;
                f.scenario = path;
                f.case = best.case.describe();
                f.evidence = evidence(&best.obs);
            }
        }
        let elapsed = start.elapsed();
        on_progress(&Progress {
            elapsed,
            execs: report.execs,
            execs_per_sec: rate(report.execs, elapsed),
            findings: report.findings.len(),
        });
    }
    inflight.abort_all();
    report.interrupted = interrupt.is_interrupted();
    let elapsed = start.elapsed();
    report.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    report.execs_per_sec = rate(report.execs, elapsed);
    report.corpus_size = corpus.len();
    report
}

fn rate(execs: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (execs as f64 / secs * 10.0).round() / 10.0
    } else {
        0.0
    }
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

fn placeholder(v: &Violation) -> FindingReport {
    FindingReport {
        id: String::new(),
        kind: "violation".into(),
        rule: Some(v.rule.clone()),
        class: v.class.into(),
        version: String::new(),
        message: v.message.clone(),
        occurrences: 1,
        ops_found: 0,
        ops_minimized: 0,
        minimized: false,
        confirmed: false,
        scenario: None,
        case: Vec::new(),
        evidence: Vec::new(),
        exit_status: None,
        log_tail: None,
    }
}

/// The packet timeline of a run, as report lines.
pub(super) fn evidence(obs: &Observation) -> Vec<String> {
    obs.timeline
        .iter()
        .take(EVIDENCE_LINES)
        .map(|e| {
            let arrow = match e.direction {
                lastwill_report::Direction::Sent => "->",
                lastwill_report::Direction::Received => "<-",
                lastwill_report::Direction::Event => "..",
            };
            format!(
                "{:>7} ms {:<8} [{}] {arrow} {}",
                e.at_ms, e.client, e.connection, e.summary
            )
        })
        .collect()
}

/// What made a case's run distinct, for keeping it in the corpus.
fn case_features(case: &Case, obs: &Observation) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let v = case.version.as_str();
    out.insert(format!("{v}:{}", kind(case)));
    for r in &obs.conns {
        out.insert(format!("{v}:answer:{:?}", r.answer));
        let first = r.events.first().map(|(_, e)| format!("{e:?}"));
        out.insert(format!("{v}:end:{first:?}:{}", r.broker_end.is_some()));
    }
    for j in oracle::judge_wills(case, obs) {
        let fate = match j.fate {
            Fate::Required { .. } => "required",
            Fate::Forbidden { class, .. } => class,
            Fate::Open => "open",
        };
        let topic = exec::will_topic(&obs.ns, j.tag);
        let n = obs
            .publishes
            .iter()
            .filter(|p| p.publish.topic == topic)
            .count();
        out.insert(format!("{v}:fate:{fate}:{n}:{}", j.delay.is_zero()));
    }
    out
}
