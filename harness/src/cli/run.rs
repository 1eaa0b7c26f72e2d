//! `lastwill run`: the suite against a target, verdicts on the terminal,
//! reports on disk, and an exit code that says whether the results match
//! the target's expectations.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use lastwill::expectations::{Expectations, Mismatch};
use lastwill::runner::{run_scenarios, RunOptions};
use lastwill::scenario::{Capability, LoadedScenario, Version};
use lastwill::target::TargetSpec;
use lastwill_broker::{BrokerConfig, Fault, FaultSet};
use lastwill_report::{RunReport, ScenarioResult, Verdict, SCHEMA_VERSION};

use super::progress::Progress;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The broker to test: `embedded` (the reference broker in process, in
    /// virtual time) or `tcp://HOST:PORT`.
    #[arg(long, value_name = "URL", default_value = "embedded")]
    broker: String,

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

fn parse_version(text: &str) -> Result<Version, String> {
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
    let expectations = match &args.expectations {
        Some(path) => Some(Expectations::load(path)?),
        None => None,
    };
    let embedded = BrokerConfig {
        faults: args.faults.iter().copied().collect::<FaultSet>(),
        ..BrokerConfig::default()
    };
    if !args.faults.is_empty() && args.broker != "embedded" {
        anyhow::bail!("--fault applies to the embedded reference broker only");
    }
    let target = TargetSpec::parse(&args.broker, embedded)
        .with_context(|| format!("target `{}`", args.broker))?;
    let options = RunOptions {
        jobs: args.jobs,
        timeout_scale: args.timeout_scale,
        capabilities: args.capabilities.iter().copied().collect::<BTreeSet<_>>(),
        ..RunOptions::default()
    };
    super::interrupt::on_ctrl_c(options.interrupt.clone());

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

fn print_summary(report: &RunReport) {
    let counts = report.counts();
    let protocol_ms: u64 = report.results.iter().map(|r| r.scenario_time_ms).sum();
    let longest = report
        .results
        .iter()
        .map(|r| r.scenario_time_ms)
        .max()
        .unwrap_or(0);
    println!();
    if report.partial {
        println!("interrupted: the results below cover only the scenarios that finished");
    }
    println!(
        "{} scenario runs against {} in {:.2} s wall time; {:.1} s of protocol time in all, longest scenario {:.1} s{}",
        report.results.len(),
        report.target.name,
        report.wall_time_ms as f64 / 1000.0,
        protocol_ms as f64 / 1000.0,
        longest as f64 / 1000.0,
        if report.target.virtual_time { " (virtual time)" } else { "" },
    );
    if counts.warn + counts.error > 0 {
        println!("{} warned, {} errors", counts.warn, counts.error);
    }
    // The plain closing line CI readers look for.
    println!(
        "lastwill: {} passed, {} failed, {} skipped",
        counts.pass + counts.warn,
        counts.fail + counts.error,
        counts.skip
    );
}

/// 0: the results match (no fail or error, or exactly the expected ones).
/// 1: an unexpected failure, an unexpected pass or a stale expectation.
/// 2: a scenario the harness could not run (`error`): an infrastructure
/// problem such as a broker that refuses connections, not a verdict.
fn exit_code(
    results: &[ScenarioResult],
    expectations: Option<&Expectations>,
    ids: &[&str],
) -> ExitCode {
    let mismatches = match expectations {
        Some(expectations) => expectations.compare(results, ids),
        None => Expectations::default().compare(results, ids),
    };
    if mismatches.is_empty() {
        if expectations.is_some() {
            println!("results match the expectations file");
        }
        return ExitCode::SUCCESS;
    }
    if expectations.is_some() {
        println!("results do not match the expectations file:");
        for mismatch in &mismatches {
            println!("  {mismatch}");
        }
    }
    let infrastructure = mismatches.iter().any(|m| {
        matches!(
            m,
            Mismatch::Unexpected {
                verdict: Verdict::Error,
                ..
            } | Mismatch::Different {
                actual: Verdict::Error,
                ..
            }
        )
    });
    if infrastructure {
        println!("some scenarios could not be run (verdict `error`): exit code 2");
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
