//! Running the suite against a profile's broker: one shared broker,
//! restarted if it crashes mid-run, or a fresh one per scenario run
//! (`isolation: scenario`). Split from [`super::launched`], which starts
//! and describes the broker.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use lastwill_report::{ScenarioResult, Verdict};

use super::launched::{served, with_unserved_skips, ProfileBroker, StartError, LOG_FILE};
use super::profile::{Isolation, LoadedProfile};
use super::{TargetSpec, TcpTarget};
use crate::launch::LaunchError;
use crate::runner::{run_scenarios, RunOptions};
use crate::scenario::{LoadedScenario, Version};

/// What [`run_suite`] found: results in scenario then version order (with
/// `skip` for versions the broker does not serve), the broker's log, and
/// whether the broker died during the run.
#[derive(Debug)]
pub struct SuiteRun {
    pub results: Vec<ScenarioResult>,
    pub log: PathBuf,
    /// Scenario runs (or, isolated, brokers) whose broker had exited by
    /// the time the harness stopped it.
    pub crashed: usize,
}

/// Starts the profile's broker (or, with `isolation: scenario`, one per
/// scenario run), runs `scenarios` under `versions` against it, and stops
/// it. `options` should already carry the profile's capabilities and scale.
pub fn run_suite(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: &RunOptions,
    work: &Path,
    mut on_result: impl FnMut(&ScenarioResult),
) -> Result<SuiteRun, StartError> {
    let served = served(profile, versions);
    let options = with_profile_jobs(profile, options);
    let (results, log, crashed) = match profile.profile.isolation {
        _ if served.is_empty() => (Vec::new(), work.join(LOG_FILE), 0),
        Isolation::Shared => {
            run_shared(profile, scenarios, &served, &options, work, &mut on_result)?
        }
        Isolation::Scenario => {
            run_isolated(profile, scenarios, &served, &options, work, on_result)?
        }
    };
    Ok(SuiteRun {
        results: with_unserved_skips(profile, scenarios, versions, results),
        log,
        crashed,
    })
}

/// `options` with the run's `--jobs` capped by the profile's own `jobs`
/// (brokers that cannot take the whole suite at once). Shared by the
/// process and container suites.
pub(super) fn with_profile_jobs(profile: &LoadedProfile, options: &RunOptions) -> RunOptions {
    let mut options = options.clone();
    if let Some(jobs) = profile.profile.jobs {
        options.jobs = Some(options.jobs.map_or(jobs, |j| j.min(jobs)));
    }
    options
}

/// Restarts of a shared broker that crashed; after that many, the runs
/// left are `error` without being started.
const MAX_RESTARTS: usize = 3;

/// Scenario runs the runner has in flight against a TCP broker when
/// `--jobs` is not given (its default).
const DEFAULT_TCP_JOBS: usize = 64;

