//! Arbitrary client op sequences against the broker's sans-IO core, checked
//! after every step by `lastwill_broker::fuzzing::run_ops` (will invariants,
//! no panic, well-formed output).
#![no_main]

use lastwill_broker::fuzzing::{run_ops, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|ops: Vec<Op>| {
    if let Err(violation) = run_ops(&ops) {
        panic!("{violation}");
    }
});
