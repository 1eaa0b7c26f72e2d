//! `lastwill bench hostile`: see `lastwill::bench::hostile`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use lastwill::bench::hostile::{self, Answers, HostileResult, HostileSpec};
use lastwill::bench::BrokerProcess;

use super::{check_file_limit, fmt, write_line, Common};

#[derive(Debug, Args)]
pub struct HostileArgs {
    #[command(flatten)]
    common: Common,
    /// The broker's process id: RSS from /proc/PID/status.
    #[arg(long)]
    pid: Option<u32>,
    /// Idle connections that never complete a CONNECT.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    half_open: usize,
    /// Every K-th half-open connection sends half a CONNECT (0: none).
    #[arg(long, default_value_t = 10, value_name = "K")]
    partial_every: usize,
    /// CONNECTs whose Remaining Length announces --announced-bytes.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    oversized_connects: usize,
    /// What the oversized CONNECTs announce.
    #[arg(long, default_value_t = 200_000_000, value_name = "BYTES")]
    announced_bytes: u32,
    /// The broker's Maximum Packet Size: every fourth oversized CONNECT is
    /// then a whole 5.0 CONNECT one byte over it.
    #[arg(long, value_name = "BYTES")]
    over_limit: Option<u32>,
}

pub async fn run(args: HostileArgs) -> anyhow::Result<ExitCode> {
    check_file_limit(args.half_open + 64)?;
    let spec = HostileSpec {
        broker: args.common.broker,
        process: args.pid.map(|pid| BrokerProcess { pid }),
        half_open: args.half_open,
        partial_every: args.partial_every,
        oversized_connects: args.oversized_connects,
        announced_bytes: args.announced_bytes,
        over_limit: args.over_limit,
        source_addrs: args.common.source_addrs,
    };
    let result = hostile::run(&spec).await.context("hostile run")?;
    print_table(&args.common.label, &result);
    write_line(&args.common, "hostile", &result)?;
    let healthy = result.normal_connack_code == Some(0) && result.will_ms.is_some();
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_table(label: &str, r: &HostileResult) {
    let kib = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |k| format!("{k} KiB"));
    println!("{label} hostile run");
    println!(
        "  half-open      requested {} / opened {} / dial failed {}  ({:.0} ms)",
        r.half_open_requested, r.half_open_opened, r.half_open_dial_failed, r.open_ms
    );
    println!(
        "  held by broker after opening {} / after the flood {}",
        r.held_after_open, r.held_after_flood
    );
    print_answers("oversized (announced)", &r.huge);
    print_answers("just over the limit", &r.just_over);
    println!("  flood          {:.0} ms", r.flood_ms);
    println!(
        "  normal client  CONNACK {} in {} ms; will after reset in {} ms",
        r.normal_connack_code
            .map_or_else(|| "none".to_owned(), |c| format!("{c:#04x}")),
        fmt(r.normal_connack_ms, 1),
        fmt(r.will_ms, 1),
    );
    println!(
        "  broker RSS     before {} / peak {} / after {}",
        kib(r.rss_before_kib),
        kib(r.rss_peak_kib),
        kib(r.rss_after_kib)
    );
}

fn print_answers(what: &str, a: &Answers) {
    if a.sent == 0 {
        return;
    }
    println!(
        "  {what:<22} sent {}: CONNACK 0x95 {}, other CONNACK {}, closed {}, reset {}, no answer {}, dial failed {}",
        a.sent, a.connack_0x95, a.connack_other, a.closed_without_connack, a.reset, a.no_answer, a.dial_failed
    );
}
