//! lastwill: scenarios, the runner and its targets. The `lastwill` binary
//! (src/main.rs and src/cli/) is a thin layer over this library.
#![forbid(unsafe_code)]

pub mod bench;
pub mod catalogue;
pub mod client;
pub mod expectations;
pub mod fuzz;
pub mod launch;
pub mod runner;
pub mod scenario;
pub mod target;
pub mod tls;
