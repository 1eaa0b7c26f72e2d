//! `lastwill matrix`: the suite against several target profiles (the
//! reference broker, mosquitto, aedes, amqtt, rumqttd by default), written
//! as the published `reports/` tree: one directory per target (report.json,
//! summary.md, report.html, broker.log and its config), `matrix.md` and
//! `matrix.html` (targets × scenario runs, grouped by rule, each cell
//! linking to its evidence), and a README with the date, versions, machine
//! and command. `--runs N` runs every suite N times and requires identical
//! verdicts. The exit code is 0 only when every target matches its
//! expectations file (and, with `--runs`, every verdict was stable).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;
use clap::Args;
use lastwill::expectations::{Expectations, Mismatch};
use lastwill::runner::RunOptions;
use lastwill::scenario::{LoadedScenario, Version};
use lastwill::target::profile::{self as profiles, LoadedProfile};
use lastwill_report::{write_atomic, RunReport, Verdict};

use super::run::{run_profile, select};

mod render;

pub(super) use render::publish;
use render::{note, preamble, print_table, write_readme};

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Target profiles to run (names in `--targets-dir`, or paths), comma-separated.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        default_value = "reference,mosquitto,aedes,amqtt,rumqttd"
    )]
    targets: Vec<String>,

    /// Where target profiles are looked up.
    #[arg(long, value_name = "DIR", default_value = "targets")]
    targets_dir: PathBuf,

    /// Directory of scenario files.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    scenarios: PathBuf,

    /// Where the reports go (one directory per target, matrix.md, matrix.html, README.md).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,

    /// Run every target's suite this many times; a verdict that changes
    /// between runs is reported and fails the command. The first run is
    /// the one published.
    #[arg(long, value_name = "N", default_value_t = 1)]
    runs: usize,

    /// Targets running at once (default: all of them; the suite mostly waits).
    #[arg(long, value_name = "N")]
    parallel: Option<usize>,

    /// Run only scenarios whose id or file contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    filter: Vec<String>,

    /// Run only under this protocol version.
    #[arg(long, value_name = "VERSION", value_parser = super::run::parse_version)]
    version: Option<Version>,

    /// Multiply every upper time bound (on top of each profile's own scale).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    timeout_scale: f64,
}

/// One target's runs and how they compare.
struct TargetOutcome {
    profile: LoadedProfile,
    /// One report per run, in run order; empty if the broker never started.
    reports: Vec<RunReport>,
    /// Why the target could not be run, if it could not.
    error: Option<String>,
    /// Mismatches with the expectations file, per run.
    mismatches: Vec<Vec<Mismatch>>,
    /// Runs whose verdicts differ from the first run's: (run, id, version, first, this).
    flips: Vec<(usize, String, String, Verdict, Verdict)>,
}

