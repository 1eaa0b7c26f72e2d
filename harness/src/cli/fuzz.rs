//! `lastwill fuzz`: a live-broker fuzzing campaign against an address, or
//! against a broker it launches itself from a target profile (`--target NAME`).
//! Progress on stderr, the report in the out dir, and the exit code: 0 no
//! findings, 1 findings, 2 usage or infrastructure errors.

use std::io::{IsTerminal, Write};
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use lastwill::fuzz::{run_campaign, Config, Progress, Versions};
use lastwill::runner::Interrupt;
use lastwill::target::launched::ProfileBroker;
use lastwill::target::profile as profiles;
use lastwill::target::TcpTarget;

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The broker to fuzz, `tcp://HOST:PORT`; or use --target.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "target",
        required_unless_present = "target"
    )]
    broker: Option<String>,

    /// Launch the broker of this target profile (`targets/NAME.yaml`, or a
    /// path to a profile) on a free loopback port, and stop it at the end.
    #[arg(long, value_name = "NAME")]
    target: Option<String>,

    /// Where `--target NAME` looks for `NAME.yaml`.
    #[arg(long, value_name = "DIR", default_value = "targets")]
    targets_dir: PathBuf,

    /// Extra argument for the launched broker (repeatable), e.g.
    /// `--target-arg=--fault --target-arg=publish-will-twice`.
    #[arg(long = "target-arg", value_name = "ARG", allow_hyphen_values = true)]
    target_args: Vec<String>,

    /// How long to fuzz: `60s`, `5m`, `1500ms` or seconds.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    duration: Duration,

    /// Seed of the case generator (default: from the clock).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,

    /// Report and reproducer directory.
    #[arg(long, value_name = "DIR", default_value = "fuzz-out")]
    out: PathBuf,

    /// Cases in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,

    /// Protocol versions to generate: 3.1.1, 5.0 or both.
    #[arg(long, value_name = "VERSION", default_value = "both", value_parser = parse_versions)]
    version: Versions,

    /// Time allowed to minimize each finding.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    minimize_budget: Duration,
}

fn parse_versions(text: &str) -> Result<Versions, String> {
    match text {
        "3.1.1" | "4" => Ok(Versions::V311),
        "5.0" | "5" => Ok(Versions::V5),
        "both" => Ok(Versions::Both),
        _ => Err(format!("`{text}` is not 3.1.1, 5.0 or both")),
    }
}

pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let number = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let seconds = if let Some(ms) = text.strip_suffix("ms") {
        number(ms).map(|n| n / 1000.0)
    } else if let Some(s) = text.strip_suffix('s') {
        number(s)
    } else if let Some(m) = text.strip_suffix('m') {
        number(m).map(|n| n * 60.0)
    } else {
        number(text)
    };
    seconds
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{text}` is not a duration (60s, 5m, 1500ms)"))
}

pub fn run(args: FuzzArgs) -> anyhow::Result<ExitCode> {
    super::logging::init("warn");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut target_name = None;
    let mut launched = match &args.target {
        None => None,
        Some(name) => {
            let profile = profiles::find(&args.targets_dir, name)?;
            if profile.is_container() {
                anyhow::bail!(
                    "target `{name}` is a container profile; start it yourself and pass --broker"
                );
            }
            // The out dir is the broker's working directory: its log
            // (broker.log) and config sit beside the campaign report.
            let started = ProfileBroker::start_with_args(&profile, &args.out, &args.target_args)?;
            eprintln!(
                "launched {} at {} (log: {})",
                profile.name(),
                started.broker.address(),
                started.log.display()
            );
            target_name = Some(profile.name().to_owned());
            Some(started.broker)
        }
    };
    let address = match (&args.broker, &launched) {
        (Some(address), _) => address.clone(),
        (None, Some(broker)) => broker.address(),
        (None, None) => anyhow::bail!("give --broker tcp://HOST:PORT or --target NAME"),
    };
    TcpTarget::resolve(&address)?;
    let addr = address
        .trim_start_matches("tcp://")
        .trim_end_matches('/')
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {address}"))?
        .next()
        .with_context(|| format!("{address} resolves to no address"))?;
    // A broker that cannot be reached at the start is a usage or
    // infrastructure error (exit 2), not a crash finding.
    lastwill::fuzz::health::probe(addr, Duration::from_secs(10))
        .map_err(|e| anyhow::anyhow!("{address} does not answer MQTT: {e}"))?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs())
    });
    let mut config = Config::new(addr, args.out.clone());
    config.target_name = target_name;
    config.duration = args.duration;
    config.seed = seed;
    config.versions = args.version;
    config.concurrency = args.concurrency.max(1);
    config.minimize_budget = args.minimize_budget;
    eprintln!(
        "fuzzing {address} for {:.0} s (seed {seed}, {} cases at once)",
        args.duration.as_secs_f64(),
        config.concurrency
    );
    let interrupt = Interrupt::new();
    super::interrupt::on_ctrl_c(interrupt.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let terminal = std::io::stderr().is_terminal();
    let mut last_line = std::time::Instant::now();
    let mut show = |p: &Progress| {
        let line = format!(
            "{:>5.0} s  {} execs  {:.1} execs/s  {} findings",
            p.elapsed.as_secs_f64(),
            p.execs,
            p.execs_per_sec,
            p.findings
        );
        if terminal {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        } else if last_line.elapsed() >= Duration::from_secs(10) {
            last_line = std::time::Instant::now();
            eprintln!("{line}");
        }
    };
    let report = runtime.block_on(run_campaign(
        &config,
        launched.as_mut(),
        &interrupt,
        &mut show,
    ));
    if terminal {
        eprint!("\r\x1b[2K");
    }
    if let Some(broker) = launched.as_mut() {
        broker.stop(Duration::from_secs(5));
    }
    let (json, md) = report
        .write(&args.out)
        .with_context(|| format!("cannot write the report into {}", args.out.display()))?;
    for f in &report.findings {
        println!(
            "{} {} {}{} [{}] {}",
            f.id,
            f.kind,
            f.class,
            if f.confirmed { "" } else { " (unconfirmed)" },
            f.rule.as_deref().unwrap_or("-"),
            f.scenario
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        println!("    {}", f.message);
    }
    println!(
        "lastwill fuzz: {} execs in {:.1} s ({:.1}/s), {} findings{}; report: {}, {}",
        report.execs,
        report.duration_ms as f64 / 1000.0,
        report.execs_per_sec,
        report.findings.len(),
        if report.interrupted {
            " (interrupted)"
        } else {
            ""
        },
        json.display(),
        md.display()
    );
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
    }
}
