//! `lastwill run`: the suite against a target, verdicts on the terminal,
//! reports on disk, and an exit code that says whether the results match
//! the target's expectations.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use lastwill::expectations::Expectations;
use lastwill::runner::{run_scenarios, RunOptions};
use lastwill::scenario::{Capability, LoadedScenario, Version};
use lastwill::target::launched;
use lastwill::target::profile::{self as profiles, LoadedProfile};
use lastwill::target::shard::{self, Shard};
use lastwill::target::TargetSpec;
use lastwill_broker::{BrokerConfig, Fault, FaultSet};
use lastwill_report::{RunReport, ScenarioResult, SCHEMA_VERSION};

use super::progress::Progress;

mod verdicts;

use verdicts::print_summary;
pub(super) use verdicts::{exit_code, note_version_mismatch};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The broker to test: `embedded` (the reference broker in process, in
    /// virtual time), `tcp://HOST:PORT`, `ws://HOST:PORT/PATH` or
    /// `mqtts://HOST:PORT` (with --tls-ca or --tls-insecure).
    #[arg(long, value_name = "URL", default_value = "embedded")]
    broker: String,

    #[command(flatten)]
    tls: super::tls::TlsArgs,

    /// Start the broker of a target profile (`targets/NAME.yaml`, or a path
    /// to a profile), run the suite against it, stop it, and keep its log
    /// (`broker.log`) with the report. Its expectations file applies unless
    /// `--expectations` names another.
    #[arg(long, value_name = "NAME", conflicts_with = "broker")]
    target: Option<String>,

    /// Run a container image through testcontainers (Docker, or Podman's
    /// Docker-compatible socket named by `DOCKER_HOST`), its broker on port
    /// 1883 inside, and remove it afterwards. Container profiles with
    /// config and readiness settings: `--target containers/NAME`.
    #[arg(long, value_name = "IMAGE[:TAG]", conflicts_with_all = ["broker", "target"])]
    container: Option<String>,

    /// Where `--target NAME` looks for `NAME.yaml`.
    #[arg(long, value_name = "DIR", default_value = "targets")]
    targets_dir: PathBuf,

    /// Run only part K of N of the selected scenario runs (deterministic:
    /// runs sorted by scenario id and version, dealt out round-robin), so
    /// CI jobs can split the suite and `lastwill report merge` the reports.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,

    /// Directory of scenario files (searched recursively).
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    scenarios: PathBuf,

    /// Run only scenarios whose id or file contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    filter: Vec<String>,

    /// Run only under this protocol version.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    version: Option<Version>,

    /// Scenario runs in flight at once.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,

    /// List the scenarios that would run, and exit.
    #[arg(long)]
    list: bool,

    /// Multiply every upper time bound (for slow brokers); lower bounds are
    /// what the spec mandates and never move.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    timeout_scale: f64,

    /// Write report.json, junit.xml, summary.md, report.html and pcaps here.
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,

    /// Known deviations of the target; the exit code says whether the run matches them.
    #[arg(long, value_name = "FILE")]
    expectations: Option<PathBuf>,

    /// Embedded target only: break a rule on purpose (repeatable; see `lastwill broker --list-faults`).
    #[arg(long = "fault", value_name = "NAME", value_parser = super::parse_fault)]
    faults: Vec<Fault>,

    /// Declare a capability no CONNACK reveals (repeatable): payload_format_validation, will_acl_at_connect, ...
    #[arg(long = "capability", value_name = "NAME", value_parser = parse_capability)]
    capabilities: Vec<Capability>,

    /// Print the packet timeline of every scenario that does not pass.
    #[arg(long, short)]
    verbose: bool,
}

pub(super) fn parse_version(text: &str) -> Result<Version, String> {
    match text {
        "3.1.1" | "4" => Ok(Version::V3_1_1),
        "5.0" | "5" => Ok(Version::V5),
        _ => Err(format!(
            "`{text}` is not a protocol version; use 3.1.1 or 5.0"
        )),
    }
}

fn parse_capability(text: &str) -> Result<Capability, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("unknown capability `{text}`"))
}