/// One broker for every run (`isolation: shared`). If it dies mid-run, the
/// runs it took down are `error` with the evidence (exit status, log tail),
/// its log is kept as `broker-crash-N.log`, and it is restarted (on a new
/// port) for the runs not yet done. Returns the results, the log and the
/// number of crashes.
fn run_shared(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: &RunOptions,
    work: &Path,
    on_result: &mut dyn FnMut(&ScenarioResult),
) -> Result<(Vec<ScenarioResult>, PathBuf, usize), StartError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    let mut pending: Vec<(usize, Version)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.scenario.rules.keys().map(move |v| (i, *v)))
        .filter(|(_, v)| versions.contains(v))
        .collect();
    let mut results = Vec::new();
    let mut crashes = 0;
    loop {
        let running = match ProfileBroker::start(profile, work) {
            Ok(running) => Mutex::new(running),
            Err(error) if crashes == 0 => return Err(error),
            // The runs done so far are kept; those left cannot be run.
            Err(error) => {
                for (i, version) in pending {
                    let reason =
                        format!("not run: the broker crashed and could not be restarted: {error}");
                    let result = crate::runner::harness_error(&scenarios[i], version, reason);
                    on_result(&result);
                    results.push(result);
                }
                return Ok((results, work.join(LOG_FILE), crashes));
            }
        };
        let (addrs, tls) = {
            let running = lock(&running);
            (running.socket_addrs(), running.tls.clone())
        };
        let target = TargetSpec::Tcp(TcpTarget::from_addrs_tls(&addrs, tls.as_ref()));
        // The batch's own interrupt: set by the user's, or by a crash.
        let batch_options = RunOptions {
            interrupt: crate::runner::Interrupt::new(),
            ..options.clone()
        };
        let crash_log = work.join(format!("broker-crash-{}.log", crashes + 1));
        let done = AtomicBool::new(false);
        let mut converted = Vec::new();
        let found = thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    if options.interrupt.is_interrupted() || died(&running, &crash_log).is_some() {
                        batch_options.interrupt.interrupt();
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            });
            let batch = only(scenarios, &pending);
            let found = run_scenarios(&batch, versions, &target, &batch_options, |result| {
                // A run that did not pass may have been taken down by a
                // crash the watcher has not seen yet: give it a moment.
                let deadline = Instant::now() + Duration::from_millis(250);
                let evidence = loop {
                    if matches!(
                        result.verdict,
                        Verdict::Pass | Verdict::Warn | Verdict::Skip
                    ) {
                        break None;
                    }
                    match died(&running, &crash_log) {
                        Some(evidence) => break Some(evidence),
                        None if Instant::now() < deadline => {
                            thread::sleep(Duration::from_millis(20))
                        }
                        None => break None,
                    }
                };
                match evidence {
                    Some(evidence) => {
                        let mut result = result.clone();
                        result.reason =
                            format!("{evidence}\n(the run itself reported: {})", result.reason);
                        result.verdict = Verdict::Error;
                        result.failed_rule = None;
                        result.observed = Some(evidence);
                        on_result(&result);
                        converted.push(result);
                    }
                    None => on_result(result),
                }
            });
            done.store(true, Ordering::SeqCst);
            found
        });
        let touched = converted.len();
        for result in found {
            let replaced = converted
                .iter()
                .position(|c| c.id == result.id && c.version == result.version);
            results.push(match replaced {
                Some(i) => converted.swap_remove(i),
                None => result,
            });
        }
        pending.retain(|(i, v)| {
            let id = &scenarios[*i].scenario.id;
            !results
                .iter()
                .any(|r| &r.id == id && r.version == v.as_str())
        });
        let mut running = running.into_inner().unwrap_or_else(|e| e.into_inner());
        let log = running.log.clone();
        let Some(evidence) = died_now(&mut running, &crash_log) else {
            let alive = running.stop();
            return Ok((results, log, crashes + usize::from(!alive)));
        };
        crashes += 1;
        drop(running);
        let log = match std::fs::rename(&log, &crash_log) {
            Ok(()) => crash_log,
            Err(_) => log,
        };
        // The runner admits runs in order, `jobs` at a time: the first
        // runs not done were in flight when the broker died.
        let in_flight = options
            .jobs
            .unwrap_or(DEFAULT_TCP_JOBS)
            .saturating_sub(touched)
            .min(pending.len());
        let mut lost: Vec<_> = pending
            .drain(..in_flight)
            .map(|run| (run, "the run was in flight".to_owned()))
            .collect();
        let out_of_restarts = crashes > MAX_RESTARTS;
        if out_of_restarts && !options.interrupt.is_interrupted() {
            let why = format!("not run: the broker crashed {crashes} times");
            lost.extend(pending.drain(..).map(|run| (run, why.clone())));
        }
        for ((i, version), why) in lost {
            let reason = format!("{evidence}\n({why})");
            let mut result = crate::runner::harness_error(&scenarios[i], version, reason);
            result.observed = Some(evidence.clone());
            on_result(&result);
            results.push(result);
        }
        if pending.is_empty() || out_of_restarts || options.interrupt.is_interrupted() {
            return Ok((results, log, crashes));
        }
        eprintln!(
            "the {} broker crashed; restarting it for the {} runs left (restart {crashes} of at most {MAX_RESTARTS})",
            profile.name(),
            pending.len()
        );
    }
}

fn lock(running: &std::sync::Mutex<ProfileBroker>) -> std::sync::MutexGuard<'_, ProfileBroker> {
    running
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The evidence of a crash, if a node of the broker has exited.
fn died(running: &std::sync::Mutex<ProfileBroker>, kept_log: &Path) -> Option<String> {
    died_now(&mut lock(running), kept_log)
}

