//! Arbitrary bytes into the streaming decoder as a V5 connection; the
//! decoder's contract is checked by `lastwill_codec::invariants::check_decode`.
#![no_main]

use lastwill_codec::{invariants::check_decode, ProtocolVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = check_decode(data, ProtocolVersion::V5) {
        panic!("{violation}");
    }
});