/// Scenarios selected by `--filter`, in file order.
pub(super) fn select(all: Vec<LoadedScenario>, filters: &[String]) -> Vec<LoadedScenario> {
    all.into_iter()
        .filter(|s| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| s.scenario.id.contains(f.as_str()) || s.relative.contains(f.as_str()))
        })
        .collect()
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    super::logging::init("warn");
    let all = super::load_scenarios(&args.scenarios)?;
    let all_ids: Vec<String> = all.iter().map(|s| s.scenario.id.clone()).collect();
    let scenarios = select(all, &args.filter);
    let versions: Vec<Version> = match args.version {
        Some(v) => vec![v],
        None => vec![Version::V3_1_1, Version::V5],
    };
    let scenarios = match args.shard {
        Some(shard) => shard.apply(scenarios, &versions),
        None => scenarios,
    };
    let profile = match (&args.target, &args.container) {
        (Some(name), _) => Some(profiles::find(&args.targets_dir, name)?),
        (None, Some(image)) => Some(container_profile(image)?),
        (None, None) => None,
    };
    if args.list {
        for s in &scenarios {
            let runs: Vec<&str> = s
                .scenario
                .rules
                .keys()
                .filter(|v| versions.contains(v))
                .map(|v| v.as_str())
                .collect();
            println!(
                "{:<48} [{}]  {}",
                s.scenario.id,
                runs.join(", "),
                s.scenario.title
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let expectations_path = args
        .expectations
        .clone()
        .or_else(|| profile.as_ref().and_then(LoadedProfile::expectations_path));
    let expectations = match &expectations_path {
        Some(path) => Some(Expectations::load(path)?),
        None => None,
    };
    let embedded = BrokerConfig {
        faults: args.faults.iter().copied().collect::<FaultSet>(),
        ..BrokerConfig::default()
    };
    if !args.faults.is_empty() && (args.broker != "embedded" || profile.is_some()) {
        anyhow::bail!("--fault applies to the embedded reference broker only");
    }
    let options = RunOptions {
        jobs: args.jobs,
        timeout_scale: args.timeout_scale,
        capabilities: args.capabilities.iter().copied().collect::<BTreeSet<_>>(),
        ..RunOptions::default()
    };
    super::interrupt::on_ctrl_c(options.interrupt.clone());
    if let Some(profile) = &profile {
        let work = match &args.report_dir {
            Some(dir) => dir.clone(),
            None => std::env::temp_dir().join(format!(
                "lastwill-{}-{}",
                profile.name(),
                std::process::id()
            )),
        };
        let served = launched::served(profile, &versions);
        let total = shard::all_runs(&scenarios, &served).len();
        let mut progress = Progress::new(total, args.verbose);
        let (report, log) = run_profile(profile, &scenarios, &versions, options, &work, |r| {
            progress.finished(r)
        })?;
        progress.done();
        print_summary(&report);
        if let Some(dir) = &args.report_dir {
            lastwill_report::write_all(&report, dir)
                .with_context(|| format!("writing the reports to {}", dir.display()))?;
            println!("reports written to {}", dir.display());
        }
        println!("broker log: {}", log.display());
        if report.partial {
            return Ok(ExitCode::from(130));
        }
        let ids: Vec<&str> = all_ids.iter().map(String::as_str).collect();
        note_version_mismatch(expectations.as_ref(), &report);
        return Ok(exit_code(&report.results, expectations.as_ref(), &ids));
    }
    let tls = args.tls.client()?;
    let target = TargetSpec::parse_tls(&args.broker, embedded, tls.as_ref())
        .with_context(|| format!("target `{}`", args.broker))?;

    let started_at = super::clock::rfc3339_now();
    let wall = Instant::now();
    let total: usize = scenarios
        .iter()
        .map(|s| {
            s.scenario
                .rules
                .keys()
                .filter(|v| versions.contains(v))
                .count()
        })
        .sum();
    let mut progress = Progress::new(total, args.verbose);
    let results = run_scenarios(&scenarios, &versions, &target, &options, |result| {
        progress.finished(result)
    });
    progress.done();
    let report = RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        target: target.info(),
        started_at,
        wall_time_ms: u64::try_from(wall.elapsed().as_millis()).unwrap_or(u64::MAX),
        partial: options.interrupt.is_interrupted(),
        results,
    };
    print_summary(&report);
    if let Some(dir) = &args.report_dir {
        lastwill_report::write_all(&report, dir)
            .with_context(|| format!("writing the reports to {}", dir.display()))?;
        println!("reports written to {}", dir.display());
    }
    if report.partial {
        // Interrupted: the report of what finished is written, but the run
        // proves nothing about the rest (the shell convention for SIGINT).
        return Ok(ExitCode::from(130));
    }
    let ids: Vec<&str> = all_ids.iter().map(String::as_str).collect();
    Ok(exit_code(&report.results, expectations.as_ref(), &ids))
}

/// Starts `profile`'s broker (log and config in `work`), runs `scenarios`
/// under `versions` against it, stops it, and returns the report (versions
/// the broker does not serve are `skip`) and the log's path. The profile's
/// capabilities and timeout scale are added to `options`.
pub(super) fn run_profile(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    mut options: RunOptions,
    work: &std::path::Path,
    on_result: impl FnMut(&ScenarioResult),
) -> anyhow::Result<(RunReport, PathBuf)> {
    options
        .capabilities
        .extend(profile.profile.capabilities.iter().copied());
    options.timeout_scale *= profile.profile.timeout_scale.value;
    if profile.is_container() {
        return run_container_profile(profile, scenarios, versions, options, work, on_result);
    }
    let broker_version = launched::broker_version(profile, work);
    let started_at = super::clock::rfc3339_now();
    let wall = Instant::now();
    let suite = launched::run_suite(profile, scenarios, versions, &options, work, on_result)?;
    Ok(suite_report(
        profile,
        "broker",
        broker_version,
        started_at,
        wall,
        &options,
        suite,
    ))
}

/// The report of a suite run on a profile's broker (`what`: "broker" or
/// "container"), with a warning when it had exited before it was stopped.
fn suite_report(
    profile: &LoadedProfile,
    what: &str,
    broker_version: Option<String>,
    started_at: String,
    wall: Instant,
    options: &RunOptions,
    suite: launched::SuiteRun,
) -> (RunReport, PathBuf) {
    if suite.crashed > 0 {
        eprintln!(
            "warning: the {} {what} had exited before it was stopped; see {}",
            profile.name(),
            suite.log.display()
        );
    }
    let report = RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        target: launched::target_info(profile, broker_version),
        started_at,
        wall_time_ms: u64::try_from(wall.elapsed().as_millis()).unwrap_or(u64::MAX),
        partial: options.interrupt.is_interrupted(),
        results: suite.results,
    };
    (report, suite.log)
}

