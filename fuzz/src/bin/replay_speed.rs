//! Decode speed on fuzz inputs, without the fuzzer: the same files run
//! through `check_decode` (what `decode_v311`/`decode_v5` do) and through
//! `lastwill_fuzz::peer::mqttbytes_decode` (what `mqttbytes_v311`/`_v5` do),
//! in a plain release build with no sanitizer and no coverage feedback, so
//! both decoders see exactly the same inputs the same number of times.
//!
//! Usage: `replay_speed DIR...` (every file under each DIR; give both the
//! 3.1.1 and the 5.0 corpora), e.g.
//! `cargo run --release --bin replay_speed -- seeds corpus/decode_v5 corpus/mqttbytes_v5 2>/dev/null`
//! (mqttbytes 0.6 prints a `dbg!` line to stderr per v5 UNSUBSCRIBE).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lastwill_codec::{invariants::check_decode, ProtocolVersion};
use lastwill_fuzz::peer::mqttbytes_decode;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Runs `f` over every input until at least `budget` has passed; inputs/s.
fn rate(inputs: &[Vec<u8>], budget: Duration, mut f: impl FnMut(&[u8])) -> f64 {
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < budget {
        for input in inputs {
            f(input);
        }
        runs += inputs.len() as u64;
    }
    runs as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: replay_speed DIR...");
        std::process::exit(2);
    }
    let mut paths = Vec::new();
    for dir in &dirs {
        files(dir, &mut paths);
    }
    paths.sort();
    paths.dedup();
    let inputs: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let bytes: usize = inputs.iter().map(Vec::len).sum();
    println!("{} inputs, {bytes} bytes", inputs.len());
    println!("| connection | lastwill check_decode (inputs/s) | mqttbytes same steps (inputs/s) | ratio |");
    println!("| --- | --- | --- | --- |");
    let budget = Duration::from_secs(3);
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let ours = rate(&inputs, budget, |input| {
            let _ = std::hint::black_box(check_decode(input, version));
        });
        let theirs = rate(&inputs, budget, |input| {
            std::hint::black_box(mqttbytes_decode(input, version));
        });
        println!(
            "| {version} | {ours:.0} | {theirs:.0} | {:.2} × |",
            ours / theirs
        );
    }
}
