//! Argument parsing and dispatch. Each subcommand lives in its own module;
//! errors become `anyhow` context only here, at the edge.

mod bench;
mod broker;
mod broker_tls;
mod clock;
mod coverage;
mod fuzz;
mod interrupt;
mod logging;
mod matrix;
mod progress;
mod report;
mod run;
mod schema;
mod selfcheck;
mod tls;

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// MQTT Last Will and Testament conformance suite and fuzzing harness.
#[derive(Debug, Parser)]
#[command(name = "lastwill", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scenario suite against a broker (default: the embedded reference broker).
    Run(run::RunArgs),
    /// Run the reference broker, whose will handling follows MQTT 3.1.1 and 5.0 exactly.
    Broker(broker::BrokerArgs),
    /// Print each catalogue rule with the scenarios that check it.
    Coverage(coverage::CoverageArgs),
    /// Print the JSON Schema of scenario files.
    Schema,
    /// Prove every scenario can fail: run the suite against the embedded
    /// broker without faults (all must pass) and with each fault (each
    /// scenario must fail under at least one).
    Selfcheck(selfcheck::SelfcheckArgs),
    /// Fuzz a live broker's will handling: generated CONNECT/will sequences,
    /// a watcher client, minimized reproducers as scenario files.
    Fuzz(fuzz::FuzzArgs),
    /// Load tools: will storm and keep-alive precision against a broker.
    Bench(bench::BenchArgs),
    /// Run the suite against several target profiles (reference, mosquitto,
    /// aedes, amqtt, rumqttd) and publish reports/ with the matrix.
    Matrix(matrix::MatrixArgs),
    /// Work with JSON reports: `merge` shards, targets and broker versions.
    Report(report::ReportArgs),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Run(run_args) => run::run(run_args),
        Command::Broker(broker_args) => broker::run(broker_args),
        Command::Coverage(coverage_args) => coverage::run(coverage_args),
        Command::Schema => schema::run(),
        Command::Selfcheck(selfcheck_args) => selfcheck::run(selfcheck_args),
        Command::Fuzz(fuzz_args) => fuzz::run(fuzz_args),
        Command::Bench(bench_args) => bench::run(bench_args),
        Command::Matrix(matrix_args) => matrix::run(matrix_args),
        Command::Report(report_args) => report::run(report_args),
    }
}

/// Loads a scenario directory; any bad file stops the command with every
/// error listed (file:line:column).
fn load_scenarios(dir: &Path) -> anyhow::Result<Vec<lastwill::scenario::LoadedScenario>> {
    let (loaded, errors) = lastwill::scenario::load_dir(dir);
    if !errors.is_empty() {
        let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "{} scenario file(s) cannot be used:\n{}",
            errors.len(),
            listed.join("\n")
        );
    }
    Ok(loaded)
}

fn parse_fault(name: &str) -> Result<lastwill_broker::Fault, String> {
    name.parse::<lastwill_broker::Fault>()
        .map_err(|_| format!("unknown fault `{name}`; `lastwill broker --list-faults` lists them"))
}