pub fn run(args: MatrixArgs) -> anyhow::Result<ExitCode> {
    super::logging::init("warn");
    anyhow::ensure!(args.runs >= 1, "--runs must be at least 1");
    let all = super::load_scenarios(&args.scenarios)?;
    let ids: Vec<String> = all.iter().map(|s| s.scenario.id.clone()).collect();
    let scenarios = select(all, &args.filter);
    let versions: Vec<Version> = match args.version {
        Some(v) => vec![v],
        None => vec![Version::V3_1_1, Version::V5],
    };
    let mut loaded = Vec::new();
    for name in &args.targets {
        loaded.push(profiles::find(&args.targets_dir, name)?);
    }
    let mut expectations = Vec::new();
    for profile in &loaded {
        expectations.push(match profile.expectations_path() {
            Some(path) => Some(Expectations::load(&path)?),
            None => None,
        });
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let started_at = super::clock::rfc3339_now();
    let options = RunOptions {
        timeout_scale: args.timeout_scale,
        ..RunOptions::default()
    };
    super::interrupt::on_ctrl_c(options.interrupt.clone());
    let scratch = std::env::temp_dir().join(format!("lastwill-matrix-{}", std::process::id()));
    println!(
        "running {} scenario(s) against {} ({} run(s) each)",
        scenarios.len(),
        args.targets.join(", "),
        args.runs
    );

    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let outcomes = run_targets(
        &loaded,
        &expectations,
        &scenarios,
        &versions,
        &options,
        &args,
        &scratch,
        &id_refs,
    );
    let _ = std::fs::remove_dir_all(&scratch);
    if options.interrupt.is_interrupted() {
        println!("interrupted: nothing published");
        return Ok(ExitCode::from(130));
    }

    // Publish the first run of every target that ran.
    let mut reports = Vec::new();
    let mut notes = Vec::new();
    for outcome in &outcomes {
        if let Some(first) = outcome.reports.first() {
            reports.push(first.clone());
            notes.push(note(outcome));
        }
    }
    let preamble = preamble(&started_at, &outcomes, args.runs);
    publish(&args.out, &reports, &notes, &preamble)?;
    write_readme(&args, &started_at, &outcomes)?;
    println!();
    print_table(&outcomes);
    println!("published to {}", args.out.display());

    let mut code = ExitCode::SUCCESS;
    for outcome in &outcomes {
        if let Some(error) = &outcome.error {
            println!("{}: {error}", outcome.profile.name());
            code = ExitCode::from(2);
            continue;
        }
        for (run, mismatches) in outcome.mismatches.iter().enumerate() {
            for mismatch in mismatches {
                println!("{} run {}: {mismatch}", outcome.profile.name(), run + 1);
            }
        }
        for (run, id, version, first, this) in &outcome.flips {
            println!(
                "{}: unstable verdict: {id} [{version}] was {} in run 1 and {} in run {run}",
                outcome.profile.name(),
                first.as_str(),
                this.as_str()
            );
        }
        if (outcome.mismatches.iter().any(|m| !m.is_empty()) || !outcome.flips.is_empty())
            && code == ExitCode::SUCCESS
        {
            code = ExitCode::from(1);
        }
    }
    if code == ExitCode::SUCCESS {
        println!("every target matches its expectations file");
    }
    Ok(code)
}

/// Runs every target's suite `args.runs` times, at most `args.parallel`
/// targets at once; a target's runs follow one another.
#[allow(clippy::too_many_arguments)]
fn run_targets(
    profiles: &[LoadedProfile],
    expectations: &[Option<Expectations>],
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: &RunOptions,
    args: &MatrixArgs,
    scratch: &Path,
    ids: &[&str],
) -> Vec<TargetOutcome> {
    let parallel = args.parallel.unwrap_or(profiles.len()).max(1);
    let next = Mutex::new(0usize);
    let outcomes: Mutex<Vec<Option<TargetOutcome>>> =
        Mutex::new((0..profiles.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..parallel.min(profiles.len()) {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                    let index = *next;
                    *next += 1;
                    index
                };
                let Some(profile) = profiles.get(index) else {
                    return;
                };
                let outcome = run_target(
                    profile,
                    expectations[index].as_ref(),
                    scenarios,
                    versions,
                    options,
                    args,
                    scratch,
                    ids,
                );
                outcomes.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(outcome);
            });
        }
    });
    outcomes
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn run_target(
    profile: &LoadedProfile,
    expectations: Option<&Expectations>,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: &RunOptions,
    args: &MatrixArgs,
    scratch: &Path,
    ids: &[&str],
) -> TargetOutcome {
    let name = profile.name();
    let mut outcome = TargetOutcome {
        profile: profile.clone(),
        reports: Vec::new(),
        error: None,
        mismatches: Vec::new(),
        flips: Vec::new(),
    };
    for run in 1..=args.runs {
        if options.interrupt.is_interrupted() {
            break;
        }
        let work = if run == 1 {
            args.out.join(dir_name(name))
        } else {
            scratch.join(format!("{}-run{run}", dir_name(name)))
        };
        let _ = std::fs::remove_dir_all(&work);
        let mut run_options = options.clone();
        run_options.run_id = lastwill::runner::random_run_id();
        match run_profile(profile, scenarios, versions, run_options, &work, |_| {}) {
            Ok((report, _log)) => {
                let mismatches = expectations
                    .map(|e| e.compare(&report.results, ids))
                    .unwrap_or_else(|| Expectations::default().compare(&report.results, ids));
                let c = report.counts();
                println!(
                    "{name} run {run}/{}: {} pass, {} fail, {} warn, {} skip, {} error in {:.0} s; {}",
                    args.runs,
                    c.pass,
                    c.fail,
                    c.warn,
                    c.skip,
                    c.error,
                    report.wall_time_ms as f64 / 1000.0,
                    if mismatches.is_empty() {
                        "matches its expectations".to_owned()
                    } else {
                        format!("{} mismatch(es) with its expectations", mismatches.len())
                    }
                );
                if let Some(first) = outcome.reports.first() {
                    let verdicts = verdict_map(first);
                    let flips_before = outcome.flips.len();
                    for r in &report.results {
                        if let Some(&before) = verdicts.get(&(r.id.as_str(), r.version.as_str())) {
                            if before != r.verdict {
                                outcome.flips.push((
                                    run,
                                    r.id.clone(),
                                    r.version.clone(),
                                    before,
                                    r.verdict,
                                ));
                            }
                        }
                    }
                    if outcome.flips.len() > flips_before {
                        // Keep the evidence of a run that disagrees with the first.
                        let path = args
                            .out
                            .join(dir_name(name))
                            .join(format!("run-{run}.report.json"));
                        let _ = write_atomic(&path, lastwill_report::to_json(&report).as_bytes());
                    }
                }
                outcome.mismatches.push(mismatches);
                outcome.reports.push(report);
            }
            Err(error) => {
                println!("{name} run {run}: {error:#}");
                outcome.error = Some(format!("{error:#}"));
                break;
            }
        }
    }
    outcome
}

fn verdict_map(report: &RunReport) -> BTreeMap<(&str, &str), Verdict> {
    report
        .results
        .iter()
        .map(|r| ((r.id.as_str(), r.version.as_str()), r.verdict))
        .collect()
}

/// A target's directory name: its name with anything but `[a-z0-9._-]` as `-`.
pub(super) fn dir_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
