//! `lastwill schema`: the JSON Schema of scenario files, generated from the
//! Rust types that define the format, for editors to complete and check them.

use std::process::ExitCode;

use lastwill::scenario::Scenario;

pub fn run() -> anyhow::Result<ExitCode> {
    let schema = schemars::schema_for!(Scenario);
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}
