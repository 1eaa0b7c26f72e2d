//! Snapshots of every rendering of the fixture. Review changes with
//! `cargo insta review`; a diff here is a change users will see.
#![allow(clippy::unwrap_used)]

mod common;

use lastwill_report::{to_html, to_json, to_junit, to_markdown, write_pcap, Matrix, Verdict};

#[test]
fn json() {
    insta::assert_snapshot!(to_json(&common::fixture()));
}

#[test]
fn junit() {
    insta::assert_snapshot!(to_junit(&common::fixture()));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(to_markdown(&common::fixture()));
}

#[test]
fn html() {
    insta::assert_snapshot!(to_html(&common::fixture()));
}

/// The pcaps as a tcpdump-like listing (the bytes themselves are checked
/// field by field in tests/pcap.rs).
#[test]
fn pcap() {
    let report = common::fixture();
    let mut listing = String::new();
    for result in &report.results {
        listing.push_str(&format!("== {} {}\n", result.id, result.version));
        listing.push_str(&common::pcap_parse::listing(&common::pcap_parse::parse(
            &write_pcap(result),
        )));
    }
    insta::assert_snapshot!(listing);
}

/// Two targets, the first split into two shards that the matrix merges.
fn matrix() -> Matrix {
    let first = common::fixture();
    let (mut shard_a, mut shard_b) = (first.clone(), first.clone());
    shard_a.results.truncate(2);
    shard_b.results.drain(..2);
    let mut other = common::fixture();
    other.target.name = "reference".into();
    other.target.address = "embedded".into();
    other.target.broker = None;
    other.target.virtual_time = true;
    other.target.faults = vec!["ignore-will-delay".into()];
    other.results.retain(|r| r.verdict != Verdict::Error);
    for result in &mut other.results {
        result.verdict = Verdict::Pass;
        result.reason.clear();
    }
    Matrix::new(&[shard_a, other, shard_b])
}

#[test]
fn matrix_markdown() {
    insta::assert_snapshot!(matrix().render_markdown());
}

#[test]
fn matrix_html() {
    insta::assert_snapshot!(matrix().render_html());
}
