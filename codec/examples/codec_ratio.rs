//! Prints decode and encode throughput of lastwill's codec and mqttbytes 0.6
//! on identical packet sets, and their ratio, as a Markdown table:
//!
//! ```sh
//! cargo run --release -p lastwill-codec --example codec_ratio [-- SECONDS_PER_CELL [FILTER]]
//! ```
//!
//! FILTER keeps only the rows whose `operation/version/set` contains it
//! (`decode/v5/mixed`), for profiling one cell.
//!
//! Each cell runs rounds of whole-set decodes (or encodes) for about the
//! given time (default 0.5 s), interleaving the two libraries round by round
//! so that both see the same machine load, and reports the median round.

use std::time::{Duration, Instant};

use bytes::BytesMut;

#[path = "../benches/support/mod.rs"]
mod support;

use support::Set;

fn main() {
    let budget = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse::<f64>().ok())
        .map_or(Duration::from_millis(500), Duration::from_secs_f64);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let sets = support::all_sets();
    println!("| operation | version | packet set | packets | bytes | lastwill packets/s | lastwill MB/s | mqttbytes packets/s | mqttbytes MB/s | lastwill / mqttbytes |");
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for op in ["decode", "encode"] {
        for set in &sets {
            if !format!("{op}/{}/{}", set.version.short(), set.name).contains(&filter) {
                continue;
            }
            let (ours, theirs) = measure(set, op, budget);
            let per_sec = |d: Duration| set.packets as f64 / d.as_secs_f64();
            let mb_sec = |d: Duration| set.bytes.len() as f64 / d.as_secs_f64() / 1e6;
            println!(
                "| {op} | {} | {} | {} | {} | {} | {:.1} | {} | {:.1} | **{:.2} ×** |",
                set.version.label(),
                set.name,
                set.packets,
                set.bytes.len(),
                group(per_sec(ours)),
                mb_sec(ours),
                group(per_sec(theirs)),
                mb_sec(theirs),
                theirs.as_secs_f64() / ours.as_secs_f64(),
            );
        }
    }
}

/// Median time of one whole-set round for lastwill and for mqttbytes.
fn measure(set: &Set, op: &str, budget: Duration) -> (Duration, Duration) {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut out = BytesMut::with_capacity(set.bytes.len() * 2);
    // Rounds of several repetitions so that a round of one small packet is
    // still long enough to time.
    let reps = (200_000 / set.bytes.len().max(1)).clamp(1, 2_000);
    let start = Instant::now();
    while start.elapsed() < budget || ours.len() < 5 {
        for (lastwill, times) in [(true, &mut ours), (false, &mut theirs)] {
            let mut inputs: Vec<BytesMut> = match op {
                "decode" => (0..reps).map(|_| BytesMut::from(&set.bytes[..])).collect(),
                _ => Vec::new(),
            };
            let began = Instant::now();
            match (op, lastwill) {
                ("decode", true) => {
                    for input in &mut inputs {
                        let n = support::decode_lastwill_stream(input, set.version);
                        assert_eq!(n, set.packets);
                    }
                }
                ("decode", false) => {
                    for input in &mut inputs {
                        let n = support::decode_mqttbytes_stream(input, set.version);
                        assert_eq!(n, set.packets);
                    }
                }
                (_, true) => (0..reps).for_each(|_| support::encode_lastwill(set, &mut out)),
                (_, false) => (0..reps).for_each(|_| support::encode_mqttbytes(set, &mut out)),
            }
            times.push(began.elapsed() / reps as u32);
            drop(inputs);
        }
    }
    (median(ours), median(theirs))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// 1234567.8 -> "1,234,568".
fn group(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
