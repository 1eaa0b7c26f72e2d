//! Differential decoding against mqttbytes 0.6; see `lastwill_fuzz::differential`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| lastwill_fuzz::differential(bytes));
