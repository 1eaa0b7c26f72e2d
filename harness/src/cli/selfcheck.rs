//! `lastwill selfcheck`: the suite proves it can fail. Every scenario must
//! pass against the embedded reference broker, and fail against it with at
//! least one of its faults switched on; a scenario no fault can fail checks
//! nothing and is a bug in the suite (or a missing fault).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use lastwill::runner::{run_scenarios, RunOptions};
use lastwill::target::TargetSpec;
use lastwill_broker::{BrokerConfig, Fault, FaultSet};
use lastwill_report::{ScenarioResult, Verdict};

#[derive(Debug, Args)]
pub struct SelfcheckArgs {
    /// Directory of scenario files.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    scenarios: PathBuf,
    /// Check only scenarios whose id or file contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    filter: Vec<String>,
    /// Print, for every scenario, the faults that fail it.
    #[arg(long)]
    matrix: bool,
}

type RunKey = (String, String);

fn run_with(
    scenarios: &[lastwill::scenario::LoadedScenario],
    faults: FaultSet,
) -> Vec<ScenarioResult> {
    let target = TargetSpec::Embedded(BrokerConfig {
        faults,
        ..BrokerConfig::default()
    });
    run_scenarios(scenarios, &[], &target, &RunOptions::default(), |_| {})
}

pub fn run(args: SelfcheckArgs) -> anyhow::Result<ExitCode> {
    super::logging::init("error");
    let scenarios = super::run::select(super::load_scenarios(&args.scenarios)?, &args.filter);
    let wall = Instant::now();

    let baseline = run_with(&scenarios, FaultSet::default());
    let broken: Vec<&ScenarioResult> = baseline
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .collect();
    println!(
        "baseline (no fault): {} of {} scenario runs pass",
        baseline.len() - broken.len(),
        baseline.len()
    );
    for result in &broken {
        println!(
            "  {} {} [{}]: {}",
            result.verdict.as_str(),
            result.id,
            result.version,
            result.reason
        );
    }

    let mut killers: BTreeMap<RunKey, Vec<Fault>> = baseline
        .iter()
        .map(|r| ((r.id.clone(), r.version.clone()), Vec::new()))
        .collect();
    let mut odd: Vec<String> = Vec::new();
    println!("\nfault                                 scenario runs failed");
    for fault in Fault::ALL {
        let results = run_with(&scenarios, FaultSet::from(fault));
        let mut failed = 0;
        for result in &results {
            match result.verdict {
                Verdict::Fail => {
                    failed += 1;
                    if let Some(list) =
                        killers.get_mut(&(result.id.clone(), result.version.clone()))
                    {
                        list.push(fault);
                    }
                }
                Verdict::Error => odd.push(format!(
                    "{} {} [{}] under {}: {}",
                    result.verdict.as_str(),
                    result.id,
                    result.version,
                    fault.name(),
                    result.reason
                )),
                Verdict::Pass | Verdict::Warn | Verdict::Skip => {}
            }
        }
        println!("{:<37} {failed}", fault.name());
    }

    if args.matrix {
        println!("\nscenario run                                      faults that fail it");
        for ((id, version), faults) in &killers {
            let names: Vec<&str> = faults.iter().map(|f| f.name()).collect();
            println!("{:<50} {}", format!("{id} [{version}]"), names.join(", "));
        }
    }
    let unkillable: Vec<&RunKey> = killers
        .iter()
        .filter(|(_, faults)| faults.is_empty())
        .map(|(key, _)| key)
        .collect();
    println!();
    for line in &odd {
        println!("harness error under a fault (should be a fail): {line}");
    }
    for (id, version) in &unkillable {
        println!("unkillable: {id} [{version}] fails under no fault");
    }
    println!(
        "selfcheck: {} scenario runs, {} pass without faults, {} killed by at least one fault, {} unkillable ({:.2} s)",
        killers.len(),
        baseline.len() - broken.len(),
        killers.len() - unkillable.len(),
        unkillable.len(),
        wall.elapsed().as_secs_f64()
    );
    let ok = broken.is_empty() && unkillable.is_empty() && odd.is_empty();
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
