//! `lastwill bench soak`: the bounded soak of issue 6 against a broker
//! given by address, or against the reference broker started here (this
//! same executable's `broker` subcommand) when none is given, so that
//! `lastwill bench soak --duration 10m` works alone. Progress goes to
//! stderr, the verdict to stdout; exit code 1 when the broker broke a will
//! rule or the soak could not tell.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use lastwill::bench::soak::{self, Counts, Snapshot, SoakResult, SoakSpec};
use lastwill::bench::{self, BrokerProcess};
use lastwill::launch::{free_port, LaunchSpec, LaunchedBroker};

use super::super::fuzz::parse_duration;

#[derive(Debug, Args)]
pub(super) struct SoakArgs {
    /// The broker, tcp://IP:PORT; without it the reference broker is started.
    #[arg(long, value_parser = bench::parse_broker)]
    broker: Option<SocketAddr>,
    /// The broker's process id, for memory figures (known when started here).
    #[arg(long)]
    pid: Option<u32>,
    /// How long new client cycles are started; wind-down and drain follow.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    duration: Duration,
    /// Client slots running at once.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Seed of the workload (default: from the clock, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Slack on every will deadline.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    grace: Duration,
    /// How often memory is sampled and progress printed.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    sample_every: Duration,
    /// A name for the broker in the JSON line (default: `reference` when
    /// started here, else `broker`).
    #[arg(long)]
    label: Option<String>,
    /// Append one JSON line with the figures to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

pub(super) async fn run(args: SoakArgs) -> anyhow::Result<ExitCode> {
    // A takeover holds two sockets per slot for a moment.
    super::check_file_limit(args.clients * 2)?;
    let mut launched = match args.broker {
        Some(_) => None,
        None => Some(launch_reference()?),
    };
    let broker = match (&launched, args.broker) {
        (_, Some(addr)) => addr,
        (Some(process), None) => process.socket_addr(),
        (None, None) => anyhow::bail!("no broker"),
    };
    let pid = args.pid.or(launched.as_ref().map(LaunchedBroker::pid));
    let seed = args.seed.unwrap_or_else(clock_seed);
    let label = args.label.clone().unwrap_or_else(|| {
        if launched.is_some() {
            "reference"
        } else {
            "broker"
        }
        .to_owned()
    });
    let spec = SoakSpec {
        broker,
        clients: args.clients,
        duration: args.duration,
        seed,
        grace: args.grace,
        process: pid.map(|pid| BrokerProcess { pid }),
        sample_every: args.sample_every,
    };
    eprintln!(
        "soak: {} clients for {:?} against {broker}{}, seed {seed}",
        spec.clients,
        spec.duration,
        pid.map_or_else(String::new, |p| format!(" (pid {p})"))
    );
    let result = soak::run(&spec, |snapshot| eprintln!("{}", progress_line(snapshot))).await;
    if let Some(process) = launched.as_mut() {
        if let Some(status) = process.has_exited() {
            anyhow::bail!(
                "the reference broker exited ({status}):\n{}",
                process.log_tail(20)
            );
        }
        process.stop(Duration::from_secs(2));
    }
    let result = result.context("soak")?;
    print_result(&label, &result);
    let common = super::Common {
        broker,
        label,
        json: args.json,
        source_addrs: 1,
    };
    super::write_line(&common, "soak", &result)?;
    Ok(if result.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Starts `lastwill broker` on a free loopback port; once more if another
/// program took the port in between.
fn launch_reference() -> anyhow::Result<LaunchedBroker> {
    let program = std::env::current_exe().context("finding the lastwill executable")?;
    let log = std::env::temp_dir().join(format!("lastwill-soak-broker-{}.log", std::process::id()));
    let mut last_error = None;
    for _ in 0..2 {
        let port = free_port().context("finding a free port")?;
        let spec = LaunchSpec {
            program: program.clone(),
            args: vec![
                "broker".into(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
            ],
            port,
            dir: None,
            env: Vec::new(),
        };
        match LaunchedBroker::start(&spec, &log, Duration::from_secs(10)) {
            Ok(broker) => return Ok(broker),
            Err(error) => last_error = Some(error),
        }
    }
    Err(
        anyhow::anyhow!(last_error.map_or_else(String::new, |e| e.to_string()))
            .context("starting the reference broker"),
    )
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn progress_line(s: &Snapshot) -> String {
    let secs = s.elapsed.as_secs_f64();
    format!(
        "soak {:>4.0}s {}: {} connections ({:.0}/s), wills {} expected / {} delivered / {} pending, \
         missing {}, duplicated {}, unexpected {}, client errors {}, rss {}",
        secs,
        s.phase.name(),
        s.connections,
        s.connections as f64 / secs.max(1e-3),
        s.wills.expected,
        s.wills.delivered,
        s.wills.pending,
        s.wills.missing,
        s.wills.duplicated,
        s.wills.unexpected,
        s.client_errors,
        s.rss_kib.map_or_else(|| "-".to_owned(), |k| format!("{k} KiB")),
    )
}

fn print_result(label: &str, r: &SoakResult) {
    let kib = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |k| format!("{k} KiB"));
    println!(
        "{label} soak seed={} clients={} duration={:.0}s: {} connections ({:.1}/s), rss start {} / mid {} / end {} / max {}",
        r.seed,
        r.clients,
        r.duration_s,
        r.connections,
        r.connections_per_sec,
        kib(r.rss_start_kib),
        kib(r.rss_mid_kib),
        kib(r.rss_end_kib),
        kib(r.rss_max_kib),
    );
    println!("  {:<22} {}", "all", counts_line(&r.wills));
    for (ending, counts) in &r.by_ending {
        println!("  {:<22} {}", ending.name(), counts_line(counts));
    }
    println!(
        "  unknown wills {}, client errors {}, keep-alive clients not closed {}, data messages {}",
        r.unknown_wills, r.client_errors, r.keep_alive_not_closed, r.data_messages
    );
    for sample in &r.error_samples {
        println!("  error: {sample}");
    }
    println!("  verdict: {}", if r.failed() { "FAIL" } else { "pass" });
}

fn counts_line(c: &Counts) -> String {
    format!(
        "expected {}, delivered {}, missing {}, duplicated {}, late {}, early {}, forbidden {}, unexpected {}, pending {}, void {}",
        c.expected, c.delivered, c.missing, c.duplicated, c.late, c.early, c.forbidden,
        c.unexpected, c.pending, c.void
    )
}
