//! The `lastwill` command line.
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("lastwill: {error:#}");
            // Usage and infrastructure errors share exit code 2 (see README).
            ExitCode::from(2)
        }
    }
}
