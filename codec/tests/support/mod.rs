//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod fixtures;
pub mod strategies;

/// Parses whitespace-separated hex bytes ("10 0d 00 04").
pub fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).unwrap_or_else(|_| panic!("bad hex {pair:?}")))
        .collect()
}

/// Sixteen bytes a line, lower-case hex, for snapshots.
pub fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|line| {
            line.iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