#[cfg(feature = "containers")]
fn container_profile(image: &str) -> anyhow::Result<LoadedProfile> {
    Ok(lastwill::target::container::profile_for_image(image)?)
}

#[cfg(not(feature = "containers"))]
fn container_profile(_image: &str) -> anyhow::Result<LoadedProfile> {
    anyhow::bail!("this lastwill was built without the `containers` feature")
}

/// [`run_profile`] for a container profile: the same report, the broker
/// version read from the image's tag.
#[cfg(feature = "containers")]
fn run_container_profile(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: RunOptions,
    work: &std::path::Path,
    on_result: impl FnMut(&ScenarioResult),
) -> anyhow::Result<(RunReport, PathBuf)> {
    use lastwill::target::container;
    let started_at = super::clock::rfc3339_now();
    let wall = Instant::now();
    let suite = container::run_suite(profile, scenarios, versions, &options, work, on_result)?;
    Ok(suite_report(
        profile,
        "container",
        container::broker_version(profile),
        started_at,
        wall,
        &options,
        suite,
    ))
}

#[cfg(not(feature = "containers"))]
fn run_container_profile(
    profile: &LoadedProfile,
    _scenarios: &[LoadedScenario],
    _versions: &[Version],
    _options: RunOptions,
    _work: &std::path::Path,
    _on_result: impl FnMut(&ScenarioResult),
) -> anyhow::Result<(RunReport, PathBuf)> {
    anyhow::bail!(
        "target `{}` is a container profile, but this lastwill was built without the `containers` feature",
        profile.name()
    )
}
