//! Replays the cargo-fuzz targets' named regression inputs
//! (`fuzz/regressions/TARGET/NAME`) through the same library checks the
//! targets call, so a plain `cargo test --workspace` keeps every finding
//! fixed. The mqttbytes differential's inputs live in the fuzz crate's own
//! tests (it needs mqttbytes, which the workspace does not build).
//!
//! A structure-aware target's input is read the way libfuzzer-sys reads it
//! (`Arbitrary::arbitrary_take_rest`), so a crasher file replays as the
//! same value, as long as the `arbitrary` version is the fuzz crate's.

use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use lastwill_broker::fuzzing::{run_ops, Op};
use lastwill_codec::arbitrary::{check_roundtrip, ValidPacket};
use lastwill_codec::{invariants::check_decode, ProtocolVersion};

fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path).expect("regression input is readable");
            (name, bytes)
        })
        .collect()
}

/// Runs `check` on every input of `target`, naming each failure.
fn replay(target: &str, check: impl Fn(&[u8]) -> Result<(), String>) -> usize {
    let inputs = regressions(target);
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|(name, bytes)| check(bytes).err().map(|e| format!("{target}/{name}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "regressions came back:\n{}",
        failures.join("\n")
    );
    println!("{target}: {} regression input(s) replayed", inputs.len());
    inputs.len()
}

#[test]
fn decode_v311_regressions_stay_fixed() {
    replay("decode_v311", |bytes| {
        check_decode(bytes, ProtocolVersion::V3_1_1).map_err(|v| v.to_string())
    });
}

#[test]
fn decode_v5_regressions_stay_fixed() {
    let replayed = replay("decode_v5", |bytes| {
        check_decode(bytes, ProtocolVersion::V5).map_err(|v| v.to_string())
    });
    assert!(replayed >= 1, "fuzz/regressions/decode_v5 lost its inputs");
}

#[test]
fn roundtrip_regressions_stay_fixed() {
    replay(
        "roundtrip",
        |bytes| match ValidPacket::arbitrary_take_rest(Unstructured::new(bytes)) {
            Ok(valid) => check_roundtrip(&valid).map_err(|v| v.to_string()),
            Err(_) => Ok(()),
        },
    );
}

#[test]
fn broker_core_regressions_stay_fixed() {
    replay(
        "broker_core",
        |bytes| match Vec::<Op>::arbitrary_take_rest(Unstructured::new(bytes)) {
            Ok(ops) => run_ops(&ops).map_err(|v| v.to_string()),
            Err(_) => Ok(()),
        },
    );
}

/// The directory names must be target names, or an input would be skipped
/// silently.
#[test]
fn every_regression_directory_is_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let known = [
        "decode_v311",
        "decode_v5",
        "roundtrip",
        "broker_core",
        "differential_mqttbytes",
    ];
    for entry in std::fs::read_dir(&root)
        .expect("fuzz/regressions exists")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            assert!(
                known.contains(&name.as_str()),
                "fuzz/regressions/{name} is no target"
            );
        }
    }
}
