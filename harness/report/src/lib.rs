//! What a run of the suite found, as data, and its renderings. The JSON form
//! of [`RunReport`] is the source of truth; every other rendering is derived
//! from it, so `lastwill report merge` can rebuild them from JSON alone.
//!
//! | rendering | function | for |
//! | --- | --- | --- |
//! | JSON | [`to_json`] / [`from_json`] | tools, merging, re-rendering |
//! | JUnit XML | [`to_junit`] | CI test reporters |
//! | Markdown | [`to_markdown`] | GitHub step summaries, MR comments |
//! | HTML | [`to_html`] | people: one self-contained page with sequence diagrams |
//! | pcap | [`write_pcap`] | Wireshark, per scenario |
//! | all of them | [`write_all`] | a report directory, written atomically |
//!
//! [`merge`] joins shards of one target's run; [`Matrix`] compares targets,
//! and [`MatrixPage`] renders it for `reports/`, grouped by rule and linked
//! to each target's report.
#![forbid(unsafe_code)]

mod error;
mod escape;
mod group;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod merge;
pub mod pcap;
pub mod published;
pub mod result;
mod sequence;
pub mod write;

pub use error::ReportError;
pub use html::to_html;
pub use json::{from_json, to_json};
pub use junit::to_junit;
pub use markdown::to_markdown;
pub use matrix::{Matrix, MatrixCell, MatrixColumn, MatrixRow};
pub use merge::{merge, try_merge};
pub use pcap::write_pcap;
pub use published::MatrixPage;
pub use result::*;
pub use write::{write_all, write_atomic};