fn died_now(running: &mut ProfileBroker, kept_log: &Path) -> Option<String> {
    let nodes = std::iter::once(&mut running.broker).chain(running.others.iter_mut());
    for (i, node) in nodes.enumerate() {
        if let Some(status) = node.has_exited() {
            // Only the first node's log is renamed; the others keep theirs.
            let kept = match i {
                0 => format!(" (kept as {})", kept_log.display()),
                _ => String::new(),
            };
            return Some(format!(
                "the broker ({}, pid {}) crashed mid-run ({status}); its log{kept} ends:\n{}",
                node.address(),
                node.pid(),
                node.log_tail(20)
            ));
        }
    }
    None
}

/// `scenarios` with only the versions of `runs` left in their rules (and
/// those without any left out).
fn only(scenarios: &[LoadedScenario], runs: &[(usize, Version)]) -> Vec<LoadedScenario> {
    let mut out = Vec::new();
    for (i, loaded) in scenarios.iter().enumerate() {
        let mut loaded = loaded.clone();
        loaded.scenario.rules.retain(|v, _| runs.contains(&(i, *v)));
        if !loaded.scenario.rules.is_empty() {
            out.push(loaded);
        }
    }
    out
}

/// One fresh broker per scenario run, `options.jobs` (default 4) at once;
/// their logs are joined into one, each under a header naming its run.
fn run_isolated(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: &RunOptions,
    work: &Path,
    mut on_result: impl FnMut(&ScenarioResult),
) -> Result<(Vec<ScenarioResult>, PathBuf, usize), StartError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;

    let jobs: Vec<(usize, Version)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.scenario
                .rules
                .keys()
                .filter(|v| versions.contains(v))
                .map(move |v| (i, *v))
        })
        .collect();
    let runs_dir = work.join("isolated");
    let threads = options.jobs.unwrap_or(4).clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    // Set when a broker cannot be started: the remaining runs are not
    // started either (the run's own interrupt is shared with other targets).
    let stop = AtomicBool::new(false);
    let mut logs: Vec<Option<(String, PathBuf)>> = vec![None; jobs.len()];
    let mut results: Vec<Option<ScenarioResult>> = vec![None; jobs.len()];
    let mut crashed = 0;
    let mut first_error = None;
    let (tx, rx) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            let stop = &stop;
            let jobs = &jobs;
            let runs_dir = &runs_dir;
            scope.spawn(move || loop {
                if options.interrupt.is_interrupted() || stop.load(Ordering::SeqCst) {
                    return;
                }
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(scenario, version)) = jobs.get(index) else {
                    return;
                };
                let loaded = &scenarios[scenario];
                let label = format!("{} [{}]", loaded.scenario.id, version.as_str());
                let dir = runs_dir.join(format!("{}-{}", loaded.scenario.id, version.as_str()));
                let outcome = ProfileBroker::start(profile, &dir).map(|running| {
                    let target = TargetSpec::Tcp(TcpTarget::from_addrs_tls(
                        &running.socket_addrs(),
                        running.tls.as_ref(),
                    ));
                    let mut found = run_scenarios(
                        std::slice::from_ref(loaded),
                        &[version],
                        &target,
                        options,
                        |_| {},
                    );
                    let log = running.log.clone();
                    let alive = running.stop();
                    (found.pop(), log, alive)
                });
                if tx.send((index, label, outcome)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        for (index, label, outcome) in rx {
            match outcome {
                Ok((result, log, alive)) => {
                    crashed += usize::from(!alive);
                    logs[index] = Some((label, log));
                    if let Some(result) = result {
                        on_result(&result);
                        results[index] = Some(result);
                    }
                }
                Err(error) => {
                    stop.store(true, Ordering::SeqCst);
                    first_error.get_or_insert(error);
                }
            }
        }
    });
    if let Some(error) = first_error {
        return Err(error);
    }
    let log = work.join(LOG_FILE);
    let mut joined = String::new();
    for (label, path) in logs.into_iter().flatten() {
        joined.push_str(&format!(
            "=== {label}: a fresh broker (isolation: scenario)\n"
        ));
        joined.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
    }
    std::fs::write(&log, joined).map_err(|source| StartError {
        name: profile.name().to_owned(),
        source: LaunchError::Write {
            path: log.clone(),
            source,
        },
        hint: String::new(),
    })?;
    let _ = std::fs::remove_dir_all(&runs_dir);
    Ok((results.into_iter().flatten().collect(), log, crashed))
}
