//! Core scenarios in virtual time: the sans-IO broker driven directly with
//! encoded packets, one binary for all of them to keep link time down.

mod broker;
mod delay;
mod delivery;
mod faults;
mod robustness;
mod support;
mod takeover;
mod triggers;
