//! Core scenarios in virtual time: the sans-IO broker driven directly with
//! encoded packets, one binary for all of them to keep link time down.
//!
//! Each test's doc comment names the catalogue rows it checks: rule IDs with
//! their version (`MQTT-3.1.2-8 (3.1.1)`, since many IDs mean different
//! things in the two versions) or `Catalogue B25` for unnumbered rows.

mod auth;
mod broker;
mod connect;
mod delay;
mod delivery;
mod disconnect;
mod faults;
mod faults_delivery;
mod retained;
mod robustness;
mod session;
mod support;
mod takeover;
mod triggers;
