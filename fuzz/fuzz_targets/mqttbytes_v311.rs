//! The speed peer of `decode_v311`: the same inputs and the same four steps
//! (stream read, frame read, re-encode, read) done by mqttbytes 0.6; see
//! `lastwill_fuzz::peer`. Checks nothing.
#![no_main]

use lastwill_codec::ProtocolVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lastwill_fuzz::peer::mqttbytes_decode(data, ProtocolVersion::V3_1_1);
});
