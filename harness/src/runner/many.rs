//! Running a selection of scenarios in parallel.
//!
//! Embedded: every scenario run gets its own broker and its own
//! current-thread runtime with a paused clock, so each run's virtual time is
//! its own (tokio advances a paused clock only when every task of that
//! runtime is idle); the runs are spread over `jobs` OS threads.
//! TCP: one multi-thread runtime, every run a task, at most `jobs` in
//! flight; `{ns}` keeps them apart on the shared broker.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lastwill_broker::BrokerConfig;
use lastwill_report::ScenarioResult;
use tokio::sync::Semaphore;

use super::capabilities::CapabilityCache;
use super::options::RunOptions;
use super::{harness_error, run_cached};
use crate::scenario::{LoadedScenario, Version};
use crate::target::{EmbeddedTarget, TargetSpec, TcpTarget};

/// Scenario runs in flight at once against a TCP broker by default.
const DEFAULT_TCP_JOBS: usize = 64;

/// Runs every scenario under each of its versions that `versions` allows
/// (empty: all it lists). `on_result` sees each result as it finishes, in
/// completion order; the returned results are in a stable order: scenario
/// order, then version. After an interrupt, runs in progress are dropped
/// and only finished results are returned.
pub fn run_scenarios(
    scenarios: &[LoadedScenario],
    versions: &[Version],
    target: &TargetSpec,
    options: &RunOptions,
    mut on_result: impl FnMut(&ScenarioResult),
) -> Vec<ScenarioResult> {
    let jobs: Vec<(usize, Version)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, loaded)| {
            loaded
                .scenario
                .rules
                .keys()
                .filter(|v| versions.is_empty() || versions.contains(v))
                .map(move |v| (i, *v))
        })
        .collect();
    let mut results: Vec<Option<ScenarioResult>> = vec![None; jobs.len()];
    let mut collect = |index: usize, result: ScenarioResult| {
        on_result(&result);
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    };
    match target {
        TargetSpec::Embedded(config) => {
            run_embedded(scenarios, &jobs, config, options, &mut collect)
        }
        TargetSpec::Tcp(tcp) => run_tcp(scenarios, &jobs, tcp, options, &mut collect),
    }
    results.into_iter().flatten().collect()
}

fn run_embedded(
    scenarios: &[LoadedScenario],
    jobs: &[(usize, Version)],
    config: &BrokerConfig,
    options: &RunOptions,
    collect: &mut dyn FnMut(usize, ScenarioResult),
) {
    let threads = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, ScenarioResult)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                if options.interrupt.is_interrupted() {
                    return;
                }
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(scenario, version)) = jobs.get(index) else {
                    return;
                };
                let Some(loaded) = scenarios.get(scenario) else {
                    return;
                };
                if let Some(result) = embedded_run(loaded, version, config, options) {
                    if tx.send((index, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        for (index, result) in rx {
            collect(index, result);
        }
    });
}

/// One embedded run on a fresh paused runtime; `None` if interrupted.
fn embedded_run(
    loaded: &LoadedScenario,
    version: Version,
    config: &BrokerConfig,
    options: &RunOptions,
) -> Option<ScenarioResult> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let reason = format!("cannot start a tokio runtime: {error}");
            return Some(harness_error(loaded, version, reason));
        }
    };
    let run = async {
        // Two-node scenarios get two brokers joined by the reference bridge.
        // Auth scenarios get the fixture and the will model they require.
        let config = EmbeddedTarget::config_for(config, &loaded.scenario);
        let target = if loaded.scenario.nodes.len() > 1 {
            EmbeddedTarget::start_bridged(config)
        } else {
            EmbeddedTarget::start(config)
        };
        let cache = CapabilityCache::default();
        tokio::select! {
            result = run_cached(loaded, version, &target, options, &cache) => {
                Some(result)
            }
            () = options.interrupt.wait() => None,
        }
    };
    // A bug in the harness must cost one scenario, not the run.
    std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(run)))
        .unwrap_or_else(|panic| Some(harness_error(loaded, version, panic_reason(&panic))))
}

fn run_tcp(
    scenarios: &[LoadedScenario],
    jobs: &[(usize, Version)],
    target: &TcpTarget,
    options: &RunOptions,
    collect: &mut dyn FnMut(usize, ScenarioResult),
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            for (index, &(scenario, version)) in jobs.iter().enumerate() {
                if let Some(loaded) = scenarios.get(scenario) {
                    let reason = format!("cannot start a tokio runtime: {error}");
                    collect(index, harness_error(loaded, version, reason));
                }
            }
            return;
        }
    };
    let limit = Arc::new(Semaphore::new(
        options.jobs.unwrap_or(DEFAULT_TCP_JOBS).max(1),
    ));
    let cache = Arc::new(CapabilityCache::default());
    let target = Arc::new(target.clone());
    let options = Arc::new(options.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, ScenarioResult)>();
    runtime.block_on(async {
        for (index, &(scenario, version)) in jobs.iter().enumerate() {
            let Some(loaded) = scenarios.get(scenario).cloned() else {
                continue;
            };
            let (tx, limit, cache) = (tx.clone(), Arc::clone(&limit), Arc::clone(&cache));
            let (target, options) = (Arc::clone(&target), Arc::clone(&options));
            tokio::spawn(async move {
                let Ok(_permit) = limit.acquire().await else {
                    return;
                };
                if options.interrupt.is_interrupted() {
                    return;
                }
                let run = {
                    let (loaded, options) = (loaded.clone(), Arc::clone(&options));
                    async move { run_cached(&loaded, version, &*target, &options, &cache).await }
                };
                let mut run = tokio::spawn(run);
                let result = tokio::select! {
                    joined = &mut run => match joined {
                        Ok(result) => Some(result),
                        // A bug in the harness must cost one scenario, not the run.
                        Err(error) if error.is_panic() => Some(harness_error(
                            &loaded,
                            version,
                            panic_reason(&error.into_panic()),
                        )),
                        Err(_) => None,
                    },
                    () = options.interrupt.wait() => {
                        run.abort();
                        None
                    }
                };
                if let Some(result) = result {
                    let _ = tx.send((index, result));
                }
            });
        }
        drop(tx);
        while let Some((index, result)) = rx.recv().await {
            collect(index, result);
        }
    });
}

fn panic_reason(panic: &Box<dyn std::any::Any + Send>) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("the harness panicked (a bug in lastwill): {message}")
}
