//! `lastwill bench`: load tools that measure a broker from outside.
//! `benches/run.sh` runs them against the reference broker and mosquitto
//! in one run and writes `reports/performance.md`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use lastwill::bench::{self, keep_alive, storm, BrokerProcess};
use serde::Serialize;

mod hostile;
mod soak;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// N clients with wills, one subscriber, all N reset at once: time to the
    /// last will, wills/s, missing and duplicate wills, RSS per connection.
    WillStorm(StormArgs),
    /// Silent clients with a short Keep Alive: will arrival against the
    /// 1.5 × Keep Alive deadline.
    KeepAlive(KeepAliveArgs),
    /// Clients connecting, publishing and dropping with wills at random for
    /// a fixed time: every required will exactly once, no forbidden one,
    /// broker memory over time. Starts the reference broker without --broker.
    Soak(soak::SoakArgs),
    /// Idle half-open connections and a flood of oversized CONNECTs while a
    /// normal client connects and its will must arrive: connections held,
    /// broker RSS, CONNACK and will times, how the CONNECTs were answered.
    Hostile(hostile::HostileArgs),
}

/// What both tools share.
#[derive(Debug, Args)]
struct Common {
    /// The broker, tcp://IP:PORT.
    #[arg(long, value_parser = bench::parse_broker)]
    broker: std::net::SocketAddr,
    /// A name for the broker in the JSON lines (e.g. `reference`, `mosquitto`).
    #[arg(long, default_value = "broker")]
    label: String,
    /// Append one JSON line per measurement to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Spread clients over this many loopback source addresses
    /// (127.0.0.1 …), for more connections than one address has ports.
    #[arg(long, default_value_t = 1, value_name = "K")]
    source_addrs: u8,
}

#[derive(Debug, Args)]
struct StormArgs {
    #[command(flatten)]
    common: Common,
    /// Number of clients; repeat or give a list (1000,10000,50000).
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize])]
    clients: Vec<usize>,
    /// The broker's process id: RSS from /proc/PID/status, and needed for --freeze.
    #[arg(long)]
    pid: Option<u32>,
    /// Also run each storm with the broker frozen (SIGSTOP) during the resets,
    /// timed from SIGCONT.
    #[arg(long)]
    freeze: bool,
    /// Repeat each measurement this many times.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
}

#[derive(Debug, Args)]
struct KeepAliveArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Keep Alive in seconds.
    #[arg(long, default_value_t = 2)]
    keep_alive: u16,
}

/// One JSON line.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    kind: &'a str,
    broker: &'a str,
    #[serde(flatten)]
    result: &'a T,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async {
        match args.command {
            BenchCommand::WillStorm(storm_args) => will_storm(storm_args).await,
            BenchCommand::KeepAlive(ka_args) => keep_alive_run(ka_args).await,
            BenchCommand::Soak(soak_args) => soak::run(soak_args).await,
            BenchCommand::Hostile(hostile_args) => hostile::run(hostile_args).await,
        }
    })
}

/// Fails early, with the fix, when the file limit cannot hold `clients`.
fn check_file_limit(clients: usize) -> anyhow::Result<()> {
    if let Some(limit) = bench::file_limit() {
        let needed = clients as u64 + 64;
        anyhow::ensure!(
            limit >= needed,
            "{clients} clients need about {needed} open files but the limit is {limit}; \
             run under `ulimit -n {needed}` (the broker needs as many)"
        );
    }
    Ok(())
}

async fn will_storm(args: StormArgs) -> anyhow::Result<ExitCode> {
    let max = args.clients.iter().copied().max().unwrap_or(0);
    check_file_limit(max)?;
    let process = args.pid.map(|pid| BrokerProcess { pid });
    let modes: &[bool] = if args.freeze {
        &[false, true]
    } else {
        &[false]
    };
    for &clients in &args.clients {
        for &freeze in modes {
            for _ in 0..args.repeat {
                let spec = storm::StormSpec {
                    broker: args.common.broker,
                    clients,
                    process,
                    freeze,
                    source_addrs: args.common.source_addrs,
                };
                let result = storm::run(&spec)
                    .await
                    .with_context(|| format!("will storm of {clients} clients"))?;
                println!(
                    "{} will-storm n={clients}{}: last will {} ms, {} wills/s, missing {}, duplicates {}, rss/conn {} B (connect {:.0} ms, close loop {:.1} ms)",
                    args.common.label,
                    if freeze { " frozen" } else { "" },
                    fmt(result.last_will_ms, 1),
                    fmt(result.wills_per_sec, 0),
                    result.missing,
                    result.duplicates,
                    fmt(result.rss_per_connection_bytes, 0),
                    result.connect_ms,
                    result.close_loop_ms,
                );
                write_line(&args.common, "will-storm", &result)?;
                // Let the broker drop the dead sessions before the next storm.
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn keep_alive_run(args: KeepAliveArgs) -> anyhow::Result<ExitCode> {
    check_file_limit(args.clients)?;
    let spec = keep_alive::KeepAliveSpec {
        broker: args.common.broker,
        clients: args.clients,
        keep_alive: args.keep_alive,
        source_addrs: args.common.source_addrs,
    };
    let result = keep_alive::run(&spec)
        .await
        .context("keep-alive precision run")?;
    println!(
        "{} keep-alive n={} ka={}s: will - deadline min {} / median {} / p99 {} / max {} ms; early {}, within 50 ms {}, missing {}, duplicates {}",
        args.common.label,
        result.clients,
        result.keep_alive_s,
        fmt(result.min_ms, 1),
        fmt(result.median_ms, 1),
        fmt(result.p99_ms, 1),
        fmt(result.max_ms, 1),
        result.early,
        result.within_50ms,
        result.missing,
        result.duplicates,
    );
    write_line(&args.common, "keep-alive", &result)?;
    Ok(ExitCode::SUCCESS)
}

fn fmt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn write_line<T: Serialize>(common: &Common, kind: &str, result: &T) -> anyhow::Result<()> {
    let Some(path) = &common.json else {
        return Ok(());
    };
    let line = serde_json::to_string(&Line {
        kind,
        broker: &common.label,
        result,
    })?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(file, "{line}")?;
    Ok(())
}
