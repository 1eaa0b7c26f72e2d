//! Argument parsing and dispatch. Each subcommand lives in its own module;
//! errors become `anyhow` context only here, at the edge.

mod broker;
mod logging;

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
    /// Run the reference broker, whose will handling follows MQTT 3.1.1 and 5.0 exactly.
    Broker(broker::BrokerArgs),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Broker(broker_args) => broker::run(broker_args),
    }
}
