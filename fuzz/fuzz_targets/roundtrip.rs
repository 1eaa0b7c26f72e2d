//! Structure-aware round trip: a valid packet built by
//! `lastwill_codec::arbitrary::ValidPacket` must encode and decode back to
//! itself, and its bytes must satisfy the decoder's contract.
#![no_main]

use lastwill_codec::arbitrary::{check_roundtrip, ValidPacket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|valid: ValidPacket| {
    if let Err(violation) = check_roundtrip(&valid) {
        panic!("{violation}");
    }
});
